import { DATA_LIMITS } from '@goop/sdk'

/**
 * Would this result serialise to more than DATA_LIMITS.resultBytes? Returns its size if so, else
 * null. Exact sizing means JSON.stringify, which costs more than a small query itself; so first a
 * cheap walk bounds the size from both sides (a UTF-16 unit is at least 1 and, escaped, at most 6
 * bytes), and only a result the bounds cannot settle is serialised.
 */
export function resultTooLarge (result: object, limit = DATA_LIMITS.resultBytes): number | null {
  let low = 0
  let high = 0
  const stack: unknown[] = [result]
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v === 'string') { low += v.length + 2; high += v.length * 6 + 2 } else if (typeof v === 'number') { low += 1; high += 24 } else if (v === null || typeof v === 'boolean') { low += 4; high += 5 } else if (Array.isArray(v)) {
      low += 2 + v.length; high += 2 + v.length
      for (const x of v) stack.push(x)
    } else if (typeof v === 'object') {
      for (const k in v) {
        low += k.length + 3; high += k.length * 6 + 4
        stack.push((v as Record<string, unknown>)[k])
      }
      low += 2; high += 2
    }
    if (low > limit) break
  }
  if (high <= limit) return null
  const exact = low > limit ? low : Buffer.byteLength(JSON.stringify(result))
  return exact > limit ? exact : null
}
