import { SYSTEM_COLUMNS, type ColumnDef, type TableDef } from '@goop/sdk'
import { rowDecoder, type RowDecoder } from './values.js'

/** What the engine keeps in memory about one user table (rebuilt whenever its schema changes). */
export interface TableMeta {
  name: string
  def: TableDef
  source: string
  created: string
  updated: string
  /** Declared columns and the system columns, by name: what filters, order and `columns` may name. */
  columns: Map<string, ColumnDef>
  /** Declared columns only, in schema order. */
  declared: string[]
  decode: RowDecoder
  /** The table's name quoted for SQL, and its full select list (system columns, then declared). */
  quoted: string
  selectAll: string
}

const SYSTEM_DEFS: ReadonlyArray<[string, ColumnDef]> = Object.entries(SYSTEM_COLUMNS).map(([name, type]) => [name, { type }])

export function isSystemColumn (name: string): boolean {
  return Object.hasOwn(SYSTEM_COLUMNS, name)
}

export function tableMeta (name: string, def: TableDef, source: string, created: string, updated: string): TableMeta {
  const declared = Object.keys(def.columns)
  const columns = new Map<string, ColumnDef>(SYSTEM_DEFS)
  for (const c of declared) columns.set(c, def.columns[c])
  return {
    name, def, source, created, updated, columns, declared,
    decode: rowDecoder(declared.map(c => ({ name: c, def: def.columns[c] }))),
    quoted: ident(name),
    selectAll: ['_id', '_author', '_created', '_updated', ...declared].map(ident).join(', ')
  }
}

/** The declared columns as describe and tables() list them. */
export function columnList (m: TableMeta): Array<{ name: string } & ColumnDef> {
  return m.declared.map(name => ({ name, ...m.def.columns[name] }))
}

/** A name put into SQL: only ever one already checked against NAME_PATTERN or our own fixed names. */
export function ident (name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
