/**
 * The operator's OAuth2 clients for "sign in with Microsoft / Google" (DESIGN capability 7).
 * Client ids and redirect URIs are plain settings; the client secrets live in one Secrets
 * Manager secret (JSON `{ "microsoftClientSecret", "googleClientSecret" }`), created here
 * (the operator puts the values in after the first deploy) or imported by ARN, never in the
 * template. `bind` gives a function the environment and read access to that secret only.
 */
import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export interface OAuthClientsProps {
  readonly microsoftClientId?: string;
  readonly googleClientId?: string;
  readonly redirectUris: readonly string[];
  /** An existing secret to use instead of creating one. */
  readonly clientSecretArn?: string;
  readonly removalPolicy: RemovalPolicy;
}

export class OAuthClients extends Construct {
  readonly secret: ISecret;

  constructor(scope: Construct, id: string, private readonly props: OAuthClientsProps) {
    super(scope, id);
    if (props.clientSecretArn) {
      this.secret = Secret.fromSecretCompleteArn(this, 'ClientSecrets', props.clientSecretArn);
    } else {
      const created = new Secret(this, 'ClientSecrets', {
        description: 'OAuth client secrets of the recruiting mail backend: JSON {"microsoftClientSecret": "...", "googleClientSecret": "..."}',
        removalPolicy: props.removalPolicy,
      });
      NagSuppressions.addResourceSuppressions(created, [
        {
          id: 'AwsSolutions-SMG4',
          reason: 'OAuth client secrets are issued by Microsoft Entra and Google Cloud and rotated there by the operator; no Lambda can rotate them.',
        },
      ]);
      this.secret = created;
    }
    new CfnOutput(scope, 'OAuthClientSecretsArn', {
      value: this.secret.secretArn,
      description: 'Put the OAuth client secrets here: aws secretsmanager put-secret-value --secret-id <arn> --secret-string \'{"microsoftClientSecret":"...","googleClientSecret":"..."}\'',
    });
  }

  /** The OAUTH_* environment and secretsmanager:GetSecretValue on this secret only. */
  bind(fn: IFunction & { addEnvironment(key: string, value: string): unknown }): void {
    if (this.props.microsoftClientId) fn.addEnvironment('OAUTH_MICROSOFT_CLIENT_ID', this.props.microsoftClientId);
    if (this.props.googleClientId) fn.addEnvironment('OAUTH_GOOGLE_CLIENT_ID', this.props.googleClientId);
    fn.addEnvironment('OAUTH_REDIRECT_URIS', this.props.redirectUris.join(','));
    fn.addEnvironment('OAUTH_CLIENT_SECRETS_ARN', this.secret.secretArn);
    this.secret.grantRead(fn);
  }
}
