import { describe, expect, it } from 'vitest';
import { readiness, type ReadinessProbes } from '../../src/app/readiness.ts';

// The decision of /ready over its probes. The states a test can bring about for real (the
// database stopped, the schema behind) are also checked end to end: test/db/outage.int.test.ts,
// test/http/ready.e2e.test.ts and test/http/worker.e2e.test.ts.

const probes = (overrides: Partial<ReadinessProbes> = {}): ReadinessProbes => ({
  database: async () => undefined,
  schemaVersions: async () => ({ applied: 14, needed: 14 }),
  projectorLagEvents: () => ({ running: true, lagEvents: 0 }),
  maxLagEvents: 100,
  ...overrides,
});

describe('readiness', () => {
  it('is ready when every check passes, with the figures', async () => {
    expect(await readiness(probes())).toEqual({
      ready: true, failed: [],
      checks: {
        database: { ok: true },
        migrations: { ok: true, detail: { applied: 14, needed: 14 } },
        projector: { ok: true, detail: { lagEvents: 0, maxLagEvents: 100 } },
      },
    });
  });

  it('names the database, and does not ask a database that does not answer for its schema', async () => {
    let asked = false;
    const report = await readiness(probes({
      database: async () => { throw new Error('connect ECONNREFUSED'); },
      schemaVersions: async () => { asked = true; return { applied: 14, needed: 14 }; },
    }));
    expect(report).toMatchObject({ ready: false, failed: ['database'], checks: { database: { ok: false, reason: 'connect ECONNREFUSED' } } });
    expect(report.checks.migrations).toBeUndefined();
    expect(asked).toBe(false);
  });

  it('is not ready with a schema behind the code, and is with one ahead (a newer release rolling out)', async () => {
    const behind = await readiness(probes({ schemaVersions: async () => ({ applied: 12, needed: 14 }) }));
    expect(behind).toMatchObject({ ready: false, failed: ['migrations'] });
    expect(behind.checks.migrations).toMatchObject({ ok: false, reason: expect.stringContaining('at migration 12 and this code needs 14') });
    expect((await readiness(probes({ schemaVersions: async () => ({ applied: 15, needed: 14 }) }))).ready).toBe(true);
  });

  it('holds the projector to its bound: at the bound is ready, past it or stopped is not', async () => {
    expect((await readiness(probes({ projectorLagEvents: () => ({ running: true, lagEvents: 100 }) }))).ready).toBe(true);
    const behind = await readiness(probes({ projectorLagEvents: () => ({ running: true, lagEvents: 101 }) }));
    expect(behind).toMatchObject({ ready: false, failed: ['projector'], checks: { projector: { ok: false, detail: { lagEvents: 101, maxLagEvents: 100 } } } });
    expect((await readiness(probes({ projectorLagEvents: () => ({ running: false, lagEvents: 0 }) }))).failed).toEqual(['projector']);
    // Where no projector runs (the Worker), there is no such check.
    const { projectorLagEvents: _none, ...withoutProjector } = probes();
    expect((await readiness(withoutProjector)).checks.projector).toBeUndefined();
  });
});
