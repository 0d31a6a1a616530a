import { OPERATIONS_BY_FUNCTION, type ApiFunction } from '../shared/api/operations';

/**
 * The HTTP API's route table: which Lambda serves each route and whether it needs a token.
 * Derived from the operation specs (shared/api/operations.ts), which are the one place for each
 * route's method, path, access rule and function; read by the CDK stack (routes and
 * integrations) and by the local server.
 */
export type { ApiFunction };
export const API_FUNCTIONS = Object.keys(OPERATIONS_BY_FUNCTION) as ApiFunction[];

export interface ApiRoute {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  fn: ApiFunction;
  /** Routes with `public: true` skip the JWT authorizer. */
  public?: boolean;
}

export const API_ROUTES: readonly ApiRoute[] = API_FUNCTIONS.flatMap((fn) =>
  Object.values(OPERATIONS_BY_FUNCTION[fn]).map(
    (spec): ApiRoute => ({ method: spec.method, path: spec.path, fn, ...(spec.access === 'public' ? { public: true } : {}) }),
  ),
);

export const routeKey = (route: Pick<ApiRoute, 'method' | 'path'>): string => `${route.method} ${route.path}`;

/** Finds the route for a concrete request path, with its path parameters (as API Gateway does). */
export function matchRoute(
  method: string,
  rawPath: string,
): { route: ApiRoute; pathParameters: Record<string, string> } | { allowedMethods: string[] } | null {
  const allowed: string[] = [];
  let best: { route: ApiRoute; pathParameters: Record<string, string> } | null = null;
  for (const route of API_ROUTES) {
    const params = matchPath(route.path, rawPath);
    if (!params) continue;
    if (route.method !== method) {
      allowed.push(route.method);
      continue;
    }
    // As API Gateway does, a literal segment wins over a parameter (`/v1/messages/unassigned`
    // over `/v1/messages/{messageId}`), whatever the order of the operations.
    if (!best || Object.keys(params).length < Object.keys(best.pathParameters).length) best = { route, pathParameters: params };
  }
  if (best) return best;
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
