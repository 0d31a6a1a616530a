/**
 * The public HTTP API (API Gateway v2): a JWT authorizer whose issuer and audience are
 * deployment settings, one Lambda integration per function, stage-wide throttling, and JSON
 * access logs with retention. Routes marked `public` (health, OpenAPI document) have no
 * authorizer; every other route requires a valid token.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { CorsHttpMethod, HttpApi as ApiGatewayHttpApi, HttpMethod, HttpNoneAuthorizer, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import type { HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { CORS_POLICY } from '../../shared/http/cors-policy';

export { HttpMethod };

export interface ApiRoute {
  readonly method: HttpMethod;
  readonly path: string;
  readonly handler: LambdaFunction;
  /** No authorizer: only for the health check and the OpenAPI document. */
  readonly public?: boolean;
}

export interface HttpApiProps {
  readonly jwtIssuer: string;
  readonly jwtAudience: readonly string[];
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Each company's own limit, counted by the API functions per warm container (shared/http/company-rate-limit.ts). */
  readonly companyRate: { readonly ratePerSecond: number; readonly burst: number };
  readonly routes: readonly ApiRoute[];
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** Browser origins allowed to call the API; API Gateway answers their preflights itself. */
  readonly corsAllowedOrigins: readonly string[];
}

export class HttpApi extends Construct {
  readonly api: ApiGatewayHttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  readonly routes: HttpRoute[] = [];

  constructor(scope: Construct, id: string, props: HttpApiProps) {
    super(scope, id);

    const authorizer = new HttpJwtAuthorizer('Jwt', props.jwtIssuer, {
      authorizerName: 'jwt',
      jwtAudience: [...props.jwtAudience],
    });
    this.api = new ApiGatewayHttpApi(this, 'Api', {
      description: 'Recruiting mail backend API (v1)',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
      // The same policy as the local server's (shared/http/cors-policy.ts).
      corsPreflight:
        props.corsAllowedOrigins.length > 0
          ? {
              allowOrigins: [...props.corsAllowedOrigins],
              allowHeaders: [...CORS_POLICY.allowHeaders],
              allowMethods: CORS_POLICY.allowMethods.map((method) => CorsHttpMethod[method]),
              exposeHeaders: [...CORS_POLICY.exposeHeaders],
              maxAge: Duration.seconds(CORS_POLICY.maxAgeSeconds),
            }
          : undefined,
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: props.logRemovalPolicy });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttle.rateLimit, burstLimit: props.throttle.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        // No headers and no body: tokens and mail never reach the access log.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            method: '$context.httpMethod',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationStatus: '$context.integrationStatus',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });

    const integrations = new Map<LambdaFunction, HttpLambdaIntegration>();
    for (const route of props.routes) {
      let integration = integrations.get(route.handler);
      if (integration === undefined) {
        integration = new HttpLambdaIntegration(`${route.handler.node.id}Integration`, route.handler);
        integrations.set(route.handler, integration);
        route.handler.addEnvironment('COMPANY_API_RATE_LIMIT', String(props.companyRate.ratePerSecond));
        route.handler.addEnvironment('COMPANY_API_BURST_LIMIT', String(props.companyRate.burst));
      }
      const [created] = this.api.addRoutes({
        path: route.path,
        methods: [route.method],
        integration,
        authorizer: route.public ? new HttpNoneAuthorizer() : undefined,
      });
      if (route.public) {
        NagSuppressions.addResourceSuppressions(created!, [
          { id: 'AwsSolutions-APIG4', reason: `${route.method} ${route.path} is public by design (health check / OpenAPI document; no data).` },
        ]);
      }
      this.routes.push(created!);
    }
  }

  /** `https://<id>.execute-api.<region>.amazonaws.com` (no trailing path: the $default stage). */
  get url(): string {
    return this.api.apiEndpoint;
  }
}
