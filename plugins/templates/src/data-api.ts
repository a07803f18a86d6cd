import type { ApplyReport, DataService, TableInfo } from '@goop/plugin-data'

/**
 * The data plugin's `data` service (plugins/data, issue 5), as this plugin uses it: `run` (as the
 * owner, or `{ as: peer }` as that visitor under the table policies), `apply` with a `source`,
 * `tables` with their source, `backup`, `drop`, `restore`. Importing its types also brings in the
 * data plugin's declaration of the service, so `ctx.use('data')` is typed.
 */
export type DataApi = DataService
export type DataTableInfo = TableInfo
export type DataApplyReport = ApplyReport

/** The `source` that marks a template's tables in data.db. */
export const templateSource = (name: string): string => `template:${name}`
