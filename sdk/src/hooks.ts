/**
 * Typed hooks. Each hook has a kind, as in Rollup:
 * - `sequential`: handlers run one after another; each may return a new value (or nothing to keep it).
 * - `parallel`: handlers are notified together; their failures are logged, not thrown at the caller.
 * - `first`: handlers run in order until one returns something other than `undefined`.
 *
 * Plugins add hooks of their own by declaration merging:
 *   declare module '@goop/sdk' { interface Hooks { 'hello.greeting': SequentialHook<string, [from: string]> } }
 * and declare them at run time with `ctx.hooks.declare('hello.greeting', 'sequential')`.
 */
export type HookKind = 'sequential' | 'parallel' | 'first'

type MaybePromise<T> = T | Promise<T>

export interface SequentialHook<V, X extends unknown[] = []> {
  kind: 'sequential'
  handler: (value: V, ...extra: X) => MaybePromise<V | undefined | void>
  call: (value: V, ...extra: X) => Promise<V>
}

export interface ParallelHook<A extends unknown[] = []> {
  kind: 'parallel'
  handler: (...args: A) => MaybePromise<void>
  call: (...args: A) => Promise<void>
}

export interface FirstHook<A extends unknown[], R> {
  kind: 'first'
  handler: (...args: A) => MaybePromise<R | undefined>
  call: (...args: A) => Promise<R | undefined>
}

export type AnyHook = SequentialHook<any, any[]> | ParallelHook<any[]> | FirstHook<any[], any>

/** `pre` runs before unordered handlers, `post` after; numbers sort ascending (pre = -100, default 0, post = 100). */
export type HookOrder = 'pre' | 'post' | number

export interface PeerInfo {
  peerId: string
  addrs: string[]
}

/** The hooks the kernel declares. Extend this interface to add your own. */
export interface Hooks {
  /** The peer is up: its libp2p node listens and every enabled plugin ran setup. */
  'peer.started': ParallelHook<[info: PeerInfo]>
  /** The peer is about to stop cleanly (SIGINT/SIGTERM or `stop()`): say goodbye now. */
  'peer.stopping': ParallelHook<[]>
  /** A connection to another peer opened (first connection only). */
  'peer.connected': ParallelHook<[peerId: string]>
  /** The last connection to another peer closed. */
  'peer.disconnected': ParallelHook<[peerId: string]>
  /** Build this peer's presence fields (e.g. the site plugin adds `siteTitle`). Keep them small: a record is at most 4 KiB. */
  'presence.announce': SequentialHook<Record<string, string | number | boolean>>
}

export type HookName = keyof Hooks & string
