import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from './env.ts';
import type { ErrorCode, FieldError, Rejection } from '../../domain/rejection.ts';

/** The one map from error code to HTTP status. */
export const STATUS_OF: Readonly<Record<ErrorCode, ContentfulStatusCode>> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  IDEMPOTENCY_CONFLICT: 409,
  ALREADY_REVERSED: 409,
  NOT_REVERSIBLE: 409,
  HOLD_NOT_PENDING: 409,
  HOLD_EXPIRED: 409,
  PERIOD_CLOSED: 409,
  ACCOUNT_CLOSED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNBALANCED: 422,
  CURRENCY_MISMATCH: 422,
  SCALE_EXCEEDED: 422,
  UNKNOWN_ACCOUNT: 422,
  INSUFFICIENT_FUNDS: 422,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
};

const TITLES: Readonly<Record<ErrorCode, string>> = {
  VALIDATION_FAILED: 'The request is not valid',
  UNAUTHORIZED: 'A valid API key is required',
  FORBIDDEN: 'The API key may not do this',
  NOT_FOUND: 'Not found',
  IDEMPOTENCY_CONFLICT: 'The idempotency key was used for a different request',
  ALREADY_REVERSED: 'The transaction is already reversed',
  NOT_REVERSIBLE: 'The transaction cannot be reversed',
  HOLD_NOT_PENDING: 'The hold is no longer pending',
  HOLD_EXPIRED: 'The hold has expired',
  PERIOD_CLOSED: 'The period is closed',
  ACCOUNT_CLOSED: 'The account is closed',
  PAYLOAD_TOO_LARGE: 'The request body is too large',
  UNBALANCED: 'The transaction does not balance',
  CURRENCY_MISMATCH: 'Currency mismatch',
  SCALE_EXCEEDED: 'Too many fraction digits for the asset',
  UNKNOWN_ACCOUNT: 'Unknown account',
  INSUFFICIENT_FUNDS: 'Insufficient funds',
  RATE_LIMITED: 'Too many requests',
  UNAVAILABLE: 'The service is unavailable',
};

/** A rejection on its way out through `app.onError`. */
export class ProblemError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, detail: string, errors?: readonly FieldError[], headers: Record<string, string> = {}) {
    super(detail);
    this.code = code;
    this.detail = detail;
    this.errors = errors;
    this.headers = headers;
  }

  static of(rejection: Rejection): ProblemError {
    return new ProblemError(rejection.code, rejection.detail, rejection.errors);
  }
}

/** The RFC 9457 body of a problem. */
export function problemBody(code: ErrorCode, detail: string, errors?: readonly FieldError[]) {
  return {
    type: `https://ledger.example/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLES[code],
    status: STATUS_OF[code],
    detail,
    code,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/** RFC 9457 problem+json. */
export function problemResponse(c: Context<AppEnv>, code: ErrorCode, detail: string, errors?: readonly FieldError[], headers: Record<string, string> = {}): Response {
  c.set('problem', code);
  return c.body(JSON.stringify(problemBody(code, detail, errors)), STATUS_OF[code], { ...headers, 'Content-Type': 'application/problem+json' });
}
