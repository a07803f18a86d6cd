import type { ColumnDef, Policy } from '@goop/sdk'

/**
 * The shapes the data plugin answers with beyond the SDK's data format (its service, its admin API at
 * `/api/x/data/`, `goop data`). Types only, importing nothing of Node: the viewer's UI, built for the
 * browser, takes them from `@goop/plugin-data/api` rather than writing them again.
 */

export interface ApplyReport {
  tables: Array<{ name: string, action: 'created' | 'migrated' | 'unchanged', changes: string[] }>
  /** The backup taken before a forced destructive change. */
  backup?: string
}

export interface TableInfo {
  name: string
  description?: string
  columns: Array<{ name: string } & ColumnDef>
  policy: Policy
  /** Who declared the table: `owner`, `template:<name>`, or what a restored backup said. */
  source: string
  rows: number
}
