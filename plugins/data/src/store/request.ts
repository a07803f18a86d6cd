import { DATA_LIMITS, DataRequestSchema, type DataOpName, type DataRequest } from '@goop/sdk'
import { fail } from './errors.js'
import { checkFilterShape } from './filter.js'
import { checkShape } from './guard.js'
import { zodMessage } from './zod-message.js'

const OPS: readonly DataOpName[] = ['describe', 'query', 'get', 'count', 'insert', 'update', 'delete']

/**
 * A request as it arrived (parsed JSON from anyone) checked against sdk DataRequestSchema. The
 * recursive parts are measured first without recursion (filters: terms and depth; everything:
 * nesting), so zod only ever sees something small and shallow.
 */
export function parseRequest (input: unknown): DataRequest {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    fail('bad_request', `a data request is a JSON object { op, ... } with op one of ${OPS.join(', ')}`)
  }
  const raw = input as Record<string, unknown>
  if (typeof raw.op !== 'string' || !(OPS as readonly string[]).includes(raw.op)) {
    fail('bad_request', `op must be one of ${OPS.join(', ')}`)
  }
  if (typeof raw.limit === 'number' && raw.limit > DATA_LIMITS.queryLimit) {
    fail('too_large', `limit is ${raw.limit}; a query returns at most ${DATA_LIMITS.queryLimit} rows (page through more with cursor)`)
  }
  if (raw.where !== undefined) checkFilterShape(raw.where)
  checkShape(input, 'the request')
  const parsed = DataRequestSchema.safeParse(input)
  if (!parsed.success) fail('bad_request', `${raw.op}: ${zodMessage(parsed.error)}`)
  return parsed.data
}
