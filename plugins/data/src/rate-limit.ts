import { GoopError } from '@goop/sdk'

/** Buckets kept at most; past this the fullest are forgotten first (a full bucket is the same as none). */
const MAX_BUCKETS = 10_000

interface Bucket { tokens: number, at: number }

/**
 * A token bucket per caller: `burst` requests at once, refilled at `perSecond`. `take(peer)` throws
 * `rate_limited` (429) with how long to wait when the caller's bucket is empty ("retry after N ms",
 * which the SDK's `errorResponse` turns into Retry-After). Each caller has its own bucket, so one
 * noisy visitor never slows another.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()

  constructor (private readonly perSecond: number, private readonly burst: number, private readonly now: () => number = () => performance.now()) {}

  take (peer: string): void {
    const now = this.now()
    let b = this.buckets.get(peer)
    if (b == null) {
      if (this.buckets.size >= MAX_BUCKETS) this.prune(now)
      b = { tokens: this.burst, at: now }
      this.buckets.set(peer, b)
    } else {
      b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.perSecond / 1000)
      b.at = now
    }
    if (b.tokens >= 1) { b.tokens -= 1; return }
    const retryMs = Math.max(1, Math.ceil((1 - b.tokens) * 1000 / this.perSecond))
    throw new GoopError('rate_limited', `rate limited: at most ${this.perSecond} data operations per second (bursts of ${this.burst}); retry after ${retryMs} ms`, 429)
  }

  /** Callers with a bucket right now. */
  get size (): number { return this.buckets.size }

  /** Forget buckets that have refilled (they would start full anyway), then the oldest half if that was not enough. */
  private prune (now: number): void {
    for (const [peer, b] of this.buckets) {
      if (b.tokens + (now - b.at) * this.perSecond / 1000 >= this.burst) this.buckets.delete(peer)
    }
    if (this.buckets.size < MAX_BUCKETS) return
    let drop = this.buckets.size / 2
    for (const peer of this.buckets.keys()) {
      if (drop-- <= 0) break
      this.buckets.delete(peer)
    }
  }
}
