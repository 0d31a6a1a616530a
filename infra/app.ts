/**
 * CDK app entry (`cdk.json`: `npx tsx infra/app.ts`). Environment-agnostic on purpose: no
 * account or region is fixed and nothing is looked up, so `cdk synth` runs offline without
 * credentials; `cdk deploy` targets the account and region of the caller's credentials.
 * cdk-nag's AwsSolutions rules run on every synth: an unsuppressed error fails it.
 */
import { Annotations, App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeploymentConfigError, readDeploymentConfig, unknownContextKeys } from './config';
import { RecruitingMailStack } from './stack';

const app = new App();

let config;
try {
  config = readDeploymentConfig(app.node);
} catch (error) {
  if (error instanceof DeploymentConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

const stack = new RecruitingMailStack(app, config.stackName, {
  config,
  description: 'Recruiting mail backend: company SMTP settings, candidate mail with fallback, inbound mail filing',
});
for (const key of unknownContextKeys(app.node.getAllContext())) {
  Annotations.of(stack).addWarningV2(`recruiting-mail:unknown-context-${key}`, `Unknown context key "${key}" is ignored (typo?).`);
}
Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
