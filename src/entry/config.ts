import { DEFAULT_LIMITS, type Limits } from '../adapters/http/limits.ts';
import { MAX_BATCH, MAX_PAGE_SIZE, MAX_POSTINGS } from '../adapters/http/schemas.ts';
import { DEFAULT_DATA_DIR } from './data-dir.ts';

/** Settings from the environment, read once by an entry and passed down: no module reads env. */
export interface Config {
  readonly port: number;
  readonly databaseUrl: string | undefined;
  /** A streaming replica of `databaseUrl` for reads pinned to a past point; PostgreSQL only. */
  readonly replicaUrl: string | undefined;
  readonly dataDir: string;
  readonly bootstrapAdminKey: string | undefined;
  readonly limits: Limits;
  /** PostgreSQL's `statement_timeout` for the service's queries; 0 is none. */
  readonly statementTimeoutMs: number;
  /** How long a start waits for PostgreSQL to answer before it gives up (`LEDGER_DB_WAIT_S`). */
  readonly databaseWaitS: number;
  /** The least level logged (`LEDGER_LOG_LEVEL`): fatal, error, warn, info, debug or trace. */
  readonly logLevel: string;
  /** Signs the digest's checkpoints (`LEDGER_SIGNING_KEY`, a signed-note signer key: spec section 12). */
  readonly signingKey: string | undefined;
  /** Who may read `GET /metrics` (`LEDGER_METRICS`): admin keys (the default), anyone, or nobody (`off`: no route). */
  readonly metrics: MetricsAccess;
  /** The most events the projector may be behind for `/ready` to answer 200 (`LEDGER_READY_MAX_LAG`). */
  readonly readyMaxLagEvents: number;
}

export type MetricsAccess = 'admin' | 'open' | 'off';
const METRICS_ACCESS = ['admin', 'open', 'off'] as const;
export const DEFAULT_READY_MAX_LAG_EVENTS = 100_000;

type Env = Record<string, string | undefined>;

export const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;
export const DEFAULT_DATABASE_WAIT_S = 60;

/** A whole number from the environment in [min, max], or the default when unset. */
function whole(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, not ${text}`);
  return value;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function oneOf(env: Env, name: string, values: readonly string[], fallback: string): string {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!values.includes(text)) throw new Error(`${name} must be one of ${values.join(', ')}, not ${text}`);
  return text;
}

function limitsFrom(env: Env): Limits {
  const ratePerSecond = whole(env, 'LEDGER_RATE_LIMIT', DEFAULT_LIMITS.ratePerSecond, 0, 1_000_000);
  return {
    maxBodyBytes: whole(env, 'LEDGER_MAX_BODY_BYTES', DEFAULT_LIMITS.maxBodyBytes, 1024, 64 * 1024 * 1024),
    maxPostings: whole(env, 'LEDGER_MAX_POSTINGS', DEFAULT_LIMITS.maxPostings, 2, MAX_POSTINGS),
    maxBatch: whole(env, 'LEDGER_MAX_BATCH', DEFAULT_LIMITS.maxBatch, 1, MAX_BATCH),
    maxPageSize: whole(env, 'LEDGER_MAX_PAGE_SIZE', DEFAULT_LIMITS.maxPageSize, 1, MAX_PAGE_SIZE),
    ratePerSecond,
    rateBurst: whole(env, 'LEDGER_RATE_BURST', env.LEDGER_RATE_LIMIT ? ratePerSecond * 2 : DEFAULT_LIMITS.rateBurst, 1, 10_000_000),
  };
}

export function configFrom(env: Env): Config {
  if (env.DATABASE_REPLICA_URL && !env.DATABASE_URL) throw new Error('DATABASE_REPLICA_URL needs DATABASE_URL: a replica of which database?');
  return {
    port: whole(env, 'PORT', 3000, 0, 65535),
    databaseUrl: env.DATABASE_URL || undefined,
    replicaUrl: env.DATABASE_REPLICA_URL || undefined,
    dataDir: env.DATA_DIR || DEFAULT_DATA_DIR,
    bootstrapAdminKey: env.LEDGER_BOOTSTRAP_ADMIN_KEY || undefined,
    limits: limitsFrom(env),
    statementTimeoutMs: whole(env, 'LEDGER_STATEMENT_TIMEOUT_MS', DEFAULT_STATEMENT_TIMEOUT_MS, 0, 3_600_000),
    databaseWaitS: whole(env, 'LEDGER_DB_WAIT_S', DEFAULT_DATABASE_WAIT_S, 0, 86_400),
    logLevel: oneOf(env, 'LEDGER_LOG_LEVEL', LOG_LEVELS, 'info'),
    signingKey: env.LEDGER_SIGNING_KEY || undefined,
    metrics: oneOf(env, 'LEDGER_METRICS', METRICS_ACCESS, 'admin') as MetricsAccess,
    readyMaxLagEvents: whole(env, 'LEDGER_READY_MAX_LAG', DEFAULT_READY_MAX_LAG_EVENTS, 0, 1_000_000_000),
  };
}
