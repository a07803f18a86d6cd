import type Database from 'better-sqlite3'
import type { ColumnDef, TableDef } from '@goop/sdk'
import { fail } from './errors.js'
import { createIndexSql, createTableSql, dropIndexSql, sqlType, wantedIndexes } from './ddl.js'
import { ident, type TableMeta } from './meta.js'
import { canonical } from './schema.js'
import { encodeValue, type SqlValue } from './values.js'

/** What apply will do to one table: decided (and refused, if need be) before anything is changed. */
export interface TablePlan {
  name: string
  action: 'created' | 'migrated' | 'unchanged'
  changes: string[]
  /** Why the change would lose data (empty: it would not). Refused unless forced. */
  destructive: string[]
  /** The table is rebuilt (new table, kept columns copied, old one dropped): a backup is taken first. */
  rebuild: boolean
  /** Runs inside apply's transaction. */
  run: (db: Database.Database) => void
}

const REBUILD = '_goop_rebuild'

function count (db: Database.Database, sql: string, ...params: SqlValue[]): number {
  return (db.prepare(sql).pluck().get(...params) as number | null) ?? 0
}

function storedDefault (table: string, name: string, c: ColumnDef): SqlValue {
  return c.default === undefined || c.default === null ? null : encodeValue(`tables.${table}.columns.${name}.default`, c, c.default, 'write')
}

export function planCreate (name: string, def: TableDef): TablePlan {
  return {
    name, action: 'created', changes: [`created with ${Object.keys(def.columns).length} columns`], destructive: [], rebuild: false,
    run: (db) => {
      db.exec(createTableSql(name, def))
      for (const ix of wantedIndexes(name, def)) db.exec(createIndexSql(name, ix))
    }
  }
}

export function planMigrate (db: Database.Database, old: TableMeta, next: TableDef): TablePlan {
  const name = old.name
  const t = ident(name)
  const prev = old.def
  const changes: string[] = []
  const destructive: string[] = []
  const rows = count(db, `SELECT COUNT(*) FROM ${t}`)
  let rebuild = false
  /** Columns whose existing values are kept (same name, same type). */
  const kept: string[] = []
  /** Columns existing rows get no value for: new ones, and ones whose type changed. */
  const fresh: string[] = []
  /** Columns that become unique over existing values that repeat: the repeats go (forced only). */
  const dedupe: string[] = []
  /** Columns that become required: existing NULLs get the default. */
  const fill: string[] = []

  for (const [col, c] of Object.entries(next.columns)) {
    const before = prev.columns[col]
    if (before === undefined) {
      changes.push(`added column ${col} (${c.type})`)
      fresh.push(col)
      continue
    }
    if (before.type !== c.type) {
      const n = count(db, `SELECT COUNT(*) FROM ${t} WHERE ${ident(col)} IS NOT NULL`)
      changes.push(`column ${col}: type ${before.type} → ${c.type}${n > 0 ? ` (the values of ${n} rows are dropped)` : ''}`)
      if (n > 0) destructive.push(`column ${col} changes type from ${before.type} to ${c.type}: the values of ${n} rows would be lost`)
      fresh.push(col)
      rebuild = true
      continue
    }
    kept.push(col)
    if (c.unique === true && before.unique !== true) {
      const repeats = count(db, `SELECT COUNT(${ident(col)}) - COUNT(DISTINCT ${ident(col)}) FROM ${t}`)
      if (repeats > 0) {
        destructive.push(`column ${col} becomes unique but ${repeats} rows repeat a value of it and would be removed (of each value the row with the lowest _id is kept)`)
        dedupe.push(col)
        rebuild = true
      }
    }
    if (c.required === true && before.required !== true) {
      const nulls = count(db, `SELECT COUNT(*) FROM ${t} WHERE ${ident(col)} IS NULL`)
      if (nulls > 0) {
        if (c.default === undefined) fail('bad_request', `tables.${name}.columns.${col} becomes required but ${nulls} rows have no value for it: give it a default (those rows get it)`)
        fill.push(col)
        changes.push(`column ${col}: ${nulls} rows without a value get the default`)
      }
    }
    for (const key of ['required', 'default', 'maxLength', 'minLength', 'min', 'max', 'enum', 'index', 'unique', 'description'] as const) {
      if (canonical(before[key]) !== canonical(c[key])) changes.push(`column ${col}: ${key} ${describe(before[key])} → ${describe(c[key])}`)
    }
  }
  for (const col of Object.keys(prev.columns)) {
    if (next.columns[col] !== undefined) continue
    const n = count(db, `SELECT COUNT(*) FROM ${t} WHERE ${ident(col)} IS NOT NULL`)
    changes.push(`removed column ${col}`)
    if (n > 0) destructive.push(`column ${col} would be removed with the values of ${n} rows`)
    rebuild = true
  }
  for (const col of fresh) {
    const c = next.columns[col]
    if (rows > 0 && c.required === true && c.default === undefined) {
      fail('bad_request', `tables.${name}.columns.${col} is required but the table's ${rows} existing rows have no value for it: give it a default (they get it)`)
    }
    if (rows > 1 && c.unique === true && c.default !== undefined && c.default !== null) {
      fail('bad_request', `tables.${name}.columns.${col} is unique, but its default would give the table's ${rows} existing rows the same value`)
    }
  }
  for (const key of ['read', 'insert', 'update', 'delete'] as const) {
    if (prev.policy[key] !== next.policy[key]) changes.push(`policy ${key}: ${prev.policy[key]} → ${next.policy[key]}`)
  }
  if ((prev.description ?? '') !== (next.description ?? '')) changes.push('description changed')
  if (rebuild) changes.push('table rebuilt')

  const unchanged = canonical(prev) === canonical(next)
  return {
    name, action: unchanged ? 'unchanged' : 'migrated', changes, destructive, rebuild,
    run: (tx) => {
      if (unchanged) return
      if (rebuild) rebuildTable(tx, name, next, kept, dedupe)
      else for (const col of fresh) tx.exec(`ALTER TABLE ${t} ADD COLUMN ${ident(col)} ${sqlType(next.columns[col].type)}`)
      for (const col of [...fresh, ...fill]) {
        const v = storedDefault(name, col, next.columns[col])
        if (v !== null) tx.prepare(`UPDATE ${t} SET ${ident(col)} = ? WHERE ${ident(col)} IS NULL`).run(v)
      }
      syncIndexes(tx, name, next)
    }
  }
}

