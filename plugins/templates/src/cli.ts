import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { createInterface } from 'node:readline/promises'
import { parseArgs } from 'node:util'
import { GoopError, isGoopError, TEMPLATE_NAME_PATTERN, type CommandTools, type PluginCommand } from '@goop/sdk'
import type { ApplyResult, CurrentTemplate, Listed, RemoveResult, TemplateSummary } from './api-types.js'
import { buildArchive } from './build.js'
import { MANIFEST_FILE } from './manifest.js'
import type { TemplatesService } from './service.js'

export const USAGE = [
  'goop template list [--json] [--peer DIR]                       the bundled templates, the peer\'s own (<peer>/templates/) and the applied one',
  '       goop template apply NAME|PATH [--force] [--peer DIR]        apply a template (a name, a folder or a .goop.tgz); --force: replace another without asking',
  '       goop template current [--json] [--peer DIR]                 the applied template',
  '       goop template remove [--force] [--peer DIR]                 remove the applied template (its tables are backed up first; site files stay)',
  '       goop template check NAME|PATH [--peer DIR]                  check a template (manifest, files, logic) without applying it',
  '       goop template dev [DIR]                                     run a dev peer (DIR/.goop/dev) with the template folder DIR applied, re-applied on every change',
  '       goop template build [DIR] [--out FILE] [--peer DIR]         check the template folder DIR and write NAME-VERSION.goop.tgz'
].join('\n')

const usage = (msg: string): GoopError => new GoopError('bad_request', `${msg}\nusage: ${USAGE}`)

/** Where the command acts: the running peer through its admin API, or the peer started in this process. */
interface Target {
  list(): Promise<{ bundled: Listed[], local: Listed[], current: CurrentTemplate | null }>
  current(): Promise<CurrentTemplate | null>
  apply(what: string, force: boolean): Promise<ApplyResult>
  check(what: string): Promise<TemplateSummary>
  remove(): Promise<RemoveResult | null>
}

/**
 * Run `fn` against the templates service of a peer that is not running: the kernel starts the peer
 * in this process for it (`tools.withPeer`: no viewer, loopback only, no mDNS, no rendezvous) and
 * stops it afterwards. Tests inject their own runner.
 */
export type LocalRunner = <T>(tools: CommandTools, fn: (service: TemplatesService) => Promise<T>) => Promise<T>

export const runLocally: LocalRunner = async (tools, fn) =>
  await tools.withPeer(['templates'], async use => await fn(use('templates') as TemplatesService))

/** Is the peer running, and the templates plugin on it? */
async function peerState (tools: CommandTools): Promise<'running' | 'stopped' | 'plugin_off'> {
  try {
    const plugins = await tools.admin<Array<{ name: string, state: string }>>('GET', '/plugins')
    return plugins.some(p => p.name === 'templates' && p.state === 'running') ? 'running' : 'plugin_off'
  } catch (err) {
    if (isGoopError(err) && err.code === 'not_running') return 'stopped'
    throw err
  }
}

/** A refusal of what the user gave (4xx: a broken template, a conflict, a missing name) is a one-line error with exit 2; a failure of the work itself stays exit 1. */
function asUsage (err: unknown): unknown {
  if (!isGoopError(err) || err.code === 'bad_request' || err.status >= 500) return err
  return new GoopError('bad_request', err.message.replace(/\n/g, '; '))
}

async function withTarget<T> (tools: CommandTools, local: LocalRunner, fn: (t: Target, running: boolean) => Promise<T>): Promise<T> {
  try {
    return await targeted(tools, local, fn)
  } catch (err) {
    throw asUsage(err)
  }
}

async function targeted<T> (tools: CommandTools, local: LocalRunner, fn: (t: Target, running: boolean) => Promise<T>): Promise<T> {
  if (!existsSync(join(tools.peerDir, 'goop.json'))) throw new GoopError('bad_request', `${tools.peerDir} is not a goop peer (no goop.json): give its folder with --peer DIR`)
  const state = await peerState(tools)
  if (state === 'plugin_off') throw new GoopError('bad_request', `the peer in ${tools.peerDir} is running without the templates plugin: enable it (goop plugins enable templates --peer ${tools.peerDir})`)
  if (state === 'running') {
    const api = '/x/templates'
    const target: Target = {
      list: async () => await tools.admin('GET', `${api}/`),
      current: async () => (await tools.admin<{ current: CurrentTemplate | null }>('GET', `${api}/current`)).current,
      apply: async (what, force) => await tools.admin('POST', `${api}/apply`, TEMPLATE_NAME_PATTERN.test(what) ? { name: what, force } : { path: what, force }),
      check: async what => await tools.admin('POST', `${api}/check`, TEMPLATE_NAME_PATTERN.test(what) ? { name: what } : { path: what }),
      remove: async () => {
        try { return await tools.admin<RemoveResult>('DELETE', `${api}/current`) } catch (err) {
          if (isGoopError(err) && err.code === 'no_template') return null
          throw err
        }
      }
    }
    return await fn(target, true)
  }
  return await local(tools, async service => await fn({
    list: async () => await service.list(),
    current: async () => service.current(),
    apply: async (what, force) => await service.apply(what, { force }),
    check: async what => await service.check(what),
    remove: async () => await service.remove()
  }, false))
}

