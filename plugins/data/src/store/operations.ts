import {
  DATA_LIMITS, type ColumnDef, type DataChanged, type DataRequest, type DataResult, type DataResults, type Filter, type TableDescription
} from '@goop/sdk'
import { afterCursor, decodeCursor, encodeCursor, orderSql, queryHash, type OrderTerm } from './cursor.js'
import { fail, q } from './errors.js'
import { comparableColumn, compileFilter, unknownColumn } from './filter.js'
import { columnList, ident, isSystemColumn, type TableMeta } from './meta.js'
import { anyAllowed, permissions, refuse, refuseRow, type Caller } from './policy.js'
import { resultTooLarge } from './size.js'
import type { StatementCache } from './statements.js'
import { encodeValue, storedForm, type SqlValue } from './values.js'

/** What the operations need from the store: its statements, its tables, and where changes go. */
export interface OperationsHost {
  stmts: StatementCache
  /** A user table by a caller-given name (anything else: `unknown_table`). */
  meta: (name: string) => TableMeta
  /** Every user table, by name. */
  sorted: () => TableMeta[]
  /** Report a committed change. */
  changed: (c: DataChanged) => void
}

const ID: ColumnDef = { type: 'integer' }

/**
 * The data operations (sdk DataRequestSchema, already parsed) for one caller, under the table's
 * policy (policy.ts). Reads are scoped in SQL (`_author = ?` for read `author`); changes look the row
 * up first, so that a row the caller cannot read is `not_found` and one it may not change `forbidden`.
 */
export class Operations {
  constructor (private readonly host: OperationsHost) {}

  execute (req: DataRequest, caller: Caller): DataResult {
    switch (req.op) {
      case 'describe': return this.describe(caller)
      case 'query': return this.query(req, caller)
      case 'get': return this.get(req.table, req.id, caller)
      case 'count': return this.count(req.table, req.where, caller)
      case 'insert': return this.insert(req.table, req.values, caller)
      case 'update': return this.update(req.table, req.id, req.values, caller)
      case 'delete': return this.remove(req.table, req.id, caller)
    }
  }

  private describe (caller: Caller): DataResults['describe'] {
    const tables: TableDescription[] = []
    for (const m of this.host.sorted()) {
      const can = permissions(m.def.policy, caller)
      if (!caller.owner && !anyAllowed(can)) continue
      tables.push({
        name: m.name,
        ...(m.def.description !== undefined ? { description: m.def.description } : {}),
        columns: columnList(m),
        policy: m.def.policy,
        can
      })
    }
    return { role: caller.owner ? 'owner' : 'visitor', tables }
  }

  /** The WHERE terms every read of this caller gets: its read scope, then the filter. */
  private readScope (m: TableMeta, caller: Caller, where: Filter | undefined, params: SqlValue[]): string[] {
    const can = permissions(m.def.policy, caller)
    if (can.read === false) refuse(m.name, 'read', m.def.policy)
    const conds: string[] = []
    if (can.read === 'own') { conds.push('"_author" = ?'); params.push(caller.peer) }
    if (where !== undefined) conds.push(compileFilter(m, where, params))
    return conds
  }

