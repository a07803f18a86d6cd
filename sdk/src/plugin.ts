import type { Hono } from 'hono'
import type { z } from 'zod'
import type { AnyHook, HookKind, HookOrder, Hooks } from './hooks.js'
import type { MqApi } from './mq.js'
import type { PresenceApi } from './presence.js'
import type { ServiceOf } from './services.js'
import type { StreamsApi } from './streams.js'

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}

export interface IdentityApi {
  readonly peerId: string
  /** Sign bytes with this peer's Ed25519 key. */
  sign(data: Uint8Array): Promise<Uint8Array>
  /** Verify a signature made by `peerId`'s key (the key is derived from the ID itself). */
  verify(peerId: string, data: Uint8Array, signature: Uint8Array): Promise<boolean>
}

type HookEntry<K extends string> = K extends keyof Hooks ? Hooks[K] : AnyHook

export interface HooksApi {
  /** Declare a hook this plugin owns, with its kind. Others tap it with `on`; the owner fires it with `call`. */
  declare(name: string, kind: HookKind): void
  on<K extends string>(name: K, handler: HookEntry<K>['handler'], opts?: { order?: HookOrder }): void
  call<K extends string>(name: K, ...args: Parameters<HookEntry<K>['call']>): ReturnType<HookEntry<K>['call']>
}

export interface PublicListener {
  host: string
  port: number
  url: string
}

export interface HttpApi {
  /** Routes mounted at `/api/x/<plugin>/` on the viewer, behind the owner's token. */
  readonly router: Hono
  /**
   * Routes served on every site origin (`http://<label>.localhost:<port>/…`, where this peer's
   * owner browses a site; since SDK 1.2.0). The kernel tries the running plugins' site routers in
   * plugin order; the first answer that is not 404 wins. Whose site it is: the owner's peer ID in
   * `c.req.header('x-goop-site')` (set by the kernel, never by the browser). The visitor is this peer
   * (`ctx.peerId`). These routes never see the owner's token or cookies, and they run under the site
   * origin's strict Content-Security-Policy. `/api/*` belongs to the kernel, and so do `/.goop/goop.js`,
   * `/.goop/info` and `/.goop/events`. Other `/.goop/*` paths (since SDK 1.3.0) reach a plugin only from
   * the site's own origin (the kernel checks `Origin`, or `Sec-Fetch-Site` on a GET): use them for
   * actions a site's script takes for its visitor, such as the data plugin's `POST /.goop/data`.
   */
  readonly site: Hono
  /**
   * A public HTTP listener of the plugin's own (e.g. a rendezvous server), closed on disable. With
   * `websocket: true` the app's routes may use `upgradeWebSocket` from `@hono/node-server`.
   */
  listen(opts: { host?: string, port: number, app: Hono, websocket?: boolean }): Promise<PublicListener>
}

export interface PeersApi {
  /** IDs of the peers this peer has an open connection to. */
  connected(): string[]
  /** Dial a peer by multiaddr (with /p2p/<id>) or by ID if its addresses are known. */
  dial(target: string): Promise<void>
}

export interface TimersApi {
  setTimeout(fn: () => void, ms: number): () => void
  setInterval(fn: () => void, ms: number): () => void
}

export interface PluginContext<Config = unknown> {
  readonly name: string
  readonly peerId: string
  /** The plugin's own section of goop.json (`plugins.<name>.config`), validated by its schema. */
  readonly config: Config
  /** This peer's folder, and `state/<plugin>/` for the plugin's own files (created on first use). */
  readonly dirs: { peer: string, state: string }
  readonly log: Logger
  readonly identity: IdentityApi
  readonly streams: StreamsApi
  readonly mq: MqApi
  readonly hooks: HooksApi
  readonly http: HttpApi
  readonly peers: PeersApi
  /** The live peer table, merged from mDNS, rendezvous servers and direct connections. */
  readonly presence: PresenceApi
  readonly timers: TimersApi
  /** Aborted when the plugin is disabled or the peer stops. */
  readonly signal: AbortSignal
  /** Export a service named in `provides`. */
  provide<K extends string>(name: K, impl: ServiceOf<K>): void
  /** Get a service named in `requires`. */
  use<K extends string>(name: K): ServiceOf<K>
  /** Run `fn` when the plugin is disabled or the peer stops (after everything registered through ctx is undone). */
  onDispose(fn: () => void | Promise<void>): void
}

/** What a plugin's CLI subcommand gets. */
export interface CommandTools {
  /** The peer folder (`--peer DIR`, default `./.goop/default`). */
  peerDir: string
  /** Call the running peer's admin API (reads the token from `state/viewer.json`). Throws if the peer is not running. */
  admin<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>
  print(line: string): void
  /**
   * Run a peer in this process until SIGINT/SIGTERM (its folder: `dir`, else `peerDir`; created if it
   * is not a peer yet), with these plugins enabled (and their config) for this run only. For commands
   * such as `goop rendezvous DIR`.
   */
  runPeer(opts: { dir?: string, enable?: Record<string, { config?: Record<string, unknown> }>, port?: number, mdns?: boolean }): Promise<void>
  /**
   * For commands that must also work while the peer is not running (since SDK 1.3.0): start the peer
   * of `peerDir` in this process just for `fn` — no viewer, loopback only, no mDNS, no rendezvous —
   * hand `fn` the services named in `requires` (their plugins must be enabled in the peer), and stop
   * it afterwards, whatever `fn` did. Check first with `admin` whether the peer is running: two
   * processes must not run one peer.
   */
  withPeer<T>(requires: string[], fn: (use: <K extends string>(name: K) => ServiceOf<K>) => Promise<T>): Promise<T>
}

export interface PluginCommand {
  /** One line for `goop --help`. */
  summary: string
  /** Shown by `goop <word> --help`, e.g. `goop hello PEER [--text T]`. */
  usage?: string
  /** The arguments after the command word. Return a number to set the exit code. Throw a GoopError for a one-line error (exit 2). */
  run(args: string[], tools: CommandTools): Promise<number | void> | number | void
}

export interface PluginDefinition<S extends z.ZodType = z.ZodType> {
  name: string
  version: string
  /** The @goop/sdk semver range this plugin was written for, e.g. `^1.0.0`. */
  sdk: string
  description?: string
  /** Services (by name) this plugin needs; their providers are set up first. */
  requires?: string[]
  /** Services this plugin exports with `ctx.provide`. */
  provides?: string[]
  /** The schema of `plugins.<name>.config` in goop.json. Defaults fill what the owner leaves out. */
  config?: S
  /** CLI subcommands: `goop <word> ...`. */
  commands?: Record<string, PluginCommand>
  setup(ctx: PluginContext<z.output<S>>): void | Promise<void>
}

export const PLUGIN_BRAND = Symbol.for('goop.plugin')

export type GoopPlugin<S extends z.ZodType = z.ZodType> = PluginDefinition<S> & { readonly [PLUGIN_BRAND]: true }

/** Define a plugin. The module that holds it exports it as `default`. */
export function definePlugin<S extends z.ZodType = z.ZodObject<{}>> (def: PluginDefinition<S>): GoopPlugin<S> {
  return Object.freeze({ ...def, [PLUGIN_BRAND]: true as const })
}

export function isGoopPlugin (value: unknown): value is GoopPlugin {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_BRAND] === true
}
