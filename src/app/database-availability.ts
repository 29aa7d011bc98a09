/** What the service knows of its database: answering, or not since a time, and why. */
export type DatabaseState =
  | { readonly reachable: true }
  | { readonly reachable: false; readonly sinceMs: number; readonly reason: string };

export interface AvailabilityOptions {
  /** A probe that takes longer than this fails. */
  readonly probeTimeoutMs?: number;
  /** While the database does not answer, probe it again this often. */
  readonly retryEveryMs?: number;
  /** `check()` probes again when the last probe is older than this. */
  readonly freshForMs?: number;
  /** Called when the database stops or starts answering. */
  readonly onChange?: (state: DatabaseState) => void;
  readonly nowMs?: () => number;
}

const REACHABLE: DatabaseState = { reachable: true };

/**
 * Whether the database answers, from a probe (a trivial query on a connection of its own) run
 * when a request saw the database fail, when `/health` asks and the last answer is stale, and
 * every `retryEveryMs` while the database does not answer. While it does not, requests are
 * refused at once (503) instead of each waiting on a dead connection, and the first probe that
 * answers lets them through again.
 */
export class DatabaseAvailability {
  private current: DatabaseState = REACHABLE;
  private probedAtMs = -Infinity;
  private probing: Promise<DatabaseState> | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private readonly probe: () => Promise<void>;
  private readonly probeTimeoutMs: number;
  private readonly retryEveryMs: number;
  private readonly freshForMs: number;
  private readonly onChange: (state: DatabaseState) => void;
  private readonly nowMs: () => number;

  constructor(probe: () => Promise<void>, options: AvailabilityOptions = {}) {
    this.probe = probe;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 1000;
    this.retryEveryMs = options.retryEveryMs ?? 250;
    this.freshForMs = options.freshForMs ?? 1000;
    this.onChange = options.onChange ?? (() => {});
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** The last known state, at once. */
  get state(): DatabaseState {
    return this.current;
  }

  /** The state from a probe at most `freshForMs` old: for `/health`. */
  check(): Promise<DatabaseState> {
    if (this.nowMs() - this.probedAtMs <= this.freshForMs) return Promise.resolve(this.current);
    return this.probeNow();
  }

  /** A query failed as if the database were gone: find out now, without waiting for it. */
  suspect(): void {
    if (this.current.reachable) void this.probeNow();
  }

  /** Stops probing: for shutdown. */
  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
  }

  private probeNow(): Promise<DatabaseState> {
    this.probing ??= this.runProbe().finally(() => (this.probing = null));
    return this.probing;
  }

  private async runProbe(): Promise<DatabaseState> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.probeTimeoutMs} ms`)), this.probeTimeoutMs);
    });
    let next: DatabaseState;
    try {
      await Promise.race([this.probe(), timeout]);
      next = REACHABLE;
    } catch (error) {
      next = this.current.reachable ? { reachable: false, sinceMs: this.nowMs(), reason: describeError(error) } : { ...this.current, reason: describeError(error) };
    } finally {
      clearTimeout(timer);
    }
    this.probedAtMs = this.nowMs();
    const changed = next.reachable !== this.current.reachable;
    this.current = next;
    if (changed) this.onChange(next);
    if (!next.reachable) this.probeAgainLater();
    return next;
  }

  private probeAgainLater(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.probeNow();
    }, this.retryEveryMs);
    this.retry.unref?.();
  }
}

/** An error in one line: its code (SQLSTATE or the driver's) and its message. */
export function describeError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}
