import { DATA_LIMITS, FILTER_OPS, type ColumnDef, type Filter, type Scalar } from '@goop/sdk'
import { fail, q } from './errors.js'
import { ident, type TableMeta } from './meta.js'
import { encodeValue, type SqlValue } from './values.js'

/**
 * Count a filter's conditions and measure its nesting without recursion, before zod's recursive
 * FilterSchema sees it: a 10,000-term or 10,000-deep filter is refused here after looking at a few
 * dozen nodes. Stops at the first limit passed.
 */
export function checkFilterShape (where: unknown): void {
  const stack: Array<[unknown, number, string]> = [[where, 0, 'where']]
  let terms = 0
  while (stack.length > 0) {
    const [node, depth, path] = stack.pop() as [unknown, number, string]
    if (node === null || typeof node !== 'object' || Array.isArray(node)) {
      fail('bad_request', `${path} must be a condition { column, op, value } or a group { and: [...] } / { or: [...] }`)
    }
    const group = (node as { and?: unknown }).and ?? (node as { or?: unknown }).or
    if (group === undefined) {
      if (++terms > DATA_LIMITS.filterTerms) fail('too_large', `where has more than ${DATA_LIMITS.filterTerms} conditions; at most ${DATA_LIMITS.filterTerms} are allowed`)
      continue
    }
    const key = 'and' in node ? 'and' : 'or'
    if (depth + 1 > DATA_LIMITS.filterDepth) fail('bad_request', `${path}.${key}: and/or groups nest at most ${DATA_LIMITS.filterDepth} levels deep`)
    if (!Array.isArray(group) || group.length === 0) fail('bad_request', `${path}.${key} must be a list of 1 to ${DATA_LIMITS.filterTerms} conditions or groups`)
    if (group.length > DATA_LIMITS.filterTerms) fail('too_large', `${path}.${key} has ${group.length} entries; at most ${DATA_LIMITS.filterTerms} are allowed`)
    for (let i = group.length - 1; i >= 0; i--) stack.push([group[i], depth + 1, `${path}.${key}[${i}]`])
  }
}

/** A column a filter or an order names: it must exist and be comparable (not json). */
export function comparableColumn (table: TableMeta, column: string, where: string): ColumnDef {
  const def = table.columns.get(column)
  if (def === undefined) unknownColumn(table, column, where)
  if (def.type === 'json') fail('bad_request', `${where}: column ${column} is json; json columns cannot be filtered or ordered`)
  return def
}

export function unknownColumn (table: TableMeta, column: string, where: string): never {
  fail('unknown_column', `${where}: table ${table.name} has no column ${q(column)}; its columns are ${[...table.columns.keys()].join(', ')}`)
}

const SQL_OPS = { lt: '<', lte: '<=', gt: '>', gte: '>=' } as const

/**
 * SQL for a filter already checked by checkFilterShape and FilterSchema. Column names come from the
 * table's schema (never from the request), every value is a bound parameter pushed to `params`.
 */
export function compileFilter (table: TableMeta, where: Filter, params: SqlValue[], path = 'where'): string {
  if ('and' in where || 'or' in where) {
    const key = 'and' in where ? 'and' : 'or'
    const parts = ('and' in where ? where.and : where.or).map((f, i) => compileFilter(table, f, params, `${path}.${key}[${i}]`))
    return parts.length === 1 ? parts[0] : `(${parts.join(key === 'and' ? ' AND ' : ' OR ')})`
  }
  const { column, op, value } = where
  const at = `${path} (${column} ${op})`
  if (!FILTER_OPS.includes(op)) fail('bad_request', `${path}.op must be one of ${FILTER_OPS.join(', ')}`)
  const def = comparableColumn(table, column, path)
  const col = ident(column)
  if (op === 'in') {
    if (!Array.isArray(value) || value.length === 0) fail('bad_request', `${at}: in takes a list of 1 to ${DATA_LIMITS.inValues} values`)
    const values = value.filter(v => v !== null).map((v, i) => encodeValue(`${path}.value[${i}]`, def, v, 'filter'))
    const hasNull = values.length < value.length
    if (values.length === 0) return `${col} IS NULL`
    // One parameter for the whole list: the SQL text stays the same whatever the list's length.
    params.push(JSON.stringify(values))
    const sql = `${col} IN (SELECT value FROM json_each(?))`
    return hasNull ? `(${sql} OR ${col} IS NULL)` : sql
  }
  if (Array.isArray(value)) fail('bad_request', `${at}: ${op} takes one value, not a list (only in takes a list)`)
  const scalar: Scalar = value
  if (op === 'like') {
    if (def.type !== 'text') fail('bad_request', `${at}: like works on text columns only; ${column} is ${def.type}`)
    if (typeof scalar !== 'string') fail('bad_value', `${at}: like takes a pattern string (% any characters, _ one character, \\ escapes), not ${q(scalar)}`)
    if (scalar.length > DATA_LIMITS.likeChars) fail('bad_value', `${at}: a like pattern is at most ${DATA_LIMITS.likeChars} characters`)
    params.push(scalar)
    return `${col} LIKE ? ESCAPE '\\'`
  }
  if (scalar === null) {
    if (op === 'eq') return `${col} IS NULL`
    if (op === 'ne') return `${col} IS NOT NULL`
    fail('bad_value', `${at}: null can only be compared with eq or ne`)
  }
  params.push(encodeValue(`${path}.value`, def, scalar, 'filter'))
  // `ne` keeps rows where the column is null: "every row whose value is not X".
  if (op === 'eq') return `${col} = ?`
  if (op === 'ne') return `${col} IS NOT ?`
  return `${col} ${SQL_OPS[op]} ?`
}
