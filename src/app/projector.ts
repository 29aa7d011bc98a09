import type { ProjectorStore } from './ports.ts';

/** Events folded per step, at most: one statement, a few milliseconds to a few hundred. */
export const DEFAULT_PROJECTOR_STEP_EVENTS = 10_000;
/** How often the projector looks for events it was not told of (other processes', a restart's). */
export const DEFAULT_PROJECTOR_POLL_MS = 1_000;

/** What the projector knows of how far behind it is, for `/health` and the metrics. */
export interface ProjectorStatus {
  readonly running: boolean;
  /** Events in the log not yet projected, summed over the ledgers, as of the last look. */
  readonly lagEvents: number;
  /** The ledgers behind, as of the last look. */
  readonly ledgersBehind: number;
  /** When the projector last found every ledger projected (ISO 8601), or null if never. */
  readonly caughtUpAt: string | null;
}

export interface ProjectorOptions {
  readonly stepEvents?: number;
  readonly pollMs?: number;
  readonly onError?: (error: unknown) => void;
}

/**
 * The balance projector: follows each ledger's own log ("the next N after my checkpoint") and
 * folds it into the balance checkpoints, off the request path, so that reads and noOverdraft
 * checks find a short tail and build nothing. Its checkpoint is in the database
 * (`projector_progress`), so it resumes where it stopped after a restart, and it sees every
 * process's writes: a commit of this process wakes it at once for that ledger alone, and a look
 * over every ledger (one query whose cost grows with the number of ledgers) finds the others'
 * within `pollMs`. Several processes may run one: a ledger is projected by one session at a time (the
 * others skip it), and a replica projects nothing.
 */
export class Projector {
  private readonly store: ProjectorStore;
  private readonly stepEvents: number;
  private readonly pollMs: number;
  private readonly onError: (error: unknown) => void;
  private loop: Promise<void> | null = null;
  private closed = false;
  private woken = false;
  private wake: () => void = () => {};
  private lastLag: { ledgerId: string; head: number; projected: number }[] = [];
  /** Ledgers this process committed to since the last look. */
  private readonly committedTo = new Set<string>();
  /** Whether the next look goes over every ledger, and when the last such look began. */
  private lookAll = true;
  private lastFullLookMs = -Infinity;
  private caughtUpAt: string | null = null;
  /** Resolved by the loop each time it finds nothing behind: `idle()` waits on it. */
  private idleWaiters: (() => void)[] = [];

  constructor(store: ProjectorStore, options: ProjectorOptions = {}) {
    this.store = store;
    this.stepEvents = options.stepEvents ?? DEFAULT_PROJECTOR_STEP_EVENTS;
    this.pollMs = options.pollMs ?? DEFAULT_PROJECTOR_POLL_MS;
    this.onError = options.onError ?? (() => {});
  }

  start(): this {
    if (!this.loop && !this.closed) this.loop = this.run();
    return this;
  }

  /** A commit of this process to the ledger (none: to any): project it now rather than at the next poll. */
  committed(ledgerId?: string): void {
    if (ledgerId === undefined) this.lookAll = true;
    else this.committedTo.add(ledgerId);
    this.woken = true;
    this.wake();
  }

  status(): ProjectorStatus {
    const behind = this.lastLag.filter((l) => l.projected < l.head);
    return {
      running: this.loop !== null && !this.closed,
      lagEvents: behind.reduce((sum, l) => sum + (l.head - l.projected), 0),
      ledgersBehind: behind.length,
      caughtUpAt: this.caughtUpAt,
    };
  }

  /** Resolves the next time the projector finds every ledger projected (after a look that starts now). */
  async idle(): Promise<void> {
    if (!this.loop || this.closed) return;
    const caughtUp = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.committed();
    await caughtUp;
  }

  /** Stops after the step in progress. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake();
    await this.loop;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      this.woken = false;
      const waiters = this.idleWaiters.splice(0);
      let behind = true;
      let failed = false;
      try {
        behind = await this.catchUp();
      } catch (error) {
        failed = true; // the database gone, say: again at the next poll, not ten times a second
        this.lookAll = true;
        this.onError(error);
      }
      if (!behind) {
        this.caughtUpAt = new Date().toISOString();
        for (const resolve of waiters) resolve();
      } else {
        this.idleWaiters.unshift(...waiters);
      }
      const untilFullLookMs = Math.max(0, this.pollMs - (performance.now() - this.lastFullLookMs));
      if (!this.woken && !this.closed) await this.sleep(behind && !failed ? Math.min(untilFullLookMs, 100) : untilFullLookMs);
    }
  }

  /**
   * A look, and steps until each ledger it covers is projected: every ledger once per `pollMs` (or
   * when asked), else only those this process committed to. True if any is left behind.
   */
  private async catchUp(): Promise<boolean> {
    const committedTo = [...this.committedTo];
    this.committedTo.clear();
    if (!this.lookAll && performance.now() - this.lastFullLookMs < this.pollMs) {
      let behind = false;
      for (const ledgerId of committedTo) {
        const known = this.lastLag.find((l) => l.ledgerId === ledgerId);
        const reached = await projectToHead(this.store, ledgerId, this.stepEvents, () => this.closed, known?.projected);
        if (reached === null) behind = true;
        if (known && reached !== null) known.projected = known.head = Math.max(known.head, reached);
      }
      this.lookAll = behind; // a ledger left behind is looked for again with the rest
      return behind || this.closed;
    }
    this.lookAll = false;
    this.lastFullLookMs = performance.now();
    this.lastLag = (await this.store.projectorLag()).map((l) => ({ ...l }));
    let behind = false;
    for (const ledger of this.lastLag) {
      while (ledger.projected < ledger.head && !this.closed) {
        const reached = await this.store.project(ledger.ledgerId, this.stepEvents);
        if (reached === null) { // another session is on it: look again later
          behind = true;
          break;
        }
        ledger.projected = Math.max(ledger.projected, reached);
      }
    }
    this.lookAll = behind;
    return behind || this.closed;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref?.();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

/**
 * Catches the given ledgers up now, a step at a time, where no projector runs in the background:
 * a Worker, after the answer of a request that committed to them. A ledger another session is
 * projecting is left to it; a step that fails is left to the ledger's next commit.
 */
export async function projectNow(store: ProjectorStore, ledgerIds: Iterable<string>, onError: (error: unknown) => void, stepEvents = DEFAULT_PROJECTOR_STEP_EVENTS): Promise<void> {
  for (const ledgerId of ledgerIds) {
    try {
      await projectToHead(store, ledgerId, stepEvents);
    } catch (error) {
      onError(error);
    }
  }
}

/**
 * Steps until a step is not full: the position reached, or null if another session holds the
 * ledger. A step short of `stepEvents` reached the head it saw; the commits after it wake the
 * projector again (at most every 100 ms, node.ts), and their events go into one step then
 * rather than a step each as they come: under 16 clients of single writes, steps of 67 events
 * rather than 18, each with a step's fixed cost (scripts/bench/projector-profile.ts). `from`: the position projected before, when
 * known; else one more step tells.
 */
async function projectToHead(store: ProjectorStore, ledgerId: string, stepEvents: number, stop: () => boolean = () => false, from?: number): Promise<number | null> {
  let before = from ?? -1;
  let reached = await store.project(ledgerId, stepEvents);
  while (reached !== null && reached !== before && !stop() && (before < 0 || reached - before >= stepEvents)) {
    before = reached;
    reached = await store.project(ledgerId, stepEvents);
  }
  return reached;
}
