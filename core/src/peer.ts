import '@goop/sdk/node-polyfill'
import { mkdir, rm, open } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { PrivateKey } from '@libp2p/interface'
import { z, type GoopPlugin, type Logger } from '@goop/sdk'
import { loadConfig, readConfigFile, parseConfig, updateConfigFile, writeSchemaFile } from './config/load.js'
import type { GoopConfig, PluginEntry } from './config/schema.js'
import { HookRegistry } from './hooks.js'
import { loadOrCreateIdentity, peerIdOf } from './identity.js'
import { createLogger, levelFromEnv, stderrSink, type LogSink } from './log.js'
import { MqService } from './mq/service.js'
import { PresenceService } from './presence/service.js'
import { createNode, type GoopNode } from './net/node.js'
import { builtinPlugins } from './plugins/builtins.js'
import type { Kernel } from './plugins/context.js'
import { PluginHost, type BuiltinPlugin } from './plugins/host.js'
import { StreamService } from './streams/service.js'
import { startViewer, type Viewer } from './viewer/server.js'

/** Put each plugin's config schema into goop.json's JSON Schema, so editors check `plugins.<name>.config` too. */
function addPluginSchemas (schema: Record<string, any>, defs: GoopPlugin[]): void {
  const plugins = schema.properties?.plugins
  if (plugins == null) return
  plugins.properties ??= {}
  for (const def of defs) {
    if (def.config == null) continue
    try {
      const config = z.toJSONSchema(def.config, { io: 'input', unrepresentable: 'any' })
      delete config.$schema
      plugins.properties[def.name] = { allOf: [{ $ref: '#/$defs/pluginEntry' }], properties: { config } }
    } catch { /* a schema zod cannot express in JSON Schema stays unchecked by editors, still checked at start */ }
  }
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends Array<infer _> ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] }

export interface PeerOptions {
  /** The peer folder. */
  dir: string
  /** Applied over goop.json for this run only (CLI flags, the test kit); never written back. */
  overrides?: DeepPartial<GoopConfig>
  /** Plugin objects to run beside the configured ones (the test kit). */
  plugins?: GoopPlugin[]
  /** Built-in plugins (default: the ones that ship with goop). */
  builtins?: Record<string, BuiltinPlugin>
  log?: LogSink
  /** Serve the viewer (default true). */
  viewer?: boolean
  /** The viewer port was chosen by the user: do not move to the next free one. */
  viewerPortIsExplicit?: boolean
}

function merge (base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue
    const b = out[k]
    out[k] = typeof v === 'object' && v !== null && !Array.isArray(v) && typeof b === 'object' && b !== null && !Array.isArray(b)
      ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
      : v
  }
  return out
}

/** A running goop peer: the kernel services, the plugin host and the viewer, over one libp2p node. */
export class Peer {
  readonly hooks: HookRegistry
  readonly plugins: PluginHost
  viewer?: Viewer
  private stopping?: Promise<void>

  private constructor (
    hooks: HookRegistry,
    readonly dir: string,
    readonly config: GoopConfig,
    readonly key: PrivateKey,
    readonly node: GoopNode,
    readonly streams: StreamService,
    readonly mq: MqService,
    readonly presence: PresenceService,
    readonly log: Logger,
    private readonly sink: LogSink,
    opts: PeerOptions
  ) {
    this.hooks = hooks
        const kernel: Kernel = { peerId: this.id, dir, key, node, streams, mq, presence, hooks: this.hooks, logSink: sink, services: new Map() }
    this.plugins = new PluginHost(kernel, {
      builtins: opts.builtins ?? builtinPlugins,
      inline: opts.plugins ?? [],
      entries: config.plugins,
      persist: async (name, patch) => { await this.persistPlugin(name, patch) },
      onChange: (info) => { this.mq.publish('plugins.changed', { name: info.name, enabled: info.enabled, state: info.state, error: info.error }) },
      readEntry: async (name) => (await loadConfig(dir)).config.plugins[name],
      log: createLogger('plugins', sink)
    })
  }

  get id (): string { return peerIdOf(this.key) }

