/**
 * The API's CORS policy, one definition for both places that enforce it: API Gateway's
 * `corsPreflight` on AWS (CDK context `corsAllowedOrigins`) and the local server
 * (`CORS_ALLOWED_ORIGINS`). The handlers never set CORS headers: API Gateway ignores those of
 * an integration when CORS is configured. The mail bucket's rule for presigned uploads derives
 * from the same allowed origins (`uploadCorsRules`).
 */
import { UPLOAD_SIGNED_HEADERS } from '../messages/attachment-uploads';

/** Default allowed origins: the usual dev servers of a frontend (Vite, and a second app on 3001). */
export const DEFAULT_CORS_ALLOWED_ORIGINS = ['http://localhost:5173', 'http://localhost:3001'] as const;

export const CORS_POLICY = {
  /** Lower-case, as API Gateway answers them. */
  allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
  allowMethods: ['GET', 'PUT', 'POST', 'DELETE'],
  /** A throttled or rate-limited caller needs to read when to come back. */
  exposeHeaders: ['retry-after'],
  /** How long a browser may reuse a preflight answer. */
  maxAgeSeconds: 600,
} as const;

/**
 * Parses a comma-separated list of origins (`scheme://host[:port]`, no path, no wildcard).
 * Returns the origins and a problem per entry that is not one.
 */
export function parseCorsOrigins(text: string): { origins: string[]; problems: string[] } {
  const origins: string[] = [];
  const problems: string[] = [];
  for (const item of text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')) {
    let url: URL | undefined;
    try {
      url = new URL(item);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== item.replace(/\/$/, '')) {
      problems.push(`"${item}" is not an origin (scheme://host[:port], no path, no wildcard)`);
      continue;
    }
    origins.push(url.origin);
  }
  return { origins, problems };
}

/** The CORS headers API Gateway adds to an answer for a request from `origin`; none for other origins. */
export function corsResponseHeaders(origin: string | undefined, allowedOrigins: readonly string[]): Record<string, string> {
  if (!origin || !allowedOrigins.includes(origin)) return {};
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': CORS_POLICY.exposeHeaders.join(',') };
}

/** The headers of API Gateway's own answer (204) to a preflight from an allowed origin. */
export function corsPreflightHeaders(origin: string, allowedOrigins: readonly string[]): Record<string, string> {
  if (!allowedOrigins.includes(origin)) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': CORS_POLICY.allowMethods.join(','),
    'access-control-allow-headers': CORS_POLICY.allowHeaders.join(','),
    'access-control-expose-headers': CORS_POLICY.exposeHeaders.join(','),
    'access-control-max-age': String(CORS_POLICY.maxAgeSeconds),
  };
}

/** A CORS rule of the mail bucket, in S3's terms. */
export interface BucketCorsRule {
  allowedOrigins: string[];
  allowedMethods: 'PUT'[];
  allowedHeaders: string[];
  maxAgeSeconds: number;
}

/** Headers a page cannot set (the browser sets them itself): they need no CORS permission. */
const SET_BY_THE_BROWSER: ReadonlySet<string> = new Set(['content-length']);

/**
 * The mail bucket's CORS rules, for the frontend's presigned uploads (`POST /v1/attachments`
 * answers an `uploadUrl`, the page PUTs the file straight to S3): the API's allowed origins,
 * `PUT` only, and of the headers the PUT is signed with those a page sends itself. Nothing
 * else: no GET, no other header (the presigned URL carries its signature in the query). No
 * rule without an allowed origin. On AWS the bucket's CORS configuration
 * (infra/constructs/mail-bucket.ts), locally s3rver's (infra/local/local-s3.ts).
 */
export function uploadCorsRules(allowedOrigins: readonly string[]): BucketCorsRule[] {
  if (allowedOrigins.length === 0) return [];
  return [
    {
      allowedOrigins: [...allowedOrigins],
      allowedMethods: ['PUT'],
      allowedHeaders: UPLOAD_SIGNED_HEADERS.filter((header) => !SET_BY_THE_BROWSER.has(header)),
      maxAgeSeconds: CORS_POLICY.maxAgeSeconds,
    },
  ];
}
