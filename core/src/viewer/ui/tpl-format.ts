import type { TemplateRuntime } from '@goop/sdk'
import type { ApplyPlan, Listed, Target, TemplateSummary } from './tpl-api.js'
import { isBroken } from './tpl-api.js'

/** Plain words for templates: what a runtime means, where an error points, how a template is named to the server. */

export const RUNTIME_LABELS: Record<TemplateRuntime, { label: string, title: string }> = {
  static: { label: 'Static site', title: 'Pages and tables only: no code runs on your peer' },
  lua: { label: 'Lua logic', title: 'Runs Lua functions on your peer when visitors use the site, in a sandbox' },
  js: { label: 'JavaScript logic', title: 'Runs JavaScript (or TypeScript) functions on your peer when visitors use the site, in a sandbox' }
}

/** Where an error points: `file:line[:column]: message`, as the plugin and the runtimes write it. */
export interface ErrorAt { file: string, line: number, column?: number, message: string }

/**
 * Split a refusal into its place and its words. The manifest's errors start with the file
 * (`…/goop-template.json:3:19: not valid JSON …`); a runtime's come after the logic folder
 * (`…/blog/logic: main.ts:4:7: Expected ";"`), so the two are joined into one path.
 */
export function errorAt (message: string): ErrorAt | null {
  const at = (file: string, line: string, column: string | undefined, rest: string): ErrorAt =>
    ({ file, line: Number(line), ...(column != null ? { column: Number(column) } : {}), message: rest })
  // The file first; failing that, a folder (with no colon of its own) and then the file inside it.
  const direct = /^([^\s:][^:\n]*?):(\d+)(?::(\d+))?: ([\s\S]*)$/.exec(message)
  if (direct != null) return at(direct[1], direct[2], direct[3], direct[4])
  const inDir = /^([^:\n]+): ([^\s:][^:\n]*?):(\d+)(?::(\d+))?: ([\s\S]*)$/.exec(message)
  if (inDir != null) return at(`${inDir[1].replace(/\/$/, '')}/${inDir[2]}`, inDir[3], inDir[4], inDir[5])
  return null
}

/** A long path cut to its last parts (the full one goes in a title). */
export function shortPath (path: string, parts = 3): string {
  const segs = path.split(/[\\/]/).filter(s => s !== '')
  return segs.length > parts ? `…/${segs.slice(-parts).join('/')}` : path
}

/** A path's last part: a template's folder name. */
export const baseName = (path: string): string => path.split(/[\\/]/).filter(s => s !== '').pop() ?? path

/**
 * How to name a listed template to the server. A bare name is looked up in the peer's templates/
 * folder (by folder name) before the bundled ones, so a local one is always sent by its path, and a
 * bundled one by name only while no local folder of that name would be found first.
 */
export function targetOf (t: TemplateSummary, from: 'bundled' | 'local', local: Listed[]): Target {
  if (from === 'local') return { path: t.path }
  const shadowed = local.some(l => { const b = baseName(l.path); return b === t.name || b === `${t.name}.goop.tgz` })
  return shadowed ? { path: t.path } : { name: t.name }
}

/** "2 rows", "1 row". */
export const rowsText = (n: number): string => `${n.toLocaleString()} ${n === 1 ? 'row' : 'rows'}`

/**
 * Where the applied template came from, for a person: "bundled with goop", the peer's own
 * `templates/…` (`installed` is its copy in `<peer>/template`, so the peer folder is known), or the path.
 */
export function sourceText (source: string, installed: string): string {
  if (/^[a-z][a-z0-9-]*$/.test(source)) return 'bundled with goop'
  const peer = installed.replace(/[\\/]template[\\/]?$/, '')
  const inside = peer !== installed && /^[\\/]/.test(source.slice(peer.length)) && source.startsWith(peer) ? source.slice(peer.length + 1) : null
  return `from ${inside != null && inside !== '' ? inside : shortPath(source)}`
}

/** Is this listed entry the one applied? */
export const isCurrent = (t: Listed, current: { name: string } | null): boolean => current != null && !isBroken(t) && t.name === current.name

/** What a confirmation asks about: the sentence's pieces, so the dialog can set the names in bold. */
export function planTitle (plan: ApplyPlan): string {
  if (plan.kind === 'switch' && plan.previous != null) return `Replace ${plan.previous.title} with ${plan.template.title}?`
  return `Update ${plan.template.title}?`
}
