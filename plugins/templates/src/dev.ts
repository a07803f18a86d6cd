import { watch, type FSWatcher } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { isGoopError, type Logger } from '@goop/sdk'
import type { ApplyResult } from './api-types.js'
import { MANIFEST_FILE } from './manifest.js'
import { watchTree } from './watch.js'

/**
 * The template author's loop (`goop template dev`, config `dev`): apply a template folder when the
 * peer starts, then again whenever its manifest, `site/` or `logic/` changes — an update, so the
 * data stays — without restarting the peer. A change that does not apply (a syntax error, a bad
 * manifest) is logged with its file and line and the previous version keeps serving.
 *
 * Only the manifest and the two folders are watched (watch.ts): never node_modules, the dev peer's
 * own folder (`.goop/dev`) or a built archive, which live in the same project folder.
 */

export interface DevOptions {
  /** The template folder (absolute). */
  dir: string
  /** The peer folder: site backups that re-applying makes are removed from it (below). */
  peerDir: string
  apply: (dir: string) => Promise<ApplyResult>
  log: Logger
  /** Quiet time after the last change before applying (an editor's save is often several events). */
  debounceMs?: number
}

export interface DevLoop {
  /** The first apply, done (whether it worked or not: it is logged). */
  ready: Promise<void>
  /** How many applies succeeded, and the last error (for tests and status). */
  status(): { applied: number, failed: number, lastError: string | null }
  /** Stop watching; resolves when an apply under way has finished. */
  close(): Promise<void>
}

export function startDev (opts: DevOptions): DevLoop {
  const { dir, log } = opts
  const debounceMs = opts.debounceMs ?? 150
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | null = null
  let again = false
  let closed = false
  const stats = { applied: 0, failed: 0, lastError: null as string | null }

  async function applyOnce (): Promise<void> {
    try {
      // Folders made since the last apply are watched from now on (a change inside them already brought us here).
      await Promise.all(trees.map(async t => { await t.rescan() }))
      const r = await opts.apply(dir)
      stats.applied++
      stats.lastError = null
      const what = r.kind === 'update' ? 'updated (data kept)' : r.kind === 'switch' ? `applied, replacing ${r.previous?.name ?? 'another template'}` : 'applied'
      log.info(`dev: ${r.template.name} ${r.template.version} ${what} from ${dir}`)
      if (r.backup != null) log.info(`dev: tables the template no longer declares were backed up to backups/${r.backup}`)
      if (r.migrationBackup != null) log.info(`dev: a migration that loses data was backed up to backups/${r.migrationBackup}`)
      // The dev peer's site/ is a copy of the project's: the copy an apply moves aside is not kept
      // (a long editing session would otherwise leave one folder per save in backups/).
      if (r.siteBackup != null) await rm(join(opts.peerDir, r.siteBackup), { recursive: true, force: true })
    } catch (err) {
      stats.failed++
      stats.lastError = isGoopError(err) ? err.message : (err as Error)?.message ?? String(err)
      log.error(`dev: ${dir} was not applied (the previous version keeps serving): ${stats.lastError}`)
    }
  }

  /** Apply now, or once more after the apply under way (changes that arrive meanwhile are not lost). */
  function run (): void {
    if (closed) return
    if (running != null) { again = true; return }
    running = applyOnce().finally(() => {
      running = null
      if (again && !closed) { again = false; schedule() }
    })
  }

  function schedule (): void {
    if (closed) return
    if (timer != null) clearTimeout(timer)
    timer = setTimeout(run, debounceMs)
  }

  const trees = [watchTree(join(dir, 'site'), schedule), watchTree(join(dir, 'logic'), schedule)]
  let top: FSWatcher | undefined
  try {
    // The project folder itself, not recursively: its manifest, and site/ or logic/ made or replaced.
    top = watch(dir, (_event, name) => { if (name === MANIFEST_FILE || name === 'site' || name === 'logic') schedule() })
    top.on('error', (err) => { log.warn(`dev: stopped watching ${dir}`, { error: err.message }) })
  } catch (err) {
    log.error(`dev: cannot watch ${dir}: changes will not be applied`, { error: (err as Error).message })
  }

  log.info(`dev: watching ${dir} (${MANIFEST_FILE}, site/, logic/): a change is applied at once, the data kept`)
  run()
  const ready = running ?? Promise.resolve()

  return {
    ready,
    status: () => ({ ...stats }),
    async close () {
      closed = true
      if (timer != null) clearTimeout(timer)
      top?.close()
      for (const t of trees) t.close()
      await running
    }
  }
}
