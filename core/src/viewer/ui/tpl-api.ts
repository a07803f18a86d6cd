import type { TemplateRuntime } from '@goop/sdk'
import { api, ApiError } from './api.js'

/**
 * The templates plugin's owner API (`/api/x/templates/*`). The shapes are the plugin's
 * (plugins/templates/src: catalog.ts, apply.ts, service.ts), written again here because the UI is
 * built for the browser and cannot import a Node package's types.
 */

/** A template as the lists show it. `path`: its folder or archive on this peer's machine. */
export interface TemplateSummary {
  name: string
  title: string
  description: string
  runtime: TemplateRuntime
  version: string
  path: string
}

/** A listed entry that could not be read: shown with its reason (file and line) rather than hidden. */
export interface BrokenTemplate { path: string, error: string }

export type Listed = TemplateSummary | BrokenTemplate

export const isBroken = (t: Listed): t is BrokenTemplate => 'error' in t

/** The applied template, with what it installed. */
export interface CurrentTemplate extends TemplateSummary {
  appliedAt: string
  /** Where it came from: a bundled name, or a folder or archive path. */
  source: string
  tables: string[]
  /** Its logic: loaded (with the functions it exports) or why not; null for a static template. */
  logic: { loaded: boolean, exports: string[], error?: string } | null
}

export interface TemplateList {
  bundled: Listed[]
  local: Listed[]
  current: CurrentTemplate | null
}

/** What an apply would do; the server sends it with a `confirm_needed` refusal. */
export interface ApplyPlan {
  template: TemplateSummary
  kind: 'new' | 'update' | 'switch'
  previous: { name: string, version: string, title: string } | null
  /** Tables backed up, then dropped. */
  drop: Array<{ name: string, rows: number }>
  /** The previous template's stored key-value state, removed. */
  kvKeys: number
  /** Where the site folder that is there now will be moved (relative to the peer folder). */
  siteBackup: string | null
}

export interface ApplyResult {
  template: TemplateSummary
  kind: ApplyPlan['kind']
  previous: ApplyPlan['previous']
  /** The backup file of the dropped tables, in the peer's backups/ folder. */
  backup: string | null
  dropped: string[]
  kvKeysRemoved: number
  siteBackup: string | null
  tables: Array<{ name: string, action: string, changes: string[] }>
  /** The backup made before an update's destructive migration. */
  migrationBackup: string | null
  seeded: Record<string, number>
}

export interface RemoveResult {
  removed: { name: string, version: string }
  backup: string | null
  dropped: string[]
  kvKeysRemoved: number
}

/** How a template is named to the server. */
export type Target = { name: string } | { path: string }

const BASE = '/x/templates'

export async function listTemplates (): Promise<TemplateList> {
  return await api<TemplateList>('GET', `${BASE}/`)
}

/** Apply; without `force`, replacing another template throws an ApiError `confirm_needed` (see planOf). */
export async function applyTemplate (target: Target, force = false): Promise<ApplyResult> {
  return await api<ApplyResult>('POST', `${BASE}/apply`, { ...target, ...(force ? { force: true } : {}) })
}

export async function removeTemplate (): Promise<RemoveResult> {
  return await api<RemoveResult>('DELETE', `${BASE}/current`)
}

/** The plan a `confirm_needed` refusal carries, if it is one (and carries one). */
export function planOf (err: unknown): ApplyPlan | null | undefined {
  if (!(err instanceof ApiError) || err.code !== 'confirm_needed') return undefined
  const plan = err.details?.plan
  return typeof plan === 'object' && plan != null && 'kind' in plan ? plan as ApplyPlan : null
}
