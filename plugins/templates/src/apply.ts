import { randomBytes } from 'node:crypto'
import { lstat, mkdir, rename, rm } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { GoopError, isGoopError, type DataRequest, type Logger, type TemplateManifest } from '@goop/sdk'
import type { ApplyPlan, ApplyResult, RemovePlan, RemoveResult } from './api-types.js'
import { summaryOf } from './catalog.js'
import { templateSource, type DataApi, type DataTableInfo } from './data-api.js'
import { fail } from './errors.js'
import { copyTree, isDir, stamp } from './files.js'
import { INSTALLED_DIR, writeInstalled, type Installed } from './installed.js'
import type { KvStore } from './kv.js'
import type { LoadedTemplate } from './load.js'

export interface ApplyEnv {
  peerDir: string
  /** The plugin's own folder for staging (on the peer's file system, so renames are atomic). */
  scratch: string
  data: DataApi
  kv: KvStore
  log: Logger
}

/** Applying would remove another template (or tables): the owner must confirm (`force`). `plan` says what. */
export class ConfirmNeeded extends GoopError {
  constructor (message: string, readonly plan: ApplyPlan | RemovePlan) { super('confirm_needed', message, 409) }
}

const rowsText = (t: { name: string, rows: number }): string => `${t.name} (${t.rows} row${t.rows === 1 ? '' : 's'})`

/** The sentence a confirmation shows: what will be removed, and that it is backed up. */
export function describePlan (plan: ApplyPlan): string {
  const parts: string[] = []
  if (plan.kind === 'switch' && plan.previous != null) {
    parts.push(`applying ${plan.template.name} replaces template ${plan.previous.name} ${plan.previous.version}:`)
    parts.push(plan.drop.length > 0 ? `its tables ${plan.drop.map(rowsText).join(', ')} are backed up to backups/ and dropped,` : 'it has no tables,')
    parts.push(`its logic and its ${plan.kvKeys} kv key${plan.kvKeys === 1 ? '' : 's'} are removed`)
  } else {
    parts.push(`updating ${plan.template.name} drops the tables its new version no longer declares: ${plan.drop.map(rowsText).join(', ')} (backed up to backups/ first)`)
  }
  if (plan.siteBackup != null) parts.push(`, and site/ is moved to ${plan.siteBackup}`)
  return parts.join(' ')
}

function siteBackupName (): string {
  return join('backups', `${stamp()}-${randomBytes(2).toString('hex')}-site`)
}

/**
 * Plan an apply against the peer as it is (nothing is changed). Refuses a template whose tables would
 * take over tables it does not own: the owner's (`goop data apply`), another template's, a restored
 * backup's. Tables are never taken from their owner silently.
 */
export async function planApply (env: ApplyEnv, t: LoadedTemplate, current: Installed | null): Promise<ApplyPlan> {
  const m = t.manifest
  const tables = await env.data.tables()
  const previous = current == null ? null : { name: current.manifest.name, version: current.manifest.version, title: current.manifest.title }
  const kind: ApplyPlan['kind'] = previous == null ? 'new' : previous.name === m.name ? 'update' : 'switch'
  const mine = templateSource(m.name)
  const theirs = previous != null && kind === 'switch' ? templateSource(previous.name) : undefined
  for (const name of Object.keys(m.tables)) {
    const existing = tables.find(x => x.name === name)
    if (existing == null || existing.source === mine || existing.source === theirs) continue
    fail('table_conflict', `template ${m.name} declares a table ${name}, but this peer already has a table ${name} (from ${existing.source}), which a template never takes over: ` +
      `back it up and drop it (goop data tables, then the data API) or rename the table in the template`)
  }
  const drop: DataTableInfo[] = kind === 'switch'
    ? tables.filter(x => x.source === theirs)
    : tables.filter(x => x.source === mine && m.tables[x.name] == null)
  // Whatever is at site/ (a folder, or a link to one) is moved aside, never deleted.
  const siteExists = await lstat(join(env.peerDir, 'site')).then(() => true, () => false)
  return {
    template: summaryOf(t),
    kind,
    previous,
    drop: drop.map(x => ({ name: x.name, rows: x.rows })),
    kvKeys: kind === 'switch' && previous != null ? env.kv.count(previous.name) : 0,
    siteBackup: siteExists ? siteBackupName() : null
  }
}

