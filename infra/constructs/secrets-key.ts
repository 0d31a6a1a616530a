/**
 * The KMS key that envelope-encrypts companies' SMTP passwords (the company and scope are the
 * encryption context). Rotated yearly by KMS; only the settings function encrypts, the send
 * worker only decrypts (see the functions' bindKey calls).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface SecretsKeyProps {
  readonly removalPolicy: RemovalPolicy;
}

export class SecretsKey extends Construct {
  readonly key: Key;

  constructor(scope: Construct, id: string, props: SecretsKeyProps) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: 'Envelope encryption of company SMTP passwords (recruiting mail backend)',
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      pendingWindow: Duration.days(30),
      removalPolicy: props.removalPolicy,
    });
  }
}
