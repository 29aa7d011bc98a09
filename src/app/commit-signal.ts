/**
 * Wakes whoever waits for a ledger's next commit in this process: the event stream, which would
 * otherwise find a new event only at its next poll. Commits of other processes are still found
 * by polling.
 */
export class CommitSignal {
  private readonly waiting = new Map<string, Set<() => void>>();

  notify(ledgerId: string): void {
    const wakes = this.waiting.get(ledgerId);
    if (!wakes) return;
    this.waiting.delete(ledgerId);
    for (const wake of wakes) wake();
  }

  /** Resolves at the ledger's next commit in this process, after `ms` at the latest, or at once when `signal` aborts. */
  next(ledgerId: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      let wakes = this.waiting.get(ledgerId);
      if (!wakes) this.waiting.set(ledgerId, (wakes = new Set()));
      const waiting = wakes;
      const wake = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', wake);
        waiting.delete(wake);
        if (waiting.size === 0 && this.waiting.get(ledgerId) === waiting) this.waiting.delete(ledgerId);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      signal?.addEventListener('abort', wake, { once: true });
      waiting.add(wake);
    });
  }
}
