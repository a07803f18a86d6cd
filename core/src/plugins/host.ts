import semver from 'semver'
import { GoopError, SDK_VERSION, type GoopPlugin, type Logger, type PluginState } from '@goop/sdk'
import { describeIssues } from '../config/load.js'
import type { PluginEntry } from '../config/schema.js'
import { PluginScope, type Kernel } from './context.js'
import { importPlugin, pluginDir } from './loader.js'

export type PluginSource = 'builtin' | 'inline' | 'installed'

export interface PluginInfo {
  name: string
  version: string | null
  description?: string
  source: PluginSource
  enabled: boolean
  state: PluginState
  error?: string
  requires: string[]
  provides: string[]
}

interface PluginRecord {
  name: string
  source: PluginSource
  /** The object handed in, for inline plugins. */
  given?: GoopPlugin
  entry: PluginEntry | undefined
  def?: GoopPlugin
  enabled: boolean
  state: PluginState
  error?: string
  scope?: PluginScope
}

export interface BuiltinPlugin { load: () => Promise<GoopPlugin>, enabledByDefault: boolean }

export interface HostOptions {
  builtins: Record<string, BuiltinPlugin>
  /** Plugin objects handed in directly (the test kit); trusted like built-ins. */
  inline: GoopPlugin[]
  entries: Record<string, PluginEntry>
  /** Save a change of a plugin's entry to goop.json. */
  persist: (name: string, patch: Partial<PluginEntry>) => Promise<void>
  onChange: (info: PluginInfo) => void
  /** Read a plugin's entry from goop.json again (a plugin added by `goop plugins add` while the peer runs). */
  readEntry: (name: string) => Promise<PluginEntry | undefined>
  log: Logger
}

/**
 * Loads, orders, starts and stops plugins. Checks each plugin's `sdk` range against this SDK, orders
 * them so providers of a service come before those that require it, and refuses (marks failed, with
 * the names) missing and cyclic requirements. A plugin that fails never takes the peer down.
 */
export class PluginHost {
  private readonly records = new Map<string, PluginRecord>()
  private queue: Promise<unknown> = Promise.resolve()
  /** Running plugins in the order they started. */
  private started: PluginRecord[] = []

  constructor (private readonly kernel: Kernel, private readonly opts: HostOptions) {}

