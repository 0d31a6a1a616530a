/**
 * OAuth2 sign-in on AWS (issue 9): with client ids in the context, the client secrets live in
 * one Secrets Manager secret (never in the template), the settings function and the send
 * worker get its ARN and read access to it alone, the worker may encrypt rotated refresh
 * tokens, and cdk-nag stays clean. Without client ids nothing of this exists.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DeploymentConfigError, parseDeploymentConfig } from '../../infra/config';
import { statementsOfRole, synthStack, type SynthesizedStack } from './synth-stack';

let synth: SynthesizedStack;

before(() => {
  synth = synthStack({
    oauthMicrosoftClientId: '11111111-2222-3333-4444-555555555555',
    oauthGoogleClientId: '1234-abc.apps.googleusercontent.com',
    oauthRedirectUris: 'https://app.example.com/oauth/callback',
  });
});

describe('OAuth clients on AWS', () => {
  it('creates one secret for the client secrets, with no value in the template, and outputs its ARN', () => {
    const secrets = synth.template.findResources('AWS::SecretsManager::Secret');
    assert.equal(Object.keys(secrets).length, 1);
    const [id, secret] = Object.entries(secrets)[0]!;
    assert.equal(secret.Properties.SecretString, undefined);
    assert.ok(Object.values(synth.json.Outputs).some((output) => JSON.stringify(output.Value) === JSON.stringify({ Ref: id })));
  });

  it('gives the settings function and the send worker the env and read access to that secret only', () => {
    const secretId = Object.keys(synth.template.findResources('AWS::SecretsManager::Secret'))[0]!;
    for (const fn of [synth.stack.functions.emailSettings, synth.stack.functions.sendWorker]) {
      const env = synth.json.Resources[synth.logicalId(fn)]!.Properties.Environment.Variables;
      assert.equal(env.OAUTH_MICROSOFT_CLIENT_ID, '11111111-2222-3333-4444-555555555555');
      assert.equal(env.OAUTH_GOOGLE_CLIENT_ID, '1234-abc.apps.googleusercontent.com');
      assert.equal(env.OAUTH_REDIRECT_URIS, 'https://app.example.com/oauth/callback');
      assert.deepEqual(env.OAUTH_CLIENT_SECRETS_ARN, { Ref: secretId });
      assert.equal(env.OAUTH_MICROSOFT_CLIENT_SECRET, undefined);
      const statements = statementsOfRole(synth, synth.logicalId(fn.role!)) as Array<{ Action: unknown; Resource: unknown }>;
      const reads = statements.filter((statement) => JSON.stringify(statement.Action).includes('secretsmanager:'));
      assert.equal(reads.length, 1);
      assert.deepEqual(reads[0]!.Resource, { Ref: secretId });
    }
    for (const name of ['candidates', 'messages', 'platform', 'inbound'] as const) {
      const env = synth.json.Resources[synth.logicalId(synth.stack.functions[name])]!.Properties.Environment.Variables;
      assert.equal(env.OAUTH_CLIENT_SECRETS_ARN, undefined, name);
    }
  });

  it('lets the send worker encrypt (rotated refresh tokens) with the secrets key', () => {
    const statements = statementsOfRole(synth, synth.logicalId(synth.stack.functions.sendWorker.role!)) as Array<{ Action: unknown }>;
    assert.ok(statements.some((statement) => JSON.stringify(statement.Action) === JSON.stringify(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'])));
  });

  it('has no unsuppressed cdk-nag finding', () => {
    assert.deepEqual(synth.nagErrors, []);
    assert.deepEqual(synth.nagWarnings, []);
  });
});

describe('OAuth deployment settings', () => {
  it('are off without client ids, and checked when given', () => {
    assert.equal(parseDeploymentConfig({ example: 'true' }).oauth, null);
    const imported = parseDeploymentConfig({
      example: 'true',
      oauthMicrosoftClientId: 'id',
      oauthRedirectUris: 'https://app.example.com/cb, http://localhost:5173/cb',
      oauthClientSecretArn: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:oauth-AbCdEf',
    }).oauth;
    assert.deepEqual(imported?.redirectUris, ['https://app.example.com/cb', 'http://localhost:5173/cb']);
    assert.throws(() => parseDeploymentConfig({ example: 'true', oauthGoogleClientId: 'id' }), DeploymentConfigError);
    assert.throws(() => parseDeploymentConfig({ example: 'true', oauthGoogleClientId: 'id', oauthRedirectUris: 'http://app.example.com/cb' }), /must be an https URL/);
    assert.throws(() => parseDeploymentConfig({ example: 'true', oauthGoogleClientId: 'id', oauthRedirectUris: 'https://a.example/cb', oauthClientSecretArn: 'nope' }), /complete ARN/);
  });
});
