import type { ApiKeyCache } from '../../app/api-keys.ts';
import type { DatabaseAvailability } from '../../app/database-availability.ts';
import type { ReadinessReport } from '../../app/readiness.ts';
import type { ApiKeyRow, LedgerStore } from '../../app/ports.ts';
import type { GroupCommitter } from '../../app/group-commit.ts';
import type { TreeReader } from '../../app/proofs.ts';
import type { NoteSigner } from '../../app/signed-note.ts';
import type { ErrorCode } from '../../domain/rejection.ts';
import type { ReadReplica } from '../db/read-replica.ts';
import type { Limits } from './limits.ts';
import type { RequestCounters } from './metrics.ts';

/** One JSON object per line, without secrets. */
export type LogLine = Record<string, unknown>;

/** Where the app writes its log: a line per request (info), and errors it did not expect. */
export interface Logger {
  info(line: LogLine): void;
  warn(line: LogLine): void;
  error(line: LogLine): void;
}

/** A request answered, as the metrics count it: `route` is the route's pattern, never the raw path. */
export interface RequestSample {
  readonly method: string;
  readonly route: string;
  readonly status: number;
  readonly durationS: number;
}

/** The metrics an entry keeps (the Node entry's prom-client registry), served at `GET /metrics`. */
export interface Metrics {
  /** Who may read /metrics: anyone, or admin keys only (`LEDGER_METRICS`; `off` is no Metrics at all). */
  readonly access: 'open' | 'admin';
  requestServed(sample: RequestSample): void;
  /** The text exposition format, and its Content-Type. */
  exposition(): Promise<{ contentType: string; text: string }>;
}

/** The browser files of the API reference (/docs): Swagger UI's, from its package, and the page's own starter. */
export interface DocsAssets {
  readonly 'swagger-ui.css': string;
  readonly 'swagger-ui-bundle.js': string;
  readonly 'swagger-init.js': string;
}

export interface AppDeps {
  readonly store: LedgerStore;
  readonly committer: GroupCommitter;
  readonly logger?: Logger;
  /** Aborted when the process is stopping: long-lived responses (the SSE stream) end then. */
  readonly shutdown?: AbortSignal;
  /** DEFAULT_LIMITS when not given. */
  readonly limits?: Limits;
  /** A streaming replica for reads pinned to a past point (`DATABASE_REPLICA_URL`). */
  readonly readReplica?: ReadReplica;
  /** Whether the database answers (PostgreSQL): /v1 is refused at once while it does not, and /health says so. */
  readonly availability?: DatabaseAvailability;
  /** The Merkle tree's store: proofs and the tree head of the digest (spec section 12). None: no proofs. */
  readonly tree?: TreeReader;
  /** Signs the digest's checkpoints (`LEDGER_SIGNING_KEY`). None: digests carry no checkpoint. */
  readonly signer?: NoteSigner;
  /** Where /docs finds its scripts and style: each entry reads them its own way (a file, a bundled text). */
  readonly docsAssets?: () => DocsAssets | Promise<DocsAssets>;
  /** Prometheus metrics at /metrics; absent, there is no such route (the Worker, `LEDGER_METRICS=off`). */
  readonly metrics?: Metrics;
  /** What `/ready` checks (app/readiness.ts); absent, there is nothing to check and /ready answers 200. */
  readonly readiness?: () => Promise<ReadinessReport>;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    key: ApiKeyRow | null;
    deps: AppDeps;
    /** The keys this app has seen, each trusted for KEY_CACHE_MS. */
    keys: ApiKeyCache;
    limits: Limits;
    counters: RequestCounters;
    /** The code of the problem this request is answered with, for the log and the counters. */
    problem: ErrorCode | undefined;
    /** The request's body as text, once read (request-guards.ts). */
    bodyText: string | undefined;
    /** Where a read was answered from: the replica when it was pinned and the replica had it. */
    readFrom: 'primary' | 'replica';
  };
}
