/**
 * The HTTP API's route table: which Lambda serves each route and whether it needs a token.
 * Plain data, read by the CDK stack (routes and integrations), by the local HTTP server, and
 * by the handlers themselves, so that a route exists in one place only.
 */
export const API_FUNCTIONS = ['platform', 'email-settings', 'candidates', 'messages'] as const;
export type ApiFunction = (typeof API_FUNCTIONS)[number];

export interface ApiRoute {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  fn: ApiFunction;
  /** Routes with `public: true` skip the JWT authorizer. */
  public?: boolean;
}

export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'GET', path: '/v1/health', fn: 'platform', public: true },
  { method: 'GET', path: '/v1/openapi.json', fn: 'platform', public: true },
  { method: 'GET', path: '/v1/egress-ips', fn: 'platform' },
  { method: 'GET', path: '/v1/email-providers', fn: 'platform' },
  { method: 'GET', path: '/v1/email-settings', fn: 'email-settings' },
  { method: 'GET', path: '/v1/email-settings/{scope}', fn: 'email-settings' },
  { method: 'PUT', path: '/v1/email-settings/{scope}', fn: 'email-settings' },
  { method: 'DELETE', path: '/v1/email-settings/{scope}', fn: 'email-settings' },
  { method: 'POST', path: '/v1/email-settings/{scope}/test', fn: 'email-settings' },
  { method: 'POST', path: '/v1/email-settings/{scope}/redirect-test', fn: 'email-settings' },
  { method: 'POST', path: '/v1/email-settings/{scope}/oauth/{provider}/start', fn: 'email-settings' },
  { method: 'POST', path: '/v1/email-settings/{scope}/oauth/{provider}/complete', fn: 'email-settings' },
  { method: 'PUT', path: '/v1/candidates/{candidateId}', fn: 'candidates' },
  { method: 'GET', path: '/v1/candidates/{candidateId}', fn: 'candidates' },
  { method: 'DELETE', path: '/v1/candidates/{candidateId}', fn: 'candidates' },
  { method: 'POST', path: '/v1/candidates/{candidateId}/messages', fn: 'messages' },
  { method: 'GET', path: '/v1/candidates/{candidateId}/messages', fn: 'messages' },
  { method: 'GET', path: '/v1/messages/unassigned', fn: 'messages' },
  { method: 'GET', path: '/v1/messages/{messageId}', fn: 'messages' },
  { method: 'POST', path: '/v1/messages/{messageId}/assign', fn: 'messages' },
  { method: 'POST', path: '/v1/attachments', fn: 'messages' },
];

export const routeKey = (route: Pick<ApiRoute, 'method' | 'path'>): string => `${route.method} ${route.path}`;

/** Finds the route for a concrete request path, with its path parameters (as API Gateway does). */
export function matchRoute(
  method: string,
  rawPath: string,
): { route: ApiRoute; pathParameters: Record<string, string> } | { allowedMethods: string[] } | null {
  const allowed: string[] = [];
  for (const route of API_ROUTES) {
    const params = matchPath(route.path, rawPath);
    if (!params) continue;
    if (route.method === method) return { route, pathParameters: params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { allowedMethods: allowed } : null;
}

function matchPath(template: string, rawPath: string): Record<string, string> | null {
  const want = template.split('/');
  const got = rawPath.replace(/\/+$/, '').split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i];
    if (segment.startsWith('{') && segment.endsWith('}')) {
      if (got[i] === '') return null;
      try {
        params[segment.slice(1, -1)] = decodeURIComponent(got[i]);
      } catch {
        return null;
      }
    } else if (segment !== got[i]) {
      return null;
    }
  }
  return params;
}