/** Does the plan remove something the owner must confirm? */
export const needsConfirm = (plan: ApplyPlan): boolean => plan.kind === 'switch' || plan.drop.length > 0

interface Step { what: string, undo: () => Promise<void> }

/** Undo what was done, newest first; each undo that fails is logged and named in the error. */
async function rollback (steps: Step[], log: Logger): Promise<string[]> {
  const failed: string[] = []
  for (const s of steps.toReversed()) {
    try { await s.undo() } catch (err) {
      failed.push(s.what)
      log.error('could not undo a step of a failed template apply', { step: s.what, error: (err as Error)?.message })
    }
  }
  return failed
}

function failure (err: unknown, undoFailed: string[]): unknown {
  if (undoFailed.length === 0) return err
  const msg = isGoopError(err) ? err.message : (err as Error)?.message
  return new GoopError('apply_failed', `${msg} — and these steps could not be undone: ${undoFailed.join('; ')} (see the peer's log)`, 500)
}

/** Insert a template's seed rows (as the owner) into the tables this apply created. */
async function seed (env: ApplyEnv, m: TemplateManifest, created: Set<string>, file: string): Promise<Record<string, number>> {
  const seeded: Record<string, number> = {}
  for (const [table, rows] of Object.entries(m.seed)) {
    if (!created.has(table) || rows.length === 0) continue
    for (let n = 0; n < rows.length; n++) {
      try {
        await env.data.run({ op: 'insert', table, values: rows[n] } as DataRequest)
      } catch (err) {
        fail('bad_template', `${file}: seed.${table}[${n}]: ${isGoopError(err) ? err.message : (err as Error).message}`)
      }
    }
    seeded[table] = rows.length
  }
  return seeded
}

/**
 * Apply a checked template following `plan`: back up and drop the tables that go, create or migrate
 * the template's tables and seed the new ones, swap site/ (the old one to backups/) and the template's
 * copy in `<peer>/template/`. Each step records its undo; when a step fails, everything done so far is
 * undone and the peer is as it was. The caller switches the logic and removes the old kv state only
 * after this returns (those cannot fail halfway).
 */
