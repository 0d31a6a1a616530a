/**
 * Synth with existing Elastic IP allocation ids (an operator keeping published IPs across a
 * re-created stack): the NAT gateways use them, no EIP is allocated, and the public IPs are
 * looked up at deploy time (they are unknown at synth) and wired into EGRESS_IPS and the output.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { synthStack } from './synth-stack';
import type { SynthesizedStack } from './synth-stack';

const ALLOCATION_IDS = ['eipalloc-0123456789abcdef0', 'eipalloc-0fedcba9876543210'];

let synth: SynthesizedStack;
let lookupId: string;

before(() => {
  // Also a real (non-example) synth that activates its SES rule set: the operator's explicit choice.
  synth = synthStack({
    example: 'false',
    inboundDomain: 'inbound.acme-recruiting.com',
    defaultSenderDomain: 'mail.acme-recruiting.com',
    defaultFromAddress: 'no-reply@mail.acme-recruiting.com',
    jwtIssuer: 'https://login.acme-recruiting.com/',
    jwtAudience: 'recruiting-mail-api',
    egressEipAllocationIds: ALLOCATION_IDS.join(','),
    stackName: 'RecruitingMailProd',
    activateReceiptRuleSet: 'true',
  });
  const lookups = Object.entries(synth.json.Resources).filter(([, resource]) => resource.Type === 'Custom::EgressIpLookup');
  assert.equal(lookups.length, 1);
  lookupId = lookups[0]![0];
});

describe('existing Elastic IP allocation ids', () => {
  it('one NAT gateway per given allocation id, in order, and no new EIP', () => {
    synth.template.resourceCountIs('AWS::EC2::EIP', 0);
    const nats = Object.values(synth.template.findResources('AWS::EC2::NatGateway')).map((nat) => nat.Properties.AllocationId);
    assert.deepEqual(nats, ALLOCATION_IDS);
  });

  it('looks the public IPs up with EC2 DescribeAddresses at deploy time', () => {
    const lookup = synth.json.Resources[lookupId]!;
    assert.deepEqual(JSON.parse(lookup.Properties.Create), {
      service: 'EC2',
      action: 'describeAddresses',
      parameters: { AllocationIds: ALLOCATION_IDS },
      physicalResourceId: { id: ALLOCATION_IDS.join(',') },
      outputPaths: ['Addresses.0.PublicIp', 'Addresses.1.PublicIp'],
    });
    const policyId = lookup.DependsOn!.find((id) => synth.json.Resources[id]!.Type === 'AWS::IAM::Policy')!;
    assert.deepEqual(synth.json.Resources[policyId]!.Properties.PolicyDocument.Statement, [
      { Action: 'ec2:DescribeAddresses', Effect: 'Allow', Resource: '*' },
    ]);
  });

  it('wires the looked-up IPs into EGRESS_IPS of every function and the EgressIps output', () => {
    const expected = {
      'Fn::Join': [',', [{ 'Fn::GetAtt': [lookupId, 'Addresses.0.PublicIp'] }, { 'Fn::GetAtt': [lookupId, 'Addresses.1.PublicIp'] }]],
    };
    for (const fn of Object.values(synth.stack.functions)) {
      assert.deepEqual(synth.json.Resources[synth.logicalId(fn)]!.Properties.Environment.Variables.EGRESS_IPS, expected);
    }
    assert.deepEqual(synth.json.Outputs.EgressIps.Value, expected);
  });

  it('names the SES rule set after the stack', () => {
    synth.template.hasResourceProperties('AWS::SES::ReceiptRuleSet', { RuleSetName: 'RecruitingMailProd-inbound' });
  });

  it('with activateReceiptRuleSet=true, activates the rule set with a custom resource that deactivates it on delete', () => {
    const activation = Object.entries(synth.json.Resources).filter(([, resource]) => resource.Type === 'Custom::SesActiveReceiptRuleSet');
    assert.equal(activation.length, 1);
    const [, resource] = activation[0]!;
    assert.deepEqual(JSON.parse(resource.Properties.Create), {
      service: 'SES',
      action: 'setActiveReceiptRuleSet',
      parameters: { RuleSetName: 'RecruitingMailProd-inbound' },
      physicalResourceId: { id: 'RecruitingMailProd-inbound-active' },
    });
    assert.deepEqual(JSON.parse(resource.Properties.Delete), { service: 'SES', action: 'setActiveReceiptRuleSet', parameters: {} });
    assert.ok(resource.DependsOn!.includes(synth.logicalId(synth.stack.inbound.rule)));
    assert.ok(synth.json.Outputs.ActiveReceiptRuleSet);
  });

  it('a real synth carries no example rule', () => {
    assert.equal((synth.json as { Rules?: Record<string, unknown> }).Rules?.ExampleNotDeployable, undefined);
    assert.deepEqual(Object.keys((synth.json as { Rules?: Record<string, unknown> }).Rules ?? {}).filter((id) => id.startsWith('Example')), []);
  });

  it('leaves no unsuppressed cdk-nag error or warning', () => {
    assert.deepEqual(synth.nagErrors, []);
    assert.deepEqual(synth.nagWarnings, []);
  });
});