function describe (v: unknown): string {
  return v === undefined ? 'unset' : canonical(v)
}

/** The indexes a table has (ours only) brought in line with the schema. */
function syncIndexes (db: Database.Database, table: string, def: TableDef): void {
  const have = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name LIKE '\\_goop\\_%' ESCAPE '\\'").pluck().all(table) as string[])
  const want = wantedIndexes(table, def)
  for (const name of have) if (!want.some(w => w.name === name)) db.exec(dropIndexSql(name))
  for (const ix of want) if (!have.has(ix.name)) db.exec(createIndexSql(table, ix))
}

/**
 * SQLite's way to change a table beyond adding columns: a new table with the new columns, the kept
 * columns and the system columns copied over (`_id`s included), the old table dropped, the new one
 * renamed. The AUTOINCREMENT counter is carried over, so an `_id` is never reused.
 */
function rebuildTable (db: Database.Database, name: string, def: TableDef, kept: readonly string[], dedupe: readonly string[]): void {
  const t = ident(name)
  const seq = (db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get(name) as number | undefined) ?? 0
  db.exec(`DROP TABLE IF EXISTS ${ident(REBUILD)}`)
  db.exec(createTableSql(REBUILD, def))
  const cols = ['_id', '_author', '_created', '_updated', ...kept].map(ident).join(', ')
  const keep = dedupe.map(c => `(${ident(c)} IS NULL OR "_id" IN (SELECT MIN("_id") FROM ${t} GROUP BY ${ident(c)}))`)
  db.exec(`INSERT INTO ${ident(REBUILD)} (${cols}) SELECT ${cols} FROM ${t}${keep.length > 0 ? ` WHERE ${keep.join(' AND ')}` : ''} ORDER BY "_id"`)
  db.exec(`DROP TABLE ${t}`)
  db.exec(`ALTER TABLE ${ident(REBUILD)} RENAME TO ${t}`)
  db.prepare('DELETE FROM sqlite_sequence WHERE name = ?').run(name)
  const top = (db.prepare(`SELECT MAX("_id") FROM ${t}`).pluck().get() as number | null) ?? 0
  if (Math.max(seq, top) > 0) db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(name, Math.max(seq, top))
}
