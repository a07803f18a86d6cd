import type { ColumnType, TableDef } from '@goop/sdk'
import { ident } from './meta.js'

/**
 * The SQL text the engine writes for user tables. Only names already checked against NAME_PATTERN
 * (or our own fixed names) go in, always quoted; values never do (they are bound parameters). Tables
 * are STRICT, so SQLite itself refuses a value of the wrong storage type as a second line of defence.
 */
const SQL_TYPES: Record<ColumnType, string> = {
  text: 'TEXT', integer: 'INTEGER', real: 'REAL', boolean: 'INTEGER', datetime: 'TEXT', json: 'TEXT'
}

export function sqlType (t: ColumnType): string { return SQL_TYPES[t] }

export function createTableSql (sqlName: string, def: TableDef): string {
  const cols = [
    '"_id" INTEGER PRIMARY KEY AUTOINCREMENT',
    '"_author" TEXT NOT NULL',
    '"_created" TEXT NOT NULL',
    '"_updated" TEXT NOT NULL',
    ...Object.entries(def.columns).map(([name, c]) => `${ident(name)} ${SQL_TYPES[c.type]}`)
  ]
  return `CREATE TABLE ${ident(sqlName)} (${cols.join(', ')}) STRICT`
}

export interface IndexDef { name: string, column: string, unique: boolean }

/**
 * The indexes a table should have: `_author` always (author policies filter by it), each `index`
 * column, and a UNIQUE index for each `unique` column. Names start with `_goop_` and use `-`, which
 * no table or column name holds, so two tables' index names never collide.
 */
export function wantedIndexes (table: string, def: TableDef): IndexDef[] {
  const out: IndexDef[] = [{ name: `_goop_ix-${table}-_author`, column: '_author', unique: false }]
  for (const [column, c] of Object.entries(def.columns)) {
    if (c.unique === true) out.push({ name: `_goop_ux-${table}-${column}`, column, unique: true })
    else if (c.index === true) out.push({ name: `_goop_ix-${table}-${column}`, column, unique: false })
  }
  return out
}

export function createIndexSql (table: string, ix: IndexDef): string {
  return `CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX ${ident(ix.name)} ON ${ident(table)} (${ident(ix.column)})`
}

export function dropIndexSql (name: string): string {
  return `DROP INDEX ${ident(name)}`
}

/** The explicit column list of a table's rows: system columns first, then the declared ones in schema order. */
export function selectList (columns: readonly string[]): string {
  return ['_id', '_author', '_created', '_updated', ...columns].map(ident).join(', ')
}
