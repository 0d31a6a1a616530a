/**
 * The one error type of the project. Business code throws `AppError` with a stable
 * UPPER_SNAKE code; the HTTP layer maps it to its status. Library errors are translated
 * into an AppError once, at the adapter boundary. Every code is listed in error-catalogue.ts.
 */
import { API_ERRORS, type ApiErrorCode } from './error-catalogue';

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `smtp.port`; empty for the whole body. */
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly details?: unknown;

  constructor(code: ApiErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = API_ERRORS[code];
    this.details = details;
  }
}

export const notFound = (what: string): AppError => new AppError('NOT_FOUND', `${what} not found`);

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;