export async function applyTemplate (env: ApplyEnv, t: LoadedTemplate, plan: ApplyPlan, opts: { force: boolean, source: string }): Promise<ApplyResult> {
  const m = t.manifest
  const work = join(env.scratch, `apply-${randomBytes(6).toString('hex')}`)
  await mkdir(work, { recursive: true })
  const steps: Step[] = []
  const manifestFile = `${t.source}/goop-template.json`
  try {
    // 0. Staged first, next to the peer (so the swaps below are renames): the new site/ and the
    //    template's copy. A disk that is full or a file that cannot be read fails here, before any change.
    const stagedSite = join(work, 'site')
    await copyTree(join(t.dir, 'site'), stagedSite, t.site)
    const staged = join(work, 'template')
    await writeInstalled(staged, t, { appliedAt: new Date().toISOString(), source: opts.source })

    // 1. The tables that go: backed up (named in the result), then dropped.
    let backup: string | null = null
    if (plan.drop.length > 0) {
      const names = plan.drop.map(x => x.name)
      backup = await env.data.backup(names, `template-${plan.previous?.name ?? m.name}`)
      await env.data.drop(names)
      const file = backup
      steps.push({ what: `restore tables ${names.join(', ')} from backups/${file}`, undo: async () => { await env.data.restore(file, { force: true }) } })
    }

    // 2. The template's tables: created, or migrated on an update (all or nothing, in the data plugin).
    const before = new Set((await env.data.tables()).map(x => x.name))
    let report: { tables: Array<{ name: string, action: string, changes: string[] }>, backup?: string } = { tables: [] }
    if (Object.keys(m.tables).length > 0) {
      report = await env.data.apply({ tables: m.tables }, { force: opts.force, source: templateSource(m.name) })
    }
    const created = new Set(report.tables.filter(x => x.action === 'created' && !before.has(x.name)).map(x => x.name))
    if (created.size > 0) {
      steps.push({ what: `drop the new tables ${[...created].join(', ')}`, undo: async () => { await env.data.drop([...created]) } })
    }
    const seeded = await seed(env, m, created, manifestFile)

    // 3. The site: the old one moved to backups/, the staged one moved in.
    const siteDir = join(env.peerDir, 'site')
    if (plan.siteBackup != null) {
      const kept = join(env.peerDir, plan.siteBackup)
      await mkdir(join(env.peerDir, 'backups'), { recursive: true })
      await rename(siteDir, kept)
      steps.push({ what: `move ${plan.siteBackup} back to site/`, undo: async () => { await rm(siteDir, { recursive: true, force: true }); await rename(kept, siteDir) } })
    }
    await rename(stagedSite, siteDir)
    if (plan.siteBackup == null) steps.push({ what: 'remove the new site/', undo: async () => { await rm(siteDir, { recursive: true, force: true }) } })

    // 4. The template's own copy (manifest, logic), so the peer reloads it on restart.
    const installed = join(env.peerDir, INSTALLED_DIR)
    const old = join(work, 'old-template')
    if (await isDir(installed)) {
      await rename(installed, old)
      steps.push({ what: 'put the previous template/ back', undo: async () => { await rm(installed, { recursive: true, force: true }); await rename(old, installed) } })
    }
    await rename(staged, installed)

    return {
      template: plan.template,
      kind: plan.kind,
      previous: plan.previous,
      backup,
      dropped: plan.drop.map(x => x.name),
      kvKeysRemoved: plan.kvKeys,
      siteBackup: plan.siteBackup,
      tables: report.tables,
      migrationBackup: report.backup != null ? relative(join(env.peerDir, 'backups'), report.backup) || report.backup : null,
      seeded
    }
  } catch (err) {
    throw failure(err, await rollback(steps, env.log))
  } finally {
    await rm(work, { recursive: true, force: true }).catch(() => {})
  }
}

export async function planRemove (env: ApplyEnv, current: Installed): Promise<RemovePlan> {
  const mine = templateSource(current.manifest.name)
  const drop = (await env.data.tables()).filter(x => x.source === mine)
  return { name: current.manifest.name, version: current.manifest.version, drop: drop.map(x => ({ name: x.name, rows: x.rows })), kvKeys: env.kv.count(current.manifest.name) }
}

/**
 * Remove the applied template: back up and drop its tables, remove `<peer>/template/`. The site files
 * stay (they are the owner's now, to keep, edit or replace). The caller disposes of the logic and the
 * kv state after this returns.
 */
export async function removeTemplate (env: ApplyEnv, plan: RemovePlan): Promise<RemoveResult> {
  const steps: Step[] = []
  const work = join(env.scratch, `remove-${randomBytes(6).toString('hex')}`)
  await mkdir(work, { recursive: true })
  try {
    let backup: string | null = null
    if (plan.drop.length > 0) {
      const names = plan.drop.map(x => x.name)
      backup = await env.data.backup(names, `template-${plan.name}`)
      await env.data.drop(names)
      const file = backup
      steps.push({ what: `restore tables ${names.join(', ')} from backups/${file}`, undo: async () => { await env.data.restore(file, { force: true }) } })
    }
    const installed = join(env.peerDir, INSTALLED_DIR)
    if (await isDir(installed)) await rename(installed, join(work, 'old-template'))
    return { removed: { name: plan.name, version: plan.version }, backup, dropped: plan.drop.map(x => x.name), kvKeysRemoved: plan.kvKeys }
  } catch (err) {
    throw failure(err, await rollback(steps, env.log))
  } finally {
    await rm(work, { recursive: true, force: true }).catch(() => {})
  }
}
