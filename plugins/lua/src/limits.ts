/**
 * The runtime's bounds. The memory cap and the deadline come with each `load` (LogicLimits), capped
 * by the plugin's config; the rest are the plugin's own, the same for every template.
 */
export interface LuaRuntimeOptions {
  /** The largest `memoryBytes` a load may ask for; larger requests are lowered to this. */
  maxMemoryBytes: number
  /** The longest `callTimeoutMs` a load may ask for; longer requests are lowered to this. */
  maxCallTimeoutMs: number
  /** Worker threads one loaded module may use at once (calls beyond wait in its queue). */
  workersPerModule: number
  /** Calls waiting for a worker, per module, at most; more are refused with `rate_limited`. */
  maxQueuedCalls: number
  /** A call's argument, serialised (JSON characters), at most. */
  maxArgsBytes: number
  /** A call's result, serialised, at most. */
  maxResultBytes: number
  /** The arguments of one host call, serialised, at most. */
  maxHostArgsBytes: number
  /** One host call's answer, serialised, at most (a data query answers up to 4 MiB). */
  maxHostReplyBytes: number
  /** Host calls one logic call may make (goop.log included). */
  maxHostCalls: number
  /** goop.log / print lines one call may write; later ones are dropped (one line says so). */
  maxLogLines: number
  /** Characters of one log message; longer ones are cut. */
  maxLogChars: number
  /** Nesting of tables and arrays crossing the boundary (both ways). */
  maxDepth: number
  /** Total size of a module's `.lua` files (characters). */
  maxSourceBytes: number
  /** How long a worker may take to start and load the logic before the load fails. */
  startTimeoutMs: number
}

export const DEFAULTS: LuaRuntimeOptions = Object.freeze({
  maxMemoryBytes: 64 * 1024 * 1024,
  maxCallTimeoutMs: 5_000,
  workersPerModule: 1,
  maxQueuedCalls: 256,
  maxArgsBytes: 256 * 1024,
  maxResultBytes: 1024 * 1024,
  maxHostArgsBytes: 512 * 1024,
  maxHostReplyBytes: 5 * 1024 * 1024,
  maxHostCalls: 1_000,
  maxLogLines: 100,
  maxLogChars: 2_000,
  maxDepth: 64,
  maxSourceBytes: 4 * 1024 * 1024,
  startTimeoutMs: 15_000
})

/** The smallest memory cap that leaves room for the sandbox itself (~60 KB) and some logic. */
export const MIN_MEMORY_BYTES = 1024 * 1024
/** The count hook runs every this many VM instructions: ~10–20 µs of Lua, a cheap check of the clock. */
export const HOOK_INSTRUCTIONS = 1_000