  static async start (opts: PeerOptions): Promise<Peer> {
    const dir = resolve(opts.dir)
    await mkdir(join(dir, 'state'), { recursive: true })
    const loaded = await loadConfig(dir)
    const config = opts.overrides != null ? parseConfig(loaded.file, merge(loaded.raw, opts.overrides as Record<string, unknown>)) : loaded.config
    const sink = opts.log ?? stderrSink(levelFromEnv(config.log.level))
    const log = createLogger('kernel', sink)
    const { key, created } = await loadOrCreateIdentity(join(dir, 'identity.key'))
    if (created) log.info('created a new identity', { file: join(dir, 'identity.key') })
    let presence: PresenceService | undefined
    const node = await createNode(key, config.network, (p) => presence?.isBlocked(p) ?? false)
    const streams = new StreamService(node, createLogger('streams', sink))
    const mq = new MqService(peerIdOf(key), streams, createLogger('mq', sink), config.mq)
    const hooks = new HookRegistry(log)
    for (const [name, kind] of [['peer.started', 'parallel'], ['peer.stopping', 'parallel'], ['peer.connected', 'parallel'], ['peer.disconnected', 'parallel'], ['presence.announce', 'sequential']] as const) {
      hooks.declare(name, kind, 'kernel')
    }
    presence = new PresenceService(peerIdOf(key), key, node, streams, mq, hooks, createLogger('presence', sink), dir, {
      name: config.name,
      heartbeatMs: config.presence.heartbeatMs,
      ttlMs: config.presence.ttlMs,
      graceMs: config.presence.graceMs,
      lan: config.presence.lan && config.network.gossipsub,
      rendezvous: config.presence.rendezvous,
      dialDiscovered: config.network.mdns
    })
    const peer = new Peer(hooks, dir, config, key, node, streams, mq, presence, log, sink, opts)
    try {
      // The block list and the mDNS listener first: nothing a blocked peer sends and no early mDNS answer slips by.
      await presence.init()
      await node.start()
      await mq.start()
      peer.watchConnections()
      if (opts.viewer !== false) {
        peer.viewer = await startViewer({
          self: () => peer.self(),
          peers: () => presence!.peers(),
          presence: presence,
          plugins: peer.plugins,
          events: mq.events,
          mq,
          log: createLogger('viewer', sink)
        }, { host: config.viewer.host, port: config.viewer.port, portIsExplicit: opts.viewerPortIsExplicit === true })
        await peer.writeViewerState()
      }
      await peer.plugins.loadAll()
      // Presence starts once plugins are up, so the first record already carries their fields.
      await presence.start()
      await writeSchemaFile(dir, (schema) => { addPluginSchemas(schema, peer.plugins.definitions()) }).catch(() => {})
      await peer.hooks.call('peer.started', { peerId: peer.id, addrs: peer.addrs() })
      log.info('peer started', { peerId: peer.id, name: config.name, addrs: peer.addrs(), viewer: peer.viewer?.url.replace(/token=.*/, 'token=…') })
    } catch (err) {
      await peer.stop().catch(() => {})
      throw err
    }
    return peer
  }

  private watchConnections (): void {
    this.node.addEventListener('peer:connect', (e) => {
      const id = e.detail.toString()
      this.mq.publish('peers.changed', { peerId: id, connected: true })
      void this.hooks.call('peer.connected', id)
    })
    this.node.addEventListener('peer:disconnect', (e) => {
      const id = e.detail.toString()
      this.mq.publish('peers.changed', { peerId: id, connected: false })
      void this.hooks.call('peer.disconnected', id)
    })
  }

  addrs (): string[] {
    return this.node.getMultiaddrs().map(a => a.toString())
  }

  self (): { peerId: string, name: string, addrs: string[] } {
    return { peerId: this.id, name: this.config.name, addrs: this.addrs() }
  }

  private async persistPlugin (name: string, patch: Partial<PluginEntry>): Promise<void> {
    await updateConfigFile(this.dir, (raw) => {
      const plugins = (raw.plugins ?? {}) as Record<string, Record<string, unknown>>
      plugins[name] = { ...plugins[name], ...patch }
      raw.plugins = plugins
    })
  }

  private async writeViewerState (): Promise<void> {
    if (this.viewer == null) return
    const file = join(this.dir, 'state', 'viewer.json')
    await rm(file, { force: true })
    const handle = await open(file, 'wx', 0o600)
    try {
      await handle.writeFile(JSON.stringify({ url: this.viewer.url, port: this.viewer.port, token: this.viewer.token, pid: process.pid }, null, 2) + '\n')
    } finally { await handle.close() }
  }

  /** Stop cleanly: plugins (dependents first), the viewer, the MQ, the node. Safe to call twice. */
  stop (): Promise<void> {
    this.stopping ??= (async () => {
      await this.hooks.call('peer.stopping').catch(() => {})
      await this.presence.stop()
      await this.plugins.stopAll()
      if (this.viewer != null) {
        await this.viewer.close()
        const file = join(this.dir, 'state', 'viewer.json')
        const current = await readConfigFile(file).catch(() => undefined)
        if (current?.token === this.viewer.token) await rm(file, { force: true })
      }
      this.mq.stop()
      this.streams.closeAll()
      await this.node.stop()
      this.log.info('peer stopped', { peerId: this.id })
    })()
    return this.stopping
  }
}