  private query (req: Extract<DataRequest, { op: 'query' }>, caller: Caller): DataResults['query'] {
    const m = this.host.meta(req.table)
    const params: SqlValue[] = []
    const conds = this.readScope(m, caller, req.where, params)
    const order = resolveOrder(m, req.order)
    let select = m.selectAll
    let extra: string[] = []
    if (req.columns !== undefined) {
      const wanted = new Set<string>()
      req.columns.forEach((c, i) => {
        if (!m.columns.has(c)) unknownColumn(m, c, `columns[${i}]`)
        if (!isSystemColumn(c)) wanted.add(c)
      })
      // The cursor needs the order columns' values: selected, then left out of the rows returned.
      extra = order.map(o => o.column).filter(c => !isSystemColumn(c) && !wanted.has(c))
      select = ['_id', '_author', '_created', '_updated', ...m.declared.filter(c => wanted.has(c) || extra.includes(c))].map(ident).join(', ')
    }
    let hash: string | undefined
    if (req.cursor !== undefined) {
      hash = queryHash(m.name, order, req.where)
      const decoded = decodeCursor(req.cursor, hash, order)
      const values = decoded.kind === 'values' ? decoded.values : this.cursorRow(m, order, decoded.id, caller)
      conds.push(afterCursor(order, values, params))
    }
    const limit = req.limit ?? 100
    params.push(limit + 1)
    const sql = `SELECT ${select} FROM ${m.quoted}${conds.length > 0 ? ` WHERE ${conds.join(' AND ')}` : ''} ORDER BY ${orderSql(order)} LIMIT ?`
    const raw = this.host.stmts.get(sql).all(...params) as Array<Record<string, SqlValue>>
    const more = raw.length > limit
    if (more) raw.pop()
    const rows = raw.map(m.decode)
    let cursor: string | undefined
    if (more) {
      const last = rows[rows.length - 1]
      cursor = encodeCursor(hash ?? queryHash(m.name, order, req.where), order.map(o => storedForm(o.def, last[o.column])))
    }
    if (extra.length > 0) for (const r of rows) for (const c of extra) Reflect.deleteProperty(r, c)
    const result: DataResults['query'] = cursor === undefined ? { rows } : { rows, cursor }
    const size = resultTooLarge(result)
    if (size !== null) fail('too_large', `the result would be at least ${size} bytes, more than the ${DATA_LIMITS.resultBytes} allowed; ask for fewer rows (limit) or fewer columns (columns)`)
    return result
  }

  /** The order values of the row a long cursor names (only a row this caller can read). */
  private cursorRow (m: TableMeta, order: readonly OrderTerm[], id: number, caller: Caller): SqlValue[] {
    const params: SqlValue[] = [id]
    const conds = ['"_id" = ?', ...this.readScope(m, caller, undefined, params)]
    const row = this.host.stmts.get(`SELECT ${order.map(o => ident(o.column)).join(', ')} FROM ${m.quoted} WHERE ${conds.join(' AND ')}`, 'raw').get(...params) as SqlValue[] | undefined
    if (row === undefined) fail('bad_request', 'cursor: the row this page continues from is gone; start again from the first page')
    return row
  }

  private get (table: string, id: number, caller: Caller): DataResults['get'] {
    const m = this.host.meta(table)
    const params: SqlValue[] = [id]
    const conds = ['"_id" = ?', ...this.readScope(m, caller, undefined, params)]
    const row = this.host.stmts.get(`SELECT ${m.selectAll} FROM ${m.quoted} WHERE ${conds.join(' AND ')}`).get(...params) as Record<string, SqlValue> | undefined
    return { row: row === undefined ? null : m.decode(row) }
  }

  private count (table: string, where: Filter | undefined, caller: Caller): DataResults['count'] {
    const m = this.host.meta(table)
    const params: SqlValue[] = []
    const conds = this.readScope(m, caller, where, params)
    const sql = `SELECT COUNT(*) FROM ${m.quoted}${conds.length > 0 ? ` WHERE ${conds.join(' AND ')}` : ''}`
    return { count: this.host.stmts.get(sql, 'pluck').get(...params) as number }
  }

  private insert (table: string, values: Record<string, unknown>, caller: Caller): DataResults['insert'] {
    const m = this.host.meta(table)
    if (!permissions(m.def.policy, caller).insert) refuse(m.name, 'insert', m.def.policy)
    checkKeys(m, values)
    const cols: string[] = []
    const params: SqlValue[] = []
    const now = new Date().toISOString()
    params.push(caller.peer, now, now)
    for (const c of m.declared) {
      const def = m.def.columns[c]
      const v = Object.hasOwn(values, c) ? values[c] : def.default
      if (v === undefined || v === null) {
        if (def.required === true) fail('bad_value', `${m.name}.${c} is required${def.default === undefined ? '' : ' (it cannot be null)'}`)
        if (v === undefined) continue
      }
      cols.push(ident(c))
      params.push(encodeValue(`${m.name}.${c}`, def, v, 'write'))
    }
    const sql = `INSERT INTO ${m.quoted} ("_author", "_created", "_updated"${cols.map(c => `, ${c}`).join('')}) VALUES (?, ?, ?${', ?'.repeat(cols.length)}) RETURNING ${m.selectAll}`
    const row = m.decode(this.write(m, sql, params, values))
    this.host.changed({ table: m.name, op: 'insert', _id: row._id })
    return { row }
  }

