import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { GoopError, isGoopError, type CommandTools, type PluginCommand } from '@goop/sdk'
import { backupPath, listBackups, type BackupEntry } from './backups.js'
import type { ApplyReport, TableInfo } from './store/index.js'
import { MAX_SCHEMA_BYTES } from './routes.js'

export const USAGE = [
  'goop data apply SCHEMA.json [--force] [--peer DIR]   create or migrate tables (--force: allow a destructive change, after a backup)',
  '       goop data tables [--json] [--peer DIR]             the tables, their policies and row counts',
  '       goop data backups [--peer DIR]                     the files in <peer>/backups/',
  '       goop data restore FILE [--force] [--peer DIR]      restore a backup (a file in <peer>/backups/)'
].join('\n')

const usage = (msg: string): GoopError => new GoopError('bad_request', `${msg}\nusage: ${USAGE}`)

/**
 * Where the commands act: the running peer through its admin API (so the running data plugin sees
 * every change at once), or, when the peer (or its data plugin) is not running, its data.db directly.
 */
interface Target {
  running: boolean
  apply(schema: unknown, force: boolean, source: string): Promise<ApplyReport>
  tables(): Promise<TableInfo[]>
  backups(): Promise<BackupEntry[]>
  restore(file: string, force: boolean): Promise<{ tables: string[], rows: number }>
  close(): void
}

async function dataPluginRunning (tools: CommandTools): Promise<boolean> {
  try {
    const plugins = await tools.admin<Array<{ name: string, state: string }>>('GET', '/plugins')
    return plugins.some(p => p.name === 'data' && p.state === 'running')
  } catch (err) {
    if (isGoopError(err) && err.code === 'not_running') return false
    throw err
  }
}

async function target (tools: CommandTools): Promise<Target> {
  const peerDir = tools.peerDir
  if (!existsSync(join(peerDir, 'goop.json'))) throw new GoopError('bad_request', `${peerDir} is not a goop peer (no goop.json): give its folder with --peer DIR`)
  if (await dataPluginRunning(tools)) {
    return {
      running: true,
      apply: async (schema, force, source) => await tools.admin<ApplyReport>('POST', `/x/data/schema?source=${encodeURIComponent(source)}${force ? '&force=1' : ''}`, schema),
      tables: async () => (await tools.admin<{ tables: TableInfo[] }>('GET', '/x/data/tables')).tables,
      backups: async () => (await tools.admin<{ backups: BackupEntry[] }>('GET', '/x/data/backups')).backups,
      restore: async (file, force) => await tools.admin('POST', '/x/data/restore', { file, force }),
      close: () => {}
    }
  }
  // Loaded only here: the engine (and SQLite) are not needed to talk to a running peer.
  const { DataStore } = await import('./store/index.js')
  const backupDir = join(peerDir, 'backups')
  // One-off changes by hand: every commit fsynced.
  const store = DataStore.open(join(peerDir, 'data.db'), { backupDir, synchronous: 'full', busyTimeoutMs: 5000 })
  return {
    running: false,
    apply: async (schema, force, source) => store.apply(schema, { force, source }),
    tables: async () => store.tables(),
    backups: async () => listBackups(backupDir),
    restore: async (file, force) => store.restore(backupPath(backupDir, file), { force }),
    close: () => { store.close() }
  }
}

/** A refusal of what the user gave (a bad schema, a bad file name) exits 2, like any usage error. */
function asUsage (err: unknown): unknown {
  if (isGoopError(err) && err.status === 400 && err.code !== 'bad_request') return new GoopError('bad_request', err.message)
  return err
}

async function readSchema (file: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new GoopError('bad_request', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
  }
  if (Buffer.byteLength(text) > MAX_SCHEMA_BYTES) throw new GoopError('bad_request', `${file} is over ${MAX_SCHEMA_BYTES} bytes`)
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new GoopError('bad_request', `${file} is not JSON: ${(err as Error).message}`)
  }
}

