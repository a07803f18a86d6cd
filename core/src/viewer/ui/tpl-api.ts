import { api, ApiError } from './api.js'

import type { ApplyPlan, ApplyResult, BrokenTemplate, CurrentTemplate, Listed, RemoveResult, TemplateList, TemplateSummary } from '@goop/plugin-templates/api'

/**
 * The templates plugin's owner API (`/api/x/templates/*`), with the plugin's own shapes
 * (`@goop/plugin-templates/api`: types only, nothing of Node).
 */
export type { ApplyPlan, ApplyResult, BrokenTemplate, CurrentTemplate, Listed, RemoveResult, TemplateList, TemplateSummary }

export const isBroken = (t: Listed): t is BrokenTemplate => 'error' in t

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
