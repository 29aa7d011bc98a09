/** One check of `/ready`: passed, or failed with a reason; `detail` holds figures worth showing either way. */
export type CheckOutcome = { readonly ok: true; readonly detail?: Record<string, unknown> } | { readonly ok: false; readonly reason: string; readonly detail?: Record<string, unknown> };

export interface ReadinessReport {
  readonly ready: boolean;
  /** The names of the checks that failed, in order. */
  readonly failed: readonly string[];
  readonly checks: Readonly<Record<string, CheckOutcome>>;
}

export interface ReadinessProbes {
  /** Resolves when the database answers, rejects (or answers a reason) when it does not. */
  readonly database: () => Promise<string | undefined>;
  /** The newest migration the database has, and the newest this code needs. */
  readonly schemaVersions: () => Promise<{ readonly applied: number; readonly needed: number }>;
  /** Events the balance projector is behind by; absent where no projector runs (the Worker). */
  readonly projectorLagEvents?: () => { readonly running: boolean; readonly lagEvents: number };
  /** The most lag that still counts as ready. */
  readonly maxLagEvents: number;
}

const failure = (reason: string, detail?: Record<string, unknown>): CheckOutcome => (detail ? { ok: false, reason, detail } : { ok: false, reason });
const why = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Whether this process should get traffic: the database answers, its schema is at least the one
 * this code needs (a newer one is a newer release's rolling deploy), and the projector is within
 * its lag bound. The schema is not asked of a database that does not answer (no `migrations` then).
 */
export async function readiness(probes: ReadinessProbes): Promise<ReadinessReport> {
  const checks: Record<string, CheckOutcome> = {};
  const down = await probes.database().catch(why);
  checks.database = down === undefined ? { ok: true } : failure(down);
  if (down === undefined) {
    checks.migrations = await probes.schemaVersions().then(
      ({ applied, needed }) => applied >= needed
        ? { ok: true, detail: { applied, needed } }
        : failure(`the database schema is at migration ${applied} and this code needs ${needed}: run \`npm run migrate\``, { applied, needed }),
      (error: unknown) => failure(why(error)),
    );
  }
  if (probes.projectorLagEvents) {
    const { running, lagEvents } = probes.projectorLagEvents();
    const detail = { lagEvents, maxLagEvents: probes.maxLagEvents };
    checks.projector = !running ? failure('the balance projector is not running', detail)
      : lagEvents > probes.maxLagEvents ? failure(`the balance projector is ${lagEvents} events behind, over the bound of ${probes.maxLagEvents}`, detail)
        : { ok: true, detail };
  }
  const failed = Object.entries(checks).filter(([, outcome]) => !outcome.ok).map(([name]) => name);
  return { ready: failed.length === 0, failed, checks };
}
