import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Metrics, RequestSample } from '../http/env.ts';

/** How far the balance projector is behind, as the entry learns it (its `status()`). */
export interface ProjectorLagReading {
  readonly running: boolean;
  readonly lagEvents: number;
  readonly ledgersBehind: number;
}

/** The run-time connection pool's use (PostgreSQL): its size, connections in use, queries waiting for one. */
export interface PoolUse {
  readonly size: number;
  readonly inUse: number;
  readonly waiting: number;
}

export interface PrometheusOptions {
  readonly access: Metrics['access'];
  /** Each ledger's head position: the chain head, read at each scrape. */
  readonly chainHeads?: () => Promise<readonly { readonly ledgerId: string; readonly head: number }[]>;
  /** The projector's lag, read at each scrape; absent, its gauges are not exported. */
  readonly projectorLag?: () => ProjectorLagReading;
  /** The pool's use, read at each scrape; absent (PGlite), not exported. */
  readonly poolUse?: () => PoolUse;
  /** Appends by the way they went (one round trip, or why not), read at each scrape. */
  readonly appendOutcomes?: () => Readonly<Record<string, number>>;
}

/** Seconds: from a cached read (a millisecond) to a statement timeout (10 s) and past it. */
const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Events per commit: one write alone up to a full group (MAX_GROUP writes, a correction is two events). */
const COMMIT_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000];

/**
 * The Node entry's metrics in Prometheus' text exposition format, in a registry of its own (never
 * prom-client's global one): requests by route pattern and status, group-commit sizes, the
 * projector's lag, each ledger's chain head, the pool's use when known, and Node's own.
 */
export class PrometheusMetrics implements Metrics {
  readonly access: Metrics['access'];
  private readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route' | 'status'>;
  private readonly commitEvents: Histogram;

  constructor(options: PrometheusOptions) {
    this.access = options.access;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'ledger_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status', labelNames: ['method', 'route', 'status'], registers,
    });
    this.latency = new Histogram({
      name: 'ledger_http_request_duration_seconds', help: 'Time from a request received to its answer, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'], buckets: LATENCY_BUCKETS_S, registers,
    });
    this.commitEvents = new Histogram({
      name: 'ledger_group_commit_events', help: 'Events recorded per database commit by the group committer of this process', buckets: COMMIT_SIZE_BUCKETS, registers,
    });
    if (options.chainHeads) chainHeadGauge(options.chainHeads, registers);
    if (options.projectorLag) projectorGauges(options.projectorLag, registers);
    if (options.appendOutcomes) appendCounter(options.appendOutcomes, registers);
    if (options.poolUse) poolGauges(options.poolUse, registers);
  }

  requestServed(sample: RequestSample): void {
    const labels = { method: sample.method, route: sample.route, status: String(sample.status) };
    this.requests.inc(labels);
    this.latency.observe(labels, sample.durationS);
  }

  /** A commit of the group committer: how many events it recorded. */
  committed(events: number): void {
    if (events > 0) this.commitEvents.observe(events);
  }

  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}

function chainHeadGauge(chainHeads: NonNullable<PrometheusOptions['chainHeads']>, registers: Registry[]): void {
  new Gauge({
    name: 'ledger_chain_head_position', help: 'The position of the last event of each ledger (its hash chain head), at scrape time', labelNames: ['ledger'], registers,
    async collect() {
      this.reset(); // a ledger is never removed, but a scrape must not keep labels it did not read
      for (const { ledgerId, head } of await chainHeads()) this.set({ ledger: ledgerId }, head);
    },
  });
}

function projectorGauges(read: () => ProjectorLagReading, registers: Registry[]): void {
  const gauge = (name: string, help: string, value: (lag: ProjectorLagReading) => number) => new Gauge({
    name, help, registers,
    collect() {
      this.set(value(read()));
    },
  });
  gauge('ledger_projector_lag_events', 'Events in the log not yet folded into balance checkpoints, over all ledgers, as of the projector\'s last look', (lag) => lag.lagEvents);
  gauge('ledger_projector_ledgers_behind', 'Ledgers the projector has not caught up with, as of its last look', (lag) => lag.ledgersBehind);
  gauge('ledger_projector_running', '1 while the balance projector runs in this process', (lag) => (lag.running ? 1 : 0));
}

function appendCounter(read: () => Readonly<Record<string, number>>, registers: Registry[]): void {
  new Counter({
    name: 'ledger_appends_total',
    help: 'Appends of this process: oneTrip (decided before the lock, one round trip), locked (a large batch decided under the lock on what the process knew), unknown (something to load first), the SQLSTATE of the check that sent it the slow way (LA001 to LA004, 23505), or error (the database failed or the connection was lost, the outcome unknown to the process)',
    labelNames: ['way'], registers,
    collect() {
      this.reset();
      for (const [way, count] of Object.entries(read())) this.inc({ way }, count);
    },
  });
}

function poolGauges(read: () => PoolUse, registers: Registry[]): void {
  new Gauge({
    name: 'ledger_db_pool_connections', help: 'The run-time connection pool: its size, connections in use, requests waiting for one', labelNames: ['state'], registers,
    collect() {
      const use = read();
      this.set({ state: 'size' }, use.size);
      this.set({ state: 'in_use' }, use.inUse);
      this.set({ state: 'waiting' }, use.waiting);
    },
  });
}
