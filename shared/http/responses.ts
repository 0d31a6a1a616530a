import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import type { AppError, FieldIssue } from '../errors';

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { ...JSON_HEADERS, ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

export function errorResponse(error: AppError): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = {};
  const retryAfter = (error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
  if (error.status === 429 && retryAfter) headers['retry-after'] = String(retryAfter);
  const body = { error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) } };
  return jsonResponse(error.status, body, headers);
}

export function issuesFromZod(error: z.ZodError, prefix: string): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((part) => part !== '').join('.');
    const keys = (issue as { keys?: string[] }).keys;
    const message = issue.code === 'unrecognized_keys' && keys ? `unknown field(s): ${keys.join(', ')}` : issue.message;
    return { path, message };
  });
}
