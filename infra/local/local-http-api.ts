import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type ApiFunction, matchRoute, routeKey } from '../../functions/routes';
import { localLambdaContext } from './lambda-context';
import { verifyLocalToken } from './local-jwt';

export type ApiLambda = (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** API Gateway's payload limit for HTTP APIs. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

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
}): Promise<LocalHttpApi> {
  const server = createServer((req, res) => {
    serve(req, res, options).catch((error: unknown) => {
      process.stderr.write(`local api: ${(error as Error).stack ?? String(error)}\n`);
      if (!res.headersSent) send(res, 500, { error: { code: 'INTERNAL', message: 'Internal error' } });
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

async function serve(req: IncomingMessage, res: ServerResponse, options: ServeOptions) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = (req.method ?? 'GET').toUpperCase();
  const invocation = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
  if (method === 'POST' && invocation) return invoke(req, res, options.functions[decodeURIComponent(invocation[1])]);
  const control = options.localControls?.[`${method} ${url.pathname}`];
  if (control) return send(res, 200, await control());
  const match = matchRoute(method, url.pathname);
  if (!match) return send(res, 404, { error: { code: 'NOT_FOUND', message: `No route for ${method} ${url.pathname}` } });
  if ('allowedMethods' in match) {
    return send(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `Use ${match.allowedMethods.join(', ')}` } }, { allow: match.allowedMethods.join(', ') });
  }

  const body = await readBody(req);
  if (body === null) {
    // The rest of the body is not read: tell the client this connection ends here.
    return send(res, 413, { error: { code: 'PAYLOAD_TOO_LARGE', message: `The request body exceeds ${MAX_BODY_BYTES} bytes` } }, { connection: 'close' });
  }

  let claims: Record<string, string> | undefined;
  if (!match.route.public) {
    const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return send(res, 401, { error: { code: 'UNAUTHORIZED', message: 'Missing bearer token' } });
    try {
      claims = flattenClaims(await verifyLocalToken(options.jwtSecret, token));
    } catch (error) {
      return send(res, 401, { error: { code: 'UNAUTHORIZED', message: `Invalid token: ${(error as Error).message}` } });
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

  const result = await options.handlers[match.route.fn](event, localLambdaContext(`local-${match.route.fn}-api`));
  res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
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

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
  if (headers.connection === 'close') res.once('finish', () => res.socket?.destroySoon());
}
