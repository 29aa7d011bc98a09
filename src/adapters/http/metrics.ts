/** What this process has answered since it started: counts by status and by problem code. */
export class RequestCounters {
  private readonly since = new Date().toISOString();
  private readonly byStatus = new Map<number, number>();
  private readonly byCode = new Map<string, number>();
  private replicaReads = 0;

  count(status: number, code: string | undefined, readFrom: 'primary' | 'replica' = 'primary'): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    if (code !== undefined) this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
    if (readFrom === 'replica') this.replicaReads++;
  }

  snapshot() {
    const sorted = <K>(map: Map<K, number>) => Object.fromEntries([...map].sort(([a], [b]) => String(a).localeCompare(String(b))));
    return {
      since: this.since,
      requests: [...this.byStatus.values()].reduce((a, b) => a + b, 0),
      byStatus: sorted(this.byStatus),
      byCode: sorted(this.byCode),
      replicaReads: this.replicaReads,
    };
  }
}
