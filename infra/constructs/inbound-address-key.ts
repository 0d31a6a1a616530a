/**
 * The KMS HMAC key inbound addresses are derived with (`<company>.<scope>.<check>`, the check a
 * MAC of both ids): a settings GET shows a scope's address without storing anything, and mail to
 * it finds its scope from the address alone. The key never leaves KMS; functions get
 * `kms:GenerateMac` on it. It cannot rotate (a new key would change every address), and it is
 * retained with the data: the addresses companies forward to depend on it.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { FunctionWithLogGroup } from './function-with-log-group';

export interface InboundAddressKeyProps {
  readonly removalPolicy: RemovalPolicy;
}

export class InboundAddressKey extends Construct {
  readonly key: Key;

  constructor(scope: Construct, id: string, props: InboundAddressKeyProps) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: 'Derives the inbound addresses of company scopes (HMAC; recruiting mail backend)',
      keySpec: KeySpec.HMAC_256,
      keyUsage: KeyUsage.GENERATE_VERIFY_MAC,
      removalPolicy: props.removalPolicy,
    });
    NagSuppressions.addResourceSuppressions(this.key, [
      { id: 'AwsSolutions-KMS5', reason: 'HMAC keys cannot rotate in KMS, and a new key would change every inbound address companies forward their mail to.' },
    ]);
  }

  /** INBOUND_ADDRESS_KEY_ID plus kms:GenerateMac on this key only. */
  bind(fn: FunctionWithLogGroup): void {
    fn.addEnvironment('INBOUND_ADDRESS_KEY_ID', this.key.keyArn);
    fn.addToRolePolicy(new PolicyStatement({ actions: ['kms:GenerateMac'], resources: [this.key.keyArn] }));
  }
}