/** The template folder a `dev` or `build` names (default: the shell's folder); it must hold a manifest. */
function templateFolder (arg: string | undefined): string {
  const dir = resolve(arg ?? '.')
  if (!existsSync(join(dir, MANIFEST_FILE))) throw new GoopError('bad_request', `${dir} has no ${MANIFEST_FILE}: give the template folder (npm create goop-template makes one)`)
  return dir
}

/** A project's dev peer: where `goop template dev` runs the template, and what compiles its logic for `build`. */
export const devPeerOf = (dir: string): string => join(dir, '.goop', 'dev')

/**
 * Checking a template means compiling its logic, which only a peer's runtimes do. When `build` is
 * pointed at the project's own dev peer (as the generated scripts do) and that peer was never run,
 * it is made here: a goop.json with a name is a peer folder (the kernel fills in every default and
 * makes the identity on first start), so the first `npm run build` works before any `npm run dev`.
 */
async function ensureDevPeer (peerDir: string, dir: string): Promise<void> {
  if (resolve(peerDir) !== devPeerOf(dir) || existsSync(join(peerDir, 'goop.json'))) return
  await mkdir(peerDir, { recursive: true })
  await writeFile(join(peerDir, 'goop.json'), JSON.stringify({ name: 'dev' }, null, 2) + '\n', { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err
  })
}

