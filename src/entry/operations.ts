import type { DatabaseAvailability } from '../app/database-availability.ts';
import { readiness, type ReadinessReport } from '../app/readiness.ts';
import type { Database } from '../adapters/db/database.ts';
import { readMigrations } from '../adapters/db/migrations-dir.ts';
import { PrometheusMetrics, type PrometheusOptions, type ProjectorLagReading } from '../adapters/metrics/prometheus.ts';
import type { Config } from './config.ts';
import { SQL_DIR } from './open-database.ts';
import { appliedSchemaVersion } from './schema-version.ts';

export interface OperationsWiring {
  readonly config: Config;
  readonly database: Database;
  readonly availability?: DatabaseAvailability | undefined;
  /** The balance projector, for its lag: /ready's bound and the metrics' gauges. */
  readonly projector?: { status(): ProjectorLagReading } | undefined;
  readonly chainHeads?: PrometheusOptions['chainHeads'];
  readonly appendOutcomes?: PrometheusOptions['appendOutcomes'];
}

/**
 * The Node entry's `/metrics` (unless LEDGER_METRICS=off) and `/ready`. A schema found current
 * is not asked again: migrations only move forward.
 */
export function operationsFor(wiring: OperationsWiring): { metrics: PrometheusMetrics | undefined; readiness: () => Promise<ReadinessReport> } {
  const { config, database, availability, projector } = wiring;
  const metrics = config.metrics === 'off' ? undefined : new PrometheusMetrics({
    access: config.metrics,
    ...(wiring.chainHeads ? { chainHeads: wiring.chainHeads } : {}),
    ...(projector ? { projectorLag: () => projector.status() } : {}),
    ...(database.poolUse ? { poolUse: () => database.poolUse!() } : {}),
    ...(wiring.appendOutcomes ? { appendOutcomes: wiring.appendOutcomes } : {}),
  });
  let needed: Promise<number> | undefined;
  let currentAt: number | undefined;
  const schemaVersions = async () => {
    needed ??= readMigrations(SQL_DIR).then((migrations) => Math.max(0, ...migrations.map((m) => m.version)));
    const want = await needed;
    if (currentAt !== undefined) return { applied: currentAt, needed: want };
    const applied = await appliedSchemaVersion(database);
    if (applied >= want) currentAt = applied;
    return { applied, needed: want };
  };
  const databaseDown = async () => {
    if (!availability) return database.ping().then(() => undefined);
    const state = await availability.check();
    return state.reachable ? undefined : `unreachable since ${new Date(state.sinceMs).toISOString()}: ${state.reason}`;
  };
  return {
    metrics,
    readiness: () => readiness({
      database: databaseDown, schemaVersions, maxLagEvents: config.readyMaxLagEvents,
      ...(projector ? { projectorLagEvents: () => projector.status() } : {}),
    }),
  };
}
