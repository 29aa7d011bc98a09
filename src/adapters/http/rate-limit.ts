/**
 * A token bucket per API key, in this process: `ratePerSecond` tokens a second, up to `burst`.
 * Several API processes each keep their own buckets, so a key's limit is per process.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();
  private readonly ratePerSecond: number;
  private readonly burst: number;
  private readonly nowMs: () => number;

  constructor(ratePerSecond: number, burst: number, nowMs: () => number = () => performance.now()) {
    this.ratePerSecond = ratePerSecond;
    this.burst = Math.max(1, burst);
    this.nowMs = nowMs;
  }

  /** Takes a token for `keyId`: 0 when there was one, else the seconds until there will be. */
  take(keyId: string): number {
    const now = this.nowMs();
    const bucket = this.buckets.get(keyId) ?? { tokens: this.burst, atMs: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.atMs) / 1000) * this.ratePerSecond);
    bucket.atMs = now;
    this.buckets.set(keyId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / this.ratePerSecond;
  }
}