const kib = (bytes: number): string => bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`

/** A relative path is the user's, from the shell's folder; a bare name is a template's name. */
const targetArg = (arg: string): string => TEMPLATE_NAME_PATTERN.test(arg) ? arg : resolve(arg)

function printList (title: string, list: Listed[], print: (line: string) => void): void {
  print(`${title}:`)
  if (list.length === 0) print('  (none)')
  for (const t of list) {
    if ('error' in t) print(`  ! ${t.path}: ${t.error.split('\n')[0]}`)
    else print(`  ${t.name.padEnd(16)} ${t.version.padEnd(8)} ${t.runtime.padEnd(6)} ${t.title}${t.description !== '' ? ` — ${t.description}` : ''}`)
  }
}

function printCurrent (c: CurrentTemplate | null, print: (line: string) => void): void {
  if (c == null) { print('no template is applied (goop template list shows what there is)'); return }
  print(`${c.name} ${c.version} (${c.runtime}) — ${c.title}`)
  print(`  applied ${c.appliedAt} from ${c.source}`)
  print(`  tables: ${c.tables.length > 0 ? c.tables.join(', ') : '(none)'}`)
  if (c.logic != null) print(c.logic.loaded ? `  logic: exports ${c.logic.exports.join(', ') || '(nothing)'}` : `  logic: NOT LOADED: ${c.logic.error ?? 'unknown reason'}`)
}

function printApplied (r: ApplyResult, print: (line: string) => void): void {
  const t = r.template
  const how = r.kind === 'switch' && r.previous != null ? `, replacing ${r.previous.name} ${r.previous.version}` : r.kind === 'update' ? ' (an update: its data is kept)' : ''
  print(`applied ${t.name} ${t.version}${how}`)
  if (r.backup != null) print(`  backup: backups/${r.backup} (goop data restore ${r.backup} puts ${r.dropped.join(', ')} back)`)
  if (r.dropped.length > 0) print(`  dropped tables: ${r.dropped.join(', ')}`)
  if (r.kvKeysRemoved > 0) print(`  removed ${r.kvKeysRemoved} kv key${r.kvKeysRemoved === 1 ? '' : 's'} of ${r.previous?.name ?? t.name}`)
  if (r.siteBackup != null) print(`  the previous site/ is kept in ${r.siteBackup}`)
  for (const x of r.tables) print(`  table ${x.name}: ${x.action}${x.changes.length > 0 && x.action !== 'created' ? ` (${x.changes.join('; ')})` : ''}`)
  for (const [table, n] of Object.entries(r.seeded)) print(`  seeded ${table} with ${n} row${n === 1 ? '' : 's'}`)
  if (r.migrationBackup != null) print(`  the tables were backed up before the migration: backups/${r.migrationBackup}`)
}

/** Ask y/N on a terminal. */
async function confirm (question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout })
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim())
  } finally { rl.close() }
}

export interface CommandOptions {
  /** How to reach a stopped peer (tests hand in their own). */
  local?: LocalRunner
  /** Is there a person to ask (default: stdin and stdout are terminals)? */
  interactive?: () => boolean
  ask?: (question: string) => Promise<boolean>
}

export function templateCommand (opts: CommandOptions = {}): PluginCommand {
  const local = opts.local ?? runLocally
  const interactive = opts.interactive ?? (() => process.stdin.isTTY === true && process.stdout.isTTY === true)
  const ask = opts.ask ?? confirm
  return {
    summary: 'list, apply, check and remove site templates (running peer or not)',
    usage: USAGE,
    async run (args, tools) {
      let parsed
      try {
        parsed = parseArgs({ args, options: { force: { type: 'boolean' }, json: { type: 'boolean' }, out: { type: 'string' } }, allowPositionals: true, strict: true })
      } catch (err) {
        throw usage((err as Error).message.split('\n')[0])
      }
      const { values, positionals } = parsed
      const [sub, ...rest] = positionals
      const print = tools.print
      const json = values.json === true
      if (values.out != null && sub !== 'build') throw usage('--out is an option of build only')
      switch (sub) {
        case 'list': {
          if (rest.length !== 0) throw usage('list takes no arguments')
          await withTarget(tools, local, async (t) => {
            const l = await t.list()
            if (json) { print(JSON.stringify(l, null, 2)); return }
            printList('bundled', l.bundled, print)
            printList(`local (${join(tools.peerDir, 'templates')})`, l.local, print)
            print(`applied: ${l.current != null ? `${l.current.name} ${l.current.version}` : '(none)'}`)
          })
          return 0
        }
        case 'current': {
          if (rest.length !== 0) throw usage('current takes no arguments')
          await withTarget(tools, local, async (t) => {
            const c = await t.current()
            if (json) print(JSON.stringify(c, null, 2)); else printCurrent(c, print)
          })
          return 0
        }
        case 'check': {
          if (rest.length !== 1) throw usage('check takes one template: a name, a folder or a .goop.tgz')
          await withTarget(tools, local, async (t) => {
            const s = await t.check(targetArg(rest[0]))
            print(`${s.name} ${s.version} (${s.runtime}) is a valid template: ${s.title}`)
          })
          return 0
        }
        case 'apply': {
          if (rest.length !== 1) throw usage('apply takes one template: a name, a folder or a .goop.tgz')
          const what = targetArg(rest[0])
          await withTarget(tools, local, async (t, running) => {
            let result: ApplyResult
            try {
              result = await t.apply(what, values.force === true)
            } catch (err) {
              if (!isGoopError(err) || err.code !== 'confirm_needed') throw err
              const message = err.message.replace(/ Apply again with force to go on\.$/, '')
              if (!interactive()) throw new GoopError('bad_request', `${message}; run again with --force to do it`)
              if (!await ask(`${message}. Go on?`)) { print('nothing was changed'); return }
              result = await t.apply(what, true)
            }
            printApplied(result, print)
            if (!running) print(`(the peer in ${tools.peerDir} is not running: it serves the template when it starts)`)
          })
          return 0
        }
        case 'remove': {
          if (rest.length !== 0) throw usage('remove takes no arguments')
          await withTarget(tools, local, async (t) => {
            const c = await t.current()
            if (c == null) { print('no template is applied'); return }
            if (values.force !== true) {
              const question = `remove template ${c.name} ${c.version}? Its tables (${c.tables.join(', ') || 'none'}) are backed up to backups/ and dropped, its logic and kv state removed; site/ stays.`
              if (!interactive()) throw new GoopError('bad_request', `${question.replace(/\?.*/, '')} needs --force (or answer on a terminal)`)
              if (!await ask(question)) { print('nothing was changed'); return }
            }
            const r = await t.remove()
            if (r == null) { print('no template is applied'); return }
            print(`removed ${r.removed.name} ${r.removed.version}`)
            if (r.backup != null) print(`  backup: backups/${r.backup} (goop data restore ${r.backup} puts ${r.dropped.join(', ')} back)`)
            if (r.kvKeysRemoved > 0) print(`  removed ${r.kvKeysRemoved} kv key${r.kvKeysRemoved === 1 ? '' : 's'}`)
          })
          return 0
        }
        case 'dev': {
          if (rest.length > 1) throw usage('dev takes one template folder (default: this folder)')
          const dir = templateFolder(rest[0])
          print(`dev peer ${devPeerOf(dir)}: ${dir} is applied now and again on every change to ${MANIFEST_FILE}, site/ or logic/ (its data is kept)`)
          print('open the viewer URL below; your app is the peer\'s own site (My site). Ctrl+C stops')
          // No mDNS and any free port: a dev peer is for its author, beside any peer they already run.
          await tools.runPeer({ dir: devPeerOf(dir), enable: { templates: { config: { dev: dir } } }, port: 0, mdns: false })
          return 0
        }
        case 'build': {
          if (rest.length > 1) throw usage('build takes one template folder (default: this folder)')
          const dir = templateFolder(rest[0])
          await ensureDevPeer(tools.peerDir, dir)
          await withTarget(tools, local, async (t) => {
            const s = await t.check(dir)
            print(`checked ${s.name} ${s.version} (${s.runtime}): manifest, tables, files${s.runtime === 'static' ? '' : ' and logic'}`)
          })
          let built
          try {
            built = await buildArchive(dir, values.out)
          } catch (err) { throw asUsage(err) }
          print(`wrote ${relative(process.cwd(), built.file) || built.file} (${built.files} files, ${kib(built.bytes)})`)
          print(`apply it to a peer with: goop template apply ${relative(process.cwd(), built.file) || built.file} --peer DIR`)
          return 0
        }
        default:
          throw usage(sub == null ? 'what should goop template do?' : `unknown command "template ${sub}"`)
      }
    }
  }
}
