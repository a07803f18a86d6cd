import type { ColumnDef, DataOpName, DataRequest, DataResults, DataSchemaInput, Policy } from '@goop/sdk'
import { api } from './api.js'

/**
 * The data plugin's owner API (`/api/x/data/*`, behind the viewer's token like every admin call).
 * Everything the Database page does goes through these five calls; the plugin runs each one as the
 * owner, so policies never hide a row or refuse a change here (only the schema's checks do).
 */

/** A table as the owner's list describes it. */
export interface DbTable {
  name: string
  description?: string
  columns: Array<{ name: string } & ColumnDef>
  policy: Policy
  /** Who declared it: `owner` (applied here or with `goop data apply`) or `template:<name>`. */
  source: string
  rows: number
}

export interface SchemaReport {
  /** What happened to each table named (`action`: e.g. created, altered, unchanged), in words. */
  tables: Array<{ name: string, action: string, changes?: Array<string | Record<string, unknown>> }>
  /** The file the affected rows were saved to before a destructive change. */
  backup?: string
}

const BASE = '/x/data'

export async function listTables (): Promise<DbTable[]> {
  return (await api<{ tables: DbTable[] }>('GET', `${BASE}/tables`)).tables
}

/** One data operation as the owner; the result is typed by the operation. */
export async function dataOp<R extends DataRequest> (req: R): Promise<DataResults[R['op'] & DataOpName]> {
  return await api<DataResults[R['op'] & DataOpName]>('POST', `${BASE}/op`, req)
}

/** Apply a schema; without `force` a change that would lose data answers 409 `destructive`. */
export async function applySchema (schema: DataSchemaInput, force = false): Promise<SchemaReport> {
  return await api<SchemaReport>('POST', `${BASE}/schema${force ? '?force=1' : ''}`, schema)
}

export async function dropTable (name: string): Promise<{ backup?: string }> {
  return await api<{ backup?: string }>('DELETE', `${BASE}/tables/${encodeURIComponent(name)}`)
}