  private update (table: string, id: number, values: Record<string, unknown>, caller: Caller): DataResults['update'] {
    const m = this.host.meta(table)
    this.changeable(m, 'update', id, caller)
    checkKeys(m, values)
    const keys = Object.keys(values)
    if (keys.length === 0) fail('bad_request', 'update: values is empty; give the columns to change')
    const sets: string[] = []
    const params: SqlValue[] = []
    for (const c of keys) {
      const def = m.def.columns[c]
      const v = values[c]
      if (v === null && def.required === true) fail('bad_value', `${m.name}.${c} is required; it cannot be set to null`)
      sets.push(`${ident(c)} = ?`)
      params.push(encodeValue(`${m.name}.${c}`, def, v, 'write'))
    }
    params.push(new Date().toISOString(), id)
    const sql = `UPDATE ${m.quoted} SET ${sets.join(', ')}, "_updated" = ? WHERE "_id" = ? RETURNING ${m.selectAll}`
    const row = m.decode(this.write(m, sql, params, values))
    this.host.changed({ table: m.name, op: 'update', _id: id })
    return { row }
  }

  private remove (table: string, id: number, caller: Caller): DataResults['delete'] {
    const m = this.host.meta(table)
    this.changeable(m, 'delete', id, caller)
    const deleted = this.host.stmts.get(`DELETE FROM ${m.quoted} WHERE "_id" = ?`).run(id).changes
    if (deleted > 0) this.host.changed({ table: m.name, op: 'delete', _id: id })
    return { deleted }
  }

  /**
   * May this caller change row `id`? Table-level refusals first (they say nothing about the row),
   * then: a row it cannot read is `not_found`, a row it can read but did not write (author policy)
   * is `forbidden`.
   */
  private changeable (m: TableMeta, op: 'update' | 'delete', id: number, caller: Caller): void {
    const can = permissions(m.def.policy, caller)
    if (can[op] === false) refuse(m.name, op, m.def.policy)
    const author = this.host.stmts.get(`SELECT "_author" FROM ${m.quoted} WHERE "_id" = ?`, 'pluck').get(id) as string | undefined
    const mine = author === caller.peer
    if (author === undefined || (can.read === 'own' && !mine)) fail('not_found', `table ${m.name} has no row ${id}${caller.owner ? '' : ' that you can see'}`)
    if (can[op] === 'own' && !mine) refuseRow(m.name, op, id)
  }

  /** Run an insert/update; a unique index refusing it becomes `conflict` naming the column. */
  private write (m: TableMeta, sql: string, params: SqlValue[], values: Record<string, unknown>): Record<string, SqlValue> {
    try {
      return this.host.stmts.get(sql).get(...params) as Record<string, SqlValue>
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        const column = /UNIQUE constraint failed: [^.]+\.(\w+)/.exec((err as Error).message)?.[1] ?? '?'
        fail('conflict', `table ${m.name} already has a row with ${column} = ${q(values[column] ?? null)}; ${column} is unique`)
      }
      throw err
    }
  }
}

/** Values may name declared columns only: a system column is the engine's, anything else does not exist. */
function checkKeys (m: TableMeta, values: Record<string, unknown>): void {
  for (const k of Object.keys(values)) {
    if (isSystemColumn(k)) fail('bad_value', `values.${k}: ${k} is set by the data plugin and cannot be written`)
    if (!Object.hasOwn(m.def.columns, k)) unknownColumn(m, k, `values.${k}`)
  }
}

/** The request's order checked against the table, with `_id` as the final tie-breaker. */
function resolveOrder (m: TableMeta, order: ReadonlyArray<{ column: string, dir: 'asc' | 'desc' }> | undefined): OrderTerm[] {
  const out: OrderTerm[] = []
  if (order !== undefined) {
    for (let i = 0; i < order.length; i++) {
      const { column, dir } = order[i]
      const def = comparableColumn(m, column, `order[${i}].column`)
      if (out.some(o => o.column === column)) fail('bad_request', `order[${i}]: column ${column} is already in the order`)
      out.push({ column, dir, def })
      if (column === '_id') return out
    }
  }
  out.push({ column: '_id', dir: 'asc', def: ID })
  return out
}
