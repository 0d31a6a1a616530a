import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type ApiFunction, matchRoute, routeKey } from '../../functions/routes';
import { corsPreflightHeaders, corsResponseHeaders } from '../../shared/http/cors-policy';
import { invokeLocally } from './lambda-context';
import { verifyLocalToken } from './local-jwt';

export type ApiLambda = (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** API Gateway's payload limit for HTTP APIs. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * What API Gateway answers itself, before or instead of a function: these bodies are its own
 * (`{"message": …}`), not the API's error shape, exactly as a deployed API sends them.
 */
export const GATEWAY_ANSWERS = {
  unauthorized: { status: 401, body: { message: 'Unauthorized' } },
  notFound: { status: 404, body: { message: 'Not Found' } },
  tooLarge: { status: 413, body: { message: 'Request Entity Too Large' } },
  throttled: { status: 429, body: { message: 'Too Many Requests' } },
  internalError: { status: 500, body: { message: 'Internal Server Error' } },
} as const;

export interface LocalHttpApi {
  url: string;
  server: Server;
  stop(): Promise<void>;
}

/**
 * Plays API Gateway (HTTP API, payload v2) in front of the very Lambda handlers that run on
 * AWS: routes from the shared route table, the JWT authorizer (HS256 locally), claims handed
 * on as the authorizer does (arrays flattened to `[a b]`), and the 10 MB payload limit.
 */
export async function startLocalHttpApi(options: {
  port: number;
  jwtSecret: string;
  handlers: Record<ApiFunction, ApiLambda>;
  /** Functions reachable through Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`). */
  functions: Record<string, (payload: unknown) => Promise<unknown>>;
  /** Local-only controls of the stand-ins (`"POST /local/…"` → action), outside the API's `/v1`. */
  localControls?: Record<string, () => Promise<unknown>>;
  /** Origins a browser may call from (CORS_ALLOWED_ORIGINS); API Gateway's corsPreflight on AWS. */
  corsAllowedOrigins?: readonly string[];
  /** Stage throttling, as on AWS: requests per second and burst (a token bucket for the whole API). */
  throttle?: { rateLimit: number; burstLimit: number };
}): Promise<LocalHttpApi> {
  const throttle = options.throttle ? tokenBucket(options.throttle.rateLimit, options.throttle.burstLimit) : () => true;
  const server = createServer((req, res) => {
    const cors = corsResponseHeaders(req.headers.origin, options.corsAllowedOrigins ?? []);
    serve(req, res, options, cors, throttle).catch((error: unknown) => {
      process.stderr.write(`local api: ${(error as Error).stack ?? String(error)}\n`);
      if (!res.headersSent) gateway(res, 'internalError', cors);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type ServeOptions = Parameters<typeof startLocalHttpApi>[0];

async function serve(req: IncomingMessage, res: ServerResponse, options: ServeOptions, cors: Record<string, string>, throttle: () => boolean) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = (req.method ?? 'GET').toUpperCase();
  const invocation = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
  if (method === 'POST' && invocation) return invoke(req, res, options.functions[decodeURIComponent(invocation[1])]);
  const control = options.localControls?.[`${method} ${url.pathname}`];
  if (control) return send(res, 200, await control());

  if (method === 'OPTIONS') {
    // API Gateway answers every OPTIONS itself when CORS is configured: 204, with the CORS
    // headers only for a preflight (Origin + Access-Control-Request-Method) from an allowed origin.
    const origin = req.headers.origin;
    const preflight = origin !== undefined && req.headers['access-control-request-method'] !== undefined;
    res.writeHead(204, preflight ? corsPreflightHeaders(origin, options.corsAllowedOrigins ?? []) : {});
    return res.end();
  }
  if (!throttle()) return gateway(res, 'throttled', cors);
  const match = matchRoute(method, url.pathname);
  // HTTP APIs have no 405: a path served for other methods only is "Not Found" as well.
  if (!match || 'allowedMethods' in match) return gateway(res, 'notFound', cors);

  const body = await readBody(req);
  if (body === null) {
    // The rest of the body is not read: tell the client this connection ends here.
    return gateway(res, 'tooLarge', { ...cors, connection: 'close' });
  }

  let claims: Record<string, string> | undefined;
  if (!match.route.public) {
    const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    // The JWT authorizer's own answers: a bare challenge without a token, the reason with one.
    if (!token) return gateway(res, 'unauthorized', { ...cors, 'www-authenticate': 'Bearer' });
    try {
      claims = flattenClaims(await verifyLocalToken(options.jwtSecret, token));
    } catch (error) {
      const reason = (error as Error).message.replace(/["\\\r\n]/g, ' ');
      return gateway(res, 'unauthorized', { ...cors, 'www-authenticate': `Bearer scope="" error="invalid_token" error_description="${reason}"` });
    }
  }

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const event = {
    version: '2.0',
    routeKey: routeKey(match.route),
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: url.searchParams.size > 0 ? Object.fromEntries(url.searchParams) : undefined,
    pathParameters: Object.keys(match.pathParameters).length > 0 ? match.pathParameters : undefined,
    body: body.length > 0 ? body.toString('utf8') : undefined,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      requestId: randomUUID(),
      routeKey: routeKey(match.route),
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
      http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      authorizer: claims ? { principalId: '', integrationLatency: 0, jwt: { claims, scopes: [] } } : undefined,
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;

  const result = await invokeLocally(`local-${match.route.fn}-api`, options.handlers[match.route.fn], event);
  // With CORS configured, API Gateway drops an integration's own CORS headers and adds its own.
  const resultHeaders = Object.fromEntries(
    Object.entries((result.headers ?? {}) as Record<string, string>).filter(([name]) => !name.toLowerCase().startsWith('access-control-')),
  );
  res.writeHead(result.statusCode ?? 200, { ...resultHeaders, ...cors });
  res.end(result.body ?? '');
}

/**
 * Lambda's Invoke API, synchronous form, for operator tools (`npm run replay`) that use the AWS
 * SDK's Lambda client: locally AWS_ENDPOINT_URL_LAMBDA points here. A function error answers
 * 200 with `X-Amz-Function-Error`, as Lambda does.
 */
async function invoke(req: IncomingMessage, res: ServerResponse, fn: ((payload: unknown) => Promise<unknown>) | undefined) {
  if (!fn) return send(res, 404, { Type: 'User', Message: 'Function not found' });
  const body = await readBody(req);
  try {
    const result = await fn(JSON.parse(body?.toString('utf8') || 'null'));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(result ?? null));
  } catch (error) {
    res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
    res.end(JSON.stringify({ errorType: (error as Error).name, errorMessage: (error as Error).message }));
  }
}

/** API Gateway passes claims as strings; arrays arrive as `[a b]`. */
function flattenClaims(payload: Record<string, unknown>): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload)) {
    claims[key] = Array.isArray(value) ? `[${value.join(' ')}]` : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return claims;
}

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function gateway(res: ServerResponse, answer: keyof typeof GATEWAY_ANSWERS, headers: Record<string, string> = {}) {
  const { status, body } = GATEWAY_ANSWERS[answer];
  send(res, status, body, headers);
}

/** Stage throttling: `burstLimit` tokens, refilled at `rateLimit` a second. */
function tokenBucket(rateLimit: number, burstLimit: number): () => boolean {
  let tokens = burstLimit;
  let last = Date.now();
  return () => {
    const now = Date.now();
    tokens = Math.min(burstLimit, tokens + ((now - last) / 1000) * rateLimit);
    last = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
  if (headers.connection === 'close') res.once('finish', () => res.socket?.destroySoon());
}
