import type { TemplateRuntime } from '@goop/sdk'

/**
 * The shapes the templates plugin answers with (its service, its admin API at `/api/x/templates/`,
 * `goop template`). Types only, importing nothing of Node: the viewer's UI, built for the browser,
 * takes them from `@goop/plugin-templates/api` rather than writing them again.
 */

/** A template as lists show it. */
export interface TemplateSummary {
  name: string
  title: string
  description: string
  runtime: TemplateRuntime
  version: string
  /** Its folder or archive. */
  path: string
}

/** A listed entry that could not be read: shown with the reason rather than hidden. */
export interface BrokenTemplate { path: string, error: string }

export type Listed = TemplateSummary | BrokenTemplate

/** What applying a template will do, said before anything is done. */
export interface ApplyPlan {
  template: TemplateSummary
  /** `new`: no template was applied; `update`: the same template again (its data kept); `switch`: another one replaces the applied one. */
  kind: 'new' | 'update' | 'switch'
  previous: { name: string, version: string, title: string } | null
  /** Tables backed up, then dropped: the previous template's (switch), or those an update no longer declares. */
  drop: Array<{ name: string, rows: number }>
  /** The previous template's kv keys, removed (switch). */
  kvKeys: number
  /** The current site/ is moved to this folder (relative to the peer folder). */
  siteBackup: string | null
}

export interface ApplyResult {
  template: TemplateSummary
  kind: ApplyPlan['kind']
  previous: ApplyPlan['previous']
  /** The backup of the dropped tables: a file name in `<peer>/backups/` (`goop data restore FILE`). */
  backup: string | null
  dropped: string[]
  kvKeysRemoved: number
  /** Where the site that was there went (relative to the peer folder). */
  siteBackup: string | null
  /** The data plugin's report on the template's tables (created, migrated, unchanged). */
  tables: Array<{ name: string, action: string, changes: string[] }>
  /** A backup the data plugin made before a forced destructive migration of an update. */
  migrationBackup: string | null
  /** Seed rows inserted, per table (only into tables created by this apply). */
  seeded: Record<string, number>
}

/** What removing the applied template will do. */
export interface RemovePlan {
  name: string
  version: string
  drop: Array<{ name: string, rows: number }>
  kvKeys: number
}

export interface RemoveResult {
  removed: { name: string, version: string }
  backup: string | null
  dropped: string[]
  kvKeysRemoved: number
}

/** The applied template as the peer has it now. */
export interface CurrentTemplate extends TemplateSummary {
  /** When it was applied (ISO), and from where (a bundled name, a folder, an archive). */
  appliedAt: string
  source: string
  tables: string[]
  /** Its logic: loaded (with the functions it exports), or the reason it could not be. `null` for a static template. */
  logic: { loaded: boolean, exports: string[], error?: string } | null
}

/** `GET /api/x/templates/`: every template this peer can apply, and the applied one. */
export interface TemplateList {
  bundled: Listed[]
  local: Listed[]
  current: CurrentTemplate | null
}
