import postgres from 'postgres';

// How far the service's balance projector is behind, read from the database it projects into:
// events in the log not yet projected, summed over the ledgers (ledger_projector_lag()).

export interface ProjectorWatch {
  lagEvents(): Promise<number>;
  /** Milliseconds until nothing is left to project, polling every 10 ms (NaN past `timeoutMs`). */
  caughtUpMs(timeoutMs?: number): Promise<number>;
  /** The most events behind seen, sampling every 100 ms while `work` runs. */
  maxLagWhile<T>(work: Promise<T>): Promise<{ result: T; maxLagEvents: number }>;
  close(): Promise<void>;
}

export function watchProjector(databaseUrl: string): ProjectorWatch {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const lagEvents = async () => Number((await sql<{ lag: string }[]>`select coalesce(sum(head - projected), 0)::text as lag from ledger_projector_lag()`)[0]!.lag);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  return {
    lagEvents,
    async caughtUpMs(timeoutMs = 60_000) {
      const started = performance.now();
      while ((await lagEvents()) > 0) {
        if (performance.now() - started > timeoutMs) return NaN;
        await sleep(10);
      }
      return performance.now() - started;
    },
    async maxLagWhile(work) {
      let maxLagEvents = 0;
      let done = false;
      const sampling = (async () => {
        while (!done) {
          maxLagEvents = Math.max(maxLagEvents, await lagEvents());
          await sleep(100);
        }
      })();
      try {
        return { result: await work, maxLagEvents };
      } finally {
        done = true;
        await sampling;
      }
    },
    close: () => sql.end({ timeout: 5 }),
  };
}