  /** Run host operations one at a time: enable/disable from the API and the CLI can arrive together. */
  private serial<T> (fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn)
    this.queue = next.catch(() => {})
    return next
  }

  async loadAll (): Promise<void> {
    await this.serial(async () => {
      const { builtins, inline, entries } = this.opts
      const names = new Set([...Object.keys(builtins), ...inline.map(p => p.name), ...Object.keys(entries)])
      for (const name of names) {
        const entry = entries[name]
        const builtin = builtins[name]
        const given = inline.find(p => p.name === name)
        const source: PluginSource = given != null ? 'inline' : builtin != null && entry?.from == null ? 'builtin' : 'installed'
        const enabled = entry?.enabled ?? (given != null ? true : builtin?.enabledByDefault ?? false)
        const record: PluginRecord = { name, source, given, entry, enabled, state: 'stopped' }
        this.records.set(name, record)
        await this.resolve(record)
        if (enabled && source === 'installed' && entry?.trusted !== true && record.error == null) {
          this.fail(record, `plugin ${name} is enabled in goop.json but its owner has not trusted it yet: run goop plugins enable ${name} --yes`)
        }
      }
      const order = this.order([...this.records.values()].filter(r => r.enabled && r.def != null && r.error == null))
      for (const record of order) await this.start(record)
    })
  }

  private async resolve (record: PluginRecord): Promise<void> {
    record.error = undefined
    try {
      if (record.given != null) record.def = record.given
      else if (record.source === 'builtin') record.def = await this.opts.builtins[record.name].load()
      else if (record.entry?.from != null) record.def = await importPlugin(pluginDir(this.kernel.dir, record.entry.from))
      else throw new GoopError('plugin_unknown', `plugin ${record.name} is not built in and has no "from" in goop.json`)
      this.check(record.name, record.def)
    } catch (err) {
      this.fail(record, (err as Error).message)
    }
  }

  /** The checks made before a plugin may run: name, SDK range, its config. */
  private check (name: string, def: GoopPlugin): void {
    if (def.name !== name) throw new GoopError('plugin_invalid', `goop.json lists plugin "${name}" but the package defines "${def.name}"`)
    if (semver.validRange(def.sdk) == null) throw new GoopError('sdk_mismatch', `plugin ${name} declares sdk "${def.sdk}", which is not a semver range`)
    if (!semver.satisfies(SDK_VERSION, def.sdk)) {
      throw new GoopError('sdk_mismatch', `plugin ${name}@${def.version} needs @goop/sdk ${def.sdk}, but this peer provides @goop/sdk ${SDK_VERSION}`)
    }
  }

  private parseConfig (record: PluginRecord): unknown {
    const schema = record.def?.config
    const raw = record.entry?.config ?? {}
    if (schema == null) return raw
    const result = schema.safeParse(raw)
    if (!result.success) {
      throw new GoopError('config_invalid', describeIssues(`${this.kernel.dir}/goop.json`, result.error.issues, ['plugins', record.name, 'config']))
    }
    return result.data
  }

  /**
   * Order plugins so every provider starts before the plugins that require it (Kahn's algorithm).
   * Missing providers and cycles mark the plugins involved failed, with the names.
   */
  private order (candidates: PluginRecord[]): PluginRecord[] {
    const providers = new Map<string, PluginRecord>()
    for (const r of candidates) for (const s of r.def!.provides ?? []) providers.set(s, r)
    let ok = candidates
    // Drop plugins whose requirement nobody provides, until none is left to drop.
    for (let changed = true; changed;) {
      changed = false
      for (const r of ok) {
        const missing = (r.def!.requires ?? []).filter(s => { const p = providers.get(s); return p == null || !ok.includes(p) })
        if (missing.length > 0) {
          this.fail(r, `plugin ${r.name} requires ${missing.map(s => `"${s}"`).join(', ')}, which no enabled plugin provides`)
          changed = true
        }
      }
      ok = ok.filter(r => r.error == null)
    }
    const deps = new Map(ok.map(r => [r, new Set((r.def!.requires ?? []).map(s => providers.get(s)!).filter(p => p !== r))]))
    const sorted: PluginRecord[] = []
    for (;;) {
      const ready = [...deps].filter(([, d]) => d.size === 0).map(([r]) => r)
      if (ready.length === 0) break
      for (const r of ready) {
        sorted.push(r)
        deps.delete(r)
        for (const d of deps.values()) d.delete(r)
      }
    }
    if (deps.size > 0) {
      const cycle = this.findCycle(deps)
      for (const r of deps.keys()) {
        this.fail(r, cycle.includes(r.name)
          ? `plugins ${cycle.join(' -> ')} require each other in a cycle`
          : `plugin ${r.name} depends on plugins that require each other in a cycle (${cycle.join(' -> ')})`)
      }
    }
    return sorted
  }

  private findCycle (deps: Map<PluginRecord, Set<PluginRecord>>): string[] {
    let node = deps.keys().next().value!
    const path: PluginRecord[] = []
    while (!path.includes(node)) { path.push(node); node = deps.get(node)!.values().next().value! }
    const cycle = path.slice(path.indexOf(node)).map(r => r.name)
    return [...cycle, cycle[0]]
  }

  private fail (record: PluginRecord, error: string): void {
    record.state = 'failed'
    record.error = error
    this.opts.log.error('plugin failed', { plugin: record.name, error })
    this.opts.onChange(this.info(record))
  }

  private async start (record: PluginRecord): Promise<void> {
    const def = record.def!
    let scope: PluginScope | undefined
    try {
      const config = this.parseConfig(record)
      for (const s of def.requires ?? []) {
        if (!this.kernel.services.has(s)) throw new GoopError('service_missing', `plugin ${record.name} requires "${s}", which no running plugin provides`)
      }
      scope = new PluginScope(this.kernel, def, config)
      await def.setup(scope.ctx)
      for (const s of def.provides ?? []) {
        if (this.kernel.services.get(s)?.owner !== def.name) throw new GoopError('service_missing', `plugin ${record.name} lists "${s}" in provides but did not call ctx.provide("${s}", …)`)
      }
      record.scope = scope
      record.state = 'running'
      this.started = [...this.started.filter(r => r !== record), record]
      record.error = undefined
      this.opts.log.info('plugin running', { plugin: record.name, version: def.version })
      this.opts.onChange(this.info(record))
    } catch (err) {
      if (scope != null) await scope.dispose()
      this.fail(record, `setup failed: ${(err as Error)?.message ?? String(err)}`)
    }
  }

  private async stop (record: PluginRecord): Promise<void> {
    const scope = record.scope
    record.scope = undefined
    record.state = 'stopped'
    this.started = this.started.filter(r => r !== record)
    if (scope != null) {
      const errors = await scope.dispose()
      for (const e of errors) this.opts.log.warn('error while stopping plugin', { plugin: record.name, error: e.message })
    }
    this.opts.onChange(this.info(record))
  }

  private get (name: string): PluginRecord {
    const record = this.records.get(name)
    if (record == null) throw new GoopError('plugin_unknown', `no plugin named ${name} (goop plugins list shows them; goop plugins add installs one)`, 404)
    return record
  }

  async enable (name: string, opts: { trust?: boolean } = {}): Promise<PluginInfo> {
    return await this.serial(async () => {
      if (!this.records.has(name)) {
        const entry = await this.opts.readEntry(name)
        if (entry != null) this.records.set(name, { name, source: 'installed', entry, enabled: false, state: 'stopped' })
      }
      const record = this.get(name)
      if (record.state === 'running') return this.info(record)
      if (record.source === 'installed' && record.entry?.trusted !== true && opts.trust !== true) {
        throw new GoopError('needs_trust', `plugin ${name} is third-party: it will run with this peer's full rights (its files, its key, its network). ` +
          'Enable it only if you trust its author: confirm with --yes (CLI) or { "trust": true } (API)', 409)
      }
      const patch: Partial<PluginEntry> = { enabled: true }
      if (record.source === 'installed') patch.trusted = true
      await this.opts.persist(name, patch)
      record.entry = { ...(record.entry ?? { enabled: true }), ...patch }
      record.enabled = true
      if (record.def == null || record.state === 'failed') await this.resolve(record)
      if (record.error == null) await this.start(record)
      return this.info(record)
    })
  }

  async disable (name: string): Promise<PluginInfo> {
    return await this.serial(async () => {
      const record = this.get(name)
      const provided = record.def?.provides ?? []
      const dependents = [...this.records.values()].filter(r =>
        r !== record && r.state === 'running' && (r.def?.requires ?? []).some(s => provided.includes(s)))
      if (dependents.length > 0) {
        throw new GoopError('plugin_required', `cannot disable ${name}: ${dependents.map(r => r.name).join(', ')} require${dependents.length === 1 ? 's' : ''} it (disable ${dependents.length === 1 ? 'it' : 'them'} first)`, 409)
      }
      await this.opts.persist(name, { enabled: false })
      record.enabled = false
      if (record.entry != null) record.entry.enabled = false
      await this.stop(record)
      record.error = undefined
      return this.info(record)
    })
  }

  /** Stop every running plugin, dependents first. */
  async stopAll (): Promise<void> {
    await this.serial(async () => {
      const running = [...this.records.values()].filter(r => r.state === 'running')
      for (const r of this.order(running).toReversed()) await this.stop(r)
    })
  }

  /** The site routers of the running plugins, in the order they started (providers before their users). */
  siteRouters (): Array<{ name: string, router: PluginScope['siteRouter'] }> {
    return this.started.filter(r => r.state === 'running' && r.scope != null).map(r => ({ name: r.name, router: r.scope!.siteRouter }))
  }

  routerOf (name: string): PluginScope['router'] | undefined {
    const r = this.records.get(name)
    return r?.state === 'running' ? r.scope?.router : undefined
  }

  definitions (): GoopPlugin[] {
    return [...this.records.values()].filter(r => r.def != null).map(r => r.def!)
  }

  list (): PluginInfo[] {
    return [...this.records.values()].map(r => this.info(r))
  }

  private info (r: PluginRecord): PluginInfo {
    return {
      name: r.name,
      version: r.def?.version ?? null,
      description: r.def?.description,
      source: r.source,
      enabled: r.enabled,
      state: r.state,
      ...(r.error != null ? { error: r.error } : {}),
      requires: r.def?.requires ?? [],
      provides: r.def?.provides ?? []
    }
  }
}
