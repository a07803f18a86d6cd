import type { DataOpName, DataRequest, DataResults, DataSchemaInput } from '@goop/sdk'
import type { ApplyReport, TableInfo } from '@goop/plugin-data/api'
import { api } from './api.js'

/**
 * The data plugin's owner API (`/api/x/data/*`, behind the viewer's token like every admin call).
 * Everything the Database page does goes through these five calls; the plugin runs each one as the
 * owner, so policies never hide a row or refuse a change here (only the schema's checks do).
 */

/** A table as the owner's list describes it, and what applying a schema reports: the plugin's own shapes (types only). */
export type { ApplyReport, TableInfo }

const BASE = '/x/data'

export async function listTables (): Promise<TableInfo[]> {
  return (await api<{ tables: TableInfo[] }>('GET', `${BASE}/tables`)).tables
}

/** One data operation as the owner; the result is typed by the operation. */
export async function dataOp<R extends DataRequest> (req: R): Promise<DataResults[R['op'] & DataOpName]> {
  return await api<DataResults[R['op'] & DataOpName]>('POST', `${BASE}/op`, req)
}

/** Apply a schema; without `force` a change that would lose data answers 409 `destructive`. */
export async function applySchema (schema: DataSchemaInput, force = false): Promise<ApplyReport> {
  return await api<ApplyReport>('POST', `${BASE}/schema${force ? '?force=1' : ''}`, schema)
}

export async function dropTable (name: string): Promise<{ backup?: string }> {
  return await api<{ backup?: string }>('DELETE', `${BASE}/tables/${encodeURIComponent(name)}`)
}
