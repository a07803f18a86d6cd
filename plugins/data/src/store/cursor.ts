import { createHash } from 'node:crypto'
import type { ColumnDef, Filter } from '@goop/sdk'
import { fail } from './errors.js'
import { ident } from './meta.js'
import type { SqlValue } from './values.js'

/** One column of a resolved order: `_id` is always the last one (the tie-breaker). */
export interface OrderTerm { column: string, dir: 'asc' | 'desc', def: ColumnDef }

/** Longest cursor (characters), as sdk DataRequestSchema allows. */
export const CURSOR_CHARS = 4096

/**
 * Keyset paging. A cursor holds the last row's order values and `_id`, so the next page starts
 * strictly after that row in the query's order, whatever was inserted or deleted meanwhile: each
 * row is seen exactly once. It carries a hash of the table, order and filter, and a cursor from
 * another query is refused. It is opaque but not secret: forging one only moves where a page starts
 * among rows the caller may read anyway. When the values would make it longer than the request
 * allows (ordering by long texts), it holds only the row's `_id` and the values are read back.
 */
export function queryHash (table: string, order: readonly OrderTerm[], where: Filter | undefined): string {
  const text = `${table}\u0000${order.map(o => `${o.column} ${o.dir}`).join(',')}\u0000${where === undefined ? '' : JSON.stringify(where)}`
  return createHash('sha256').update(text).digest('base64url').slice(0, 16)
}

export function encodeCursor (hash: string, values: readonly SqlValue[]): string {
  const full = Buffer.from(JSON.stringify([1, hash, ...values])).toString('base64url')
  if (full.length <= CURSOR_CHARS) return full
  return Buffer.from(JSON.stringify([2, hash, values[values.length - 1]])).toString('base64url')
}

export type Decoded = { kind: 'values', values: SqlValue[] } | { kind: 'row', id: number }

const INVALID = 'cursor is not a cursor this peer gave out; pass the cursor of the previous page as it came, or leave it out for the first page'

export function decodeCursor (cursor: string, hash: string, order: readonly OrderTerm[]): Decoded {
  let parsed: unknown
  const bytes = Buffer.from(cursor, 'base64url')
  // Node's decoder skips what is not base64url; only the exact text we gave out is accepted.
  if (bytes.toString('base64url') !== cursor) fail('bad_request', INVALID)
  try { parsed = JSON.parse(bytes.toString('utf8')) } catch { fail('bad_request', INVALID) }
  if (!Array.isArray(parsed) || (parsed[0] !== 1 && parsed[0] !== 2) || typeof parsed[1] !== 'string') fail('bad_request', INVALID)
  if (parsed[1] !== hash) fail('bad_request', 'cursor belongs to another query (its table, order or filter differ); leave it out to start from the first page')
  if (parsed[0] === 2) {
    if (parsed.length !== 3 || !isId(parsed[2])) fail('bad_request', INVALID)
    return { kind: 'row', id: parsed[2] }
  }
  const values = parsed.slice(2)
  if (values.length !== order.length) fail('bad_request', INVALID)
  for (let i = 0; i < order.length; i++) if (!fits(order[i], values[i])) fail('bad_request', INVALID)
  return { kind: 'values', values: values as SqlValue[] }
}

function isId (v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0
}

function fits (term: OrderTerm, v: unknown): boolean {
  if (term.column === '_id') return isId(v)
  if (v === null) return true
  switch (term.def.type) {
    case 'integer': case 'boolean': return typeof v === 'number' && Number.isSafeInteger(v)
    case 'real': return typeof v === 'number' && Number.isFinite(v)
    default: return typeof v === 'string'
  }
}

/**
 * "Strictly after the cursor's row" in this order, as SQL. SQLite sorts NULL before every value, so
 * ascending NULLs come first and descending NULLs last: after a NULL in an ascending column come the
 * non-NULLs; after a value in a descending column come smaller values, then the NULLs.
 */
export function afterCursor (order: readonly OrderTerm[], values: readonly SqlValue[], params: SqlValue[]): string {
  const ors: string[] = []
  for (let k = 0; k < order.length; k++) {
    const { column, dir } = order[k]
    const col = ident(column)
    const v = values[k]
    let after: string | null
    const p: SqlValue[] = []
    if (dir === 'asc') {
      if (v === null) after = `${col} IS NOT NULL`
      else { after = `${col} > ?`; p.push(v) }
    } else {
      if (v === null) after = null // nothing sorts after NULL descending but ties on this column
      else { after = `(${col} < ? OR ${col} IS NULL)`; p.push(v) }
    }
    if (after !== null) {
      const ands: string[] = []
      for (let j = 0; j < k; j++) {
        const cj = ident(order[j].column)
        if (values[j] === null) ands.push(`${cj} IS NULL`)
        else { ands.push(`${cj} = ?`); params.push(values[j]) }
      }
      ands.push(after)
      params.push(...p)
      ors.push(ands.length === 1 ? ands[0] : `(${ands.join(' AND ')})`)
    }
  }
  return ors.length === 0 ? '0' : `(${ors.join(' OR ')})`
}

export function orderSql (order: readonly OrderTerm[]): string {
  return order.map(o => `${ident(o.column)} ${o.dir === 'asc' ? 'ASC' : 'DESC'}`).join(', ')
}
