import { fail } from './errors.js'

/** Deepest nesting of objects/lists accepted anywhere in a request or a schema (a json value included). */
export const MAX_NESTING = 64
/** Most objects, lists and values one request or schema may hold. */
export const MAX_NODES = 200_000

/**
 * Walks any parsed JSON without recursion and refuses what is nested too deep or is too big, before
 * zod (whose schemas for filters and JSON values recurse) ever sees it: a 10,000-deep value gets a
 * clear error in microseconds instead of a stack overflow.
 */
export function checkShape (value: unknown, what: string, maxDepth = MAX_NESTING, maxNodes = MAX_NODES): void {
  if (value === null || typeof value !== 'object') return
  const stack: Array<[unknown, number]> = [[value, 1]]
  let nodes = 0
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number]
    if (++nodes > maxNodes) fail('too_large', `${what} holds more than ${maxNodes} values`)
    if (v === null || typeof v !== 'object') continue
    if (depth > maxDepth) fail('bad_request', `${what} is nested more than ${maxDepth} levels deep`)
    const children = Array.isArray(v) ? v : Object.values(v)
    for (const c of children) {
      if (c !== null && typeof c === 'object') stack.push([c, depth + 1])
      else if (++nodes > maxNodes) fail('too_large', `${what} holds more than ${maxNodes} values`)
    }
  }
}
