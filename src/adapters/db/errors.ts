/**
 * SQLSTATE classes and driver codes that say the database cannot answer now (a statement
 * timeout, a restart, a lost or refused connection), not that the request is wrong.
 */
const UNAVAILABLE_SQLSTATES = /^(08...|57014|57P0[1-4]|53300|53400)$/;
const UNAVAILABLE_DRIVER_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT']);

/** True for an error a client should retry later: 503 with Retry-After. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return UNAVAILABLE_SQLSTATES.test(code) || UNAVAILABLE_DRIVER_CODES.has(code);
  // On workerd, a refused connection surfaces as a plain Error without a code.
  return error instanceof Error && error.message === 'connection attempt failed';
}

/** True when PostgreSQL cancelled a statement that ran past `statement_timeout`. */
export const isStatementTimeout = (error: unknown) => (error as { code?: unknown } | null)?.code === '57014';

/** Unavailable, but not merely slow: the connection or the server is gone, or refuses new sessions. */
export const isDatabaseGone = (error: unknown) => isDatabaseUnavailable(error) && !isStatementTimeout(error);
