/**
 * Synthesizes the real stack (real function entries, bundled by the local esbuild) the way
 * `cdk synth` does: the feature flags of cdk.json, the given context, cdk-nag's AwsSolutions
 * rules. Bundling takes seconds per function, so each test file calls this once.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, Aspects, Stack } from 'aws-cdk-lib';
import type { CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { readDeploymentConfig } from '../../infra/config';
import { PROJECT_ROOT } from '../../infra/bundling/function-bundle';
import { RecruitingMailStack } from '../../infra/stack';

export interface SynthesizedStack {
  readonly stack: RecruitingMailStack;
  readonly template: Template;
  readonly json: { Resources: Record<string, { Type: string; Properties?: any; DependsOn?: string[]; DeletionPolicy?: string; UpdateReplacePolicy?: string }>; Outputs: Record<string, any> };
  /** AwsSolutions findings that were neither fixed nor suppressed. */
  readonly nagErrors: string[];
  readonly nagWarnings: string[];
  /** The logical id of a construct's CloudFormation resource. */
  logicalId(construct: IConstruct): string;
}

export function synthStack(context: Record<string, unknown>): SynthesizedStack {
  const cdkJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  // No outdir: the App synthesizes into a temporary directory, not the repo's cdk.out.
  // Tests synthesize the documented example unless they say otherwise (`example: false`).
  const app = new App({ context: { ...cdkJson.context, example: 'true', ...context } });
  const config = readDeploymentConfig(app.node);
  const stack = new RecruitingMailStack(app, config.stackName, { config });
  Aspects.of(app).add(new AwsSolutionsChecks({ reports: false }));
  const template = Template.fromStack(stack);
  const format = (messages: ReturnType<Annotations['findError']>): string[] =>
    messages.map((message) => `${message.id}: ${String(message.entry.data)}`);
  const annotations = Annotations.fromStack(stack);
  return {
    stack,
    template,
    json: template.toJSON() as SynthesizedStack['json'],
    nagErrors: format(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))),
    nagWarnings: format(annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))),
    logicalId: (construct) => {
      const element = (construct.node.defaultChild ?? construct) as CfnElement;
      return Stack.of(construct).getLogicalId(element);
    },
  };
}

/** `{ "Fn::GetAtt": [id, "Arn"] }` */
export const arnOf = (logicalId: string): unknown => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

/** `<arn of logicalId>/<suffix>` as CloudFormation renders it. */
export const arnWithSuffix = (logicalId: string, suffix: string): unknown => ({ 'Fn::Join': ['', [arnOf(logicalId), suffix]] });

/** The statements of the default policy attached to a role. */
export function statementsOfRole(synth: SynthesizedStack, roleLogicalId: string): unknown[] {
  const policies = Object.values(synth.json.Resources).filter(
    (resource) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties.Roles) === JSON.stringify([{ Ref: roleLogicalId }]),
  );
  if (policies.length !== 1) throw new Error(`expected one policy on ${roleLogicalId}, found ${policies.length}`);
  return policies[0]!.Properties.PolicyDocument.Statement as unknown[];
}