function printReport (report: ApplyReport, print: (line: string) => void): void {
  for (const t of report.tables) {
    print(`${t.name}: ${t.action}${t.changes.length > 0 ? ` (${t.changes.join('; ')})` : ''}`)
  }
  if (report.backup != null) print(`backup: ${basename(report.backup)} (in backups/; goop data restore ${basename(report.backup)} puts it back)`)
}

function policyLine (t: TableInfo): string {
  return `read ${t.policy.read}, insert ${t.policy.insert}, update ${t.policy.update}, delete ${t.policy.delete}`
}

function printTables (tables: TableInfo[], print: (line: string) => void): void {
  if (tables.length === 0) { print('no tables (apply a schema with goop data apply SCHEMA.json)'); return }
  for (const t of tables) {
    print(`${t.name}  ${t.rows} row${t.rows === 1 ? '' : 's'}  ${policyLine(t)}  (from ${t.source})`)
    print(`  ${t.columns.map(c => `${c.name} ${c.type}${c.required === true ? ' required' : ''}`).join(', ')}`)
  }
}

/** `restore` takes a file of the peer's backups/ folder: a plain name, or a path that leads there. */
function backupFileArg (peerDir: string, arg: string): string {
  if (!arg.includes('/') && !arg.includes('\\')) return arg
  const full = resolve(arg)
  if (dirname(full) !== join(peerDir, 'backups')) throw new GoopError('bad_request', `restore takes a file in ${join(peerDir, 'backups')} (got ${arg})`)
  return basename(full)
}

async function withTarget<T> (tools: CommandTools, fn: (t: Target) => Promise<T>): Promise<T> {
  const t = await target(tools)
  try { return await fn(t) } catch (err) { throw asUsage(err) } finally { t.close() }
}

export const dataCommand: PluginCommand = {
  summary: 'apply schemas, list tables, restore backups of a peer\'s data (running or not)',
  usage: USAGE,
  async run (args, tools) {
    let parsed
    try {
      parsed = parseArgs({ args, options: { force: { type: 'boolean' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true })
    } catch (err) {
      throw usage((err as Error).message.split('\n')[0])
    }
    const { values, positionals } = parsed
    const [sub, ...rest] = positionals
    const print = tools.print
    switch (sub) {
      case 'apply': {
        if (rest.length !== 1) throw usage('apply takes one schema file')
        const schema = await readSchema(rest[0])
        await withTarget(tools, async (t) => {
          const report = await t.apply(schema, values.force === true, 'owner')
          printReport(report, print)
          print(t.running ? 'applied to the running peer' : `applied to ${join(tools.peerDir, 'data.db')} (the peer is not running)`)
        })
        return 0
      }
      case 'tables': {
        if (rest.length !== 0) throw usage('tables takes no arguments')
        await withTarget(tools, async (t) => {
          const tables = await t.tables()
          if (values.json === true) print(JSON.stringify(tables, null, 2))
          else printTables(tables, print)
        })
        return 0
      }
      case 'backups': {
        if (rest.length !== 0) throw usage('backups takes no arguments')
        await withTarget(tools, async (t) => {
          const list = await t.backups()
          if (list.length === 0) print('no backups')
          for (const b of list) print(`${b.file}  ${b.size} bytes  ${new Date(b.mtime).toISOString()}`)
        })
        return 0
      }
      case 'restore': {
        if (rest.length !== 1) throw usage('restore takes one backup file')
        const file = backupFileArg(tools.peerDir, rest[0])
        await withTarget(tools, async (t) => {
          const r = await t.restore(file, values.force === true)
          print(`restored ${r.tables.join(', ') || 'no tables'} (${r.rows} row${r.rows === 1 ? '' : 's'}) from ${file}`)
        })
        return 0
      }
      default:
        throw usage(sub == null ? 'what should goop data do?' : `unknown command "data ${sub}"`)
    }
  }
}
