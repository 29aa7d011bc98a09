/** The stable codes of the spec; the HTTP adapter maps each to its status in one place. */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'IDEMPOTENCY_CONFLICT'
  | 'ALREADY_REVERSED'
  | 'NOT_REVERSIBLE'
  | 'HOLD_NOT_PENDING'
  | 'HOLD_EXPIRED'
  | 'PERIOD_CLOSED'
  | 'ACCOUNT_CLOSED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNBALANCED'
  | 'CURRENCY_MISMATCH'
  | 'SCALE_EXCEEDED'
  | 'UNKNOWN_ACCOUNT'
  | 'INSUFFICIENT_FUNDS'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE';

export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/** An expected business outcome that records nothing: a value, never an exception. */
export interface Rejection {
  readonly rejected: true;
  readonly code: ErrorCode;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
}

export function reject(code: ErrorCode, detail: string, errors?: readonly FieldError[]): Rejection {
  return errors ? { rejected: true, code, detail, errors } : { rejected: true, code, detail };
}

export function isRejection(value: unknown): value is Rejection {
  return typeof value === 'object' && value !== null && (value as { rejected?: unknown }).rejected === true;
}

const BUSINESS_REFUSALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'IDEMPOTENCY_CONFLICT', 'ALREADY_REVERSED', 'NOT_REVERSIBLE', 'HOLD_NOT_PENDING', 'HOLD_EXPIRED', 'PERIOD_CLOSED', 'ACCOUNT_CLOSED',
  'UNBALANCED', 'CURRENCY_MISMATCH', 'SCALE_EXCEEDED', 'UNKNOWN_ACCOUNT', 'INSUFFICIENT_FUNDS',
]);

/** A refusal by a rule of the ledger (409 or 422), as opposed to a malformed or misdirected request. */
export const isBusinessRefusal = (rejection: Rejection) => BUSINESS_REFUSALS.has(rejection.code);
