import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isGoopError } from '@goop/sdk'
import { RateLimiter } from '@goop/plugin-data'

/** The token bucket on its own, with a clock the test moves. */
describe('RateLimiter', () => {
  const limited = (fn: () => void): string => {
    try { fn() } catch (err) {
      assert.ok(isGoopError(err))
      assert.equal(err.code, 'rate_limited')
      assert.equal(err.status, 429)
      return err.message
    }
    return assert.fail('expected rate_limited')
  }

  it('lets a burst through, then one per refill interval, and says how long to wait', () => {
    let now = 0
    const rl = new RateLimiter(10, 3, () => now)
    for (let i = 0; i < 3; i++) rl.take('a')
    assert.match(limited(() => { rl.take('a') }), /retry after 100 ms/)
    now = 40
    assert.match(limited(() => { rl.take('a') }), /retry after 60 ms/)
    now = 100
    rl.take('a')
    assert.match(limited(() => { rl.take('a') }), /retry after 100 ms/)
    // The bucket never holds more than the burst, however long the caller was away.
    now = 1_000_000
    for (let i = 0; i < 3; i++) rl.take('a')
    limited(() => { rl.take('a') })
  })

  it('keeps one bucket per caller', () => {
    const rl = new RateLimiter(1, 1, () => 0)
    rl.take('a')
    limited(() => { rl.take('a') })
    rl.take('b')
  })

  it('stays bounded with many callers, forgetting full buckets first', () => {
    let now = 0
    const rl = new RateLimiter(1000, 2, () => now)
    for (let i = 0; i < 10_000; i++) rl.take(`p${i}`)
    now = 10 // every bucket has refilled
    rl.take('drained')
    rl.take('drained')
    for (let i = 0; i < 20_000; i++) rl.take(`q${i}`)
    assert.ok(rl.size <= 10_000, `${rl.size} buckets`)
  })
})
