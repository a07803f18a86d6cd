import { GoopError } from '@goop/sdk'

/** Callers tracked at most; past this the idle ones (full buckets, nothing in flight) are forgotten first. */
const MAX_CALLERS = 10_000

interface Bucket { tokens: number, at: number, inflight: number }

/**
 * Per caller: a token bucket (`burst` calls at once, refilled at `perSecond`) and a cap on calls
 * running at the same time, so one visitor can neither flood the owner nor hold the sandbox with
 * many slow calls while others wait. `start(peer)` throws `rate_limited` (429) with how long to
 * wait; it returns the function that ends the call.
 */
export class CallLimiter {
  private readonly buckets = new Map<string, Bucket>()

  constructor (private readonly perSecond: number, private readonly burst: number, private readonly inflight: number, private readonly now: () => number = () => performance.now()) {}

  start (peer: string): () => void {
    const now = this.now()
    let b = this.buckets.get(peer)
    if (b == null) {
      if (this.buckets.size >= MAX_CALLERS) this.prune(now)
      b = { tokens: this.burst, at: now, inflight: 0 }
      this.buckets.set(peer, b)
    } else {
      b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.perSecond / 1000)
      b.at = now
    }
    if (b.inflight >= this.inflight) {
      throw new GoopError('rate_limited', `rate limited: at most ${this.inflight} calls at once per visitor; retry after 100 ms`, 429)
    }
    if (b.tokens < 1) {
      const retryMs = Math.max(1, Math.ceil((1 - b.tokens) * 1000 / this.perSecond))
      throw new GoopError('rate_limited', `rate limited: at most ${this.perSecond} calls per second (bursts of ${this.burst}); retry after ${retryMs} ms`, 429)
    }
    b.tokens -= 1
    b.inflight++
    const bucket = b
    let done = false
    return () => { if (!done) { done = true; bucket.inflight-- } }
  }

  private prune (now: number): void {
    for (const [peer, b] of this.buckets) {
      if (b.inflight === 0 && b.tokens + (now - b.at) * this.perSecond / 1000 >= this.burst) this.buckets.delete(peer)
    }
    if (this.buckets.size < MAX_CALLERS) return
    let drop = this.buckets.size / 2
    for (const [peer, b] of this.buckets) {
      if (drop <= 0) break
      if (b.inflight === 0) { this.buckets.delete(peer); drop-- }
    }
  }
}
