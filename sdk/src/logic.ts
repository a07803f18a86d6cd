/**
 * Template logic (since SDK 1.3.0): what a runtime plugin (`lua`, `js`) offers the templates plugin,
 * and the one host API both runtimes give template code. A runtime only runs code and passes JSON;
 * what a host call does (data policies, kv, MQ) is decided outside it, by the templates plugin's
 * `LogicHost`, so neither runtime can grant a template more than the other.
 *
 * Inside template code the host API is the global `goop`:
 *
 * | in logic                               | host call (method, args)                     |
 * |----------------------------------------|----------------------------------------------|
 * | `goop.caller`, `goop.peer`             | (values: the visitor's and the owner's peer ID) |
 * | `goop.db.query(table, opts)` …         | `'db'`, `[DataRequest]` (acts for the caller)   |
 * | `goop.db.owner.query(table, opts)` …   | `'db.owner'`, `[DataRequest]` (acts as the site owner, deliberately) |
 * | `goop.kv.get(key)` / `set(key, value)` / `delete(key)` / `list(prefix)` | `'kv.get'` … `[key]`, `[key, value]`, `[key]`, `[prefix]` |
 * | `goop.mq.publish(topic, payload)`      | `'mq.publish'`, `[topic, payload]` (to the site's followers) |
 * | `goop.mq.send(peer, topic, payload)`   | `'mq.send'`, `[peer, topic, payload]`       |
 * | `goop.log(message, fields)`            | `'log'`, `[message, fields]`                |
 * | `goop.now()`                           | (the runtime's own clock: epoch ms)          |
 *
 * `goop.db` methods: `describe()`, `query(table, { where, order, limit, cursor, columns })`,
 * `get(table, id)`, `count(table, where)`, `insert(table, values)`, `update(table, id, values)`,
 * `delete(table, id)` — each builds the DataRequest of that name (sdk/src/data.ts) and returns its
 * DataResult. In Lua they return directly; in JS they return Promises.
 *
 * `goop.kv.get` returns the value (or null), `set`/`delete` nothing, `list(prefix)` the keys (not the
 * values) that start with `prefix`, at most 1,000. `goop.mq.publish` returns nothing; `goop.mq.send`
 * returns `{ id }` at once (delivery is retried in the background). The templates plugin decides
 * what each call may do: the logic reaches only its own template's tables, `db` under the caller's
 * policies, topics only under `app.`.
 */

export const HOST_METHODS = ['db', 'db.owner', 'kv.get', 'kv.set', 'kv.delete', 'kv.list', 'mq.publish', 'mq.send', 'log'] as const
export type HostMethod = typeof HOST_METHODS[number]

/** Answers a host call from template code. Arguments and result are plain JSON (copied). Throw a GoopError to fail the call inside the logic. */
export type LogicHost = (method: HostMethod, args: unknown[]) => Promise<unknown>

/** The template's logic as the runtime gets it. */
export interface LogicSource {
  /** Files of the template's `logic/` folder, by path relative to it ('main.lua', 'src/game.ts'). */
  files: Record<string, string>
  /** The entry file (a key of `files`). Lua: a chunk that returns a table of functions. JS/TS: a module whose exported functions are callable. */
  entry: string
}

export interface LogicLimits {
  /** The sandbox's heap, at most. */
  memoryBytes: number
  /** One call, from start to result, awaited host calls included. */
  callTimeoutMs: number
}

export interface CallContext {
  /** The visitor's peer ID, as authenticated by its connection (the owner's own ID when the owner calls). */
  caller: string
  /** The site owner's peer ID (this peer). */
  peer: string
}

/** Loaded logic. Every call starts from the state the module had when loaded: nothing one call leaves behind reaches the next (state lives in goop.kv and goop.db). */
export interface LogicModule {
  /** Names of the exported functions: the only ones `call` runs. */
  readonly exports: readonly string[]
  /**
   * Run exported function `fn` with one JSON argument; resolves with its JSON result. Rejects with a
   * GoopError: `not_exported`, `timeout` (deadline; the sandbox was stopped), `memory` (cap hit; the
   * sandbox was stopped), `logic_error` (the code threw; message names file and line), `bad_result`
   * (not JSON). Also, for what crosses the boundary and the module's own state: `too_large` (the
   * argument or result is over the runtime's size caps), `bad_request` (the argument is not JSON),
   * `rate_limited` (too many calls waiting for this module), `unavailable` (the module was disposed).
   * A sandbox serves all calls of its module, so when it is stopped (`timeout`, `memory`) the other
   * calls running in it at that moment end too, with the same code and a message saying so.
   */
  call(fn: string, args: unknown, ctx: CallContext, host: LogicHost): Promise<unknown>
  dispose(): Promise<void>
}

/** What a runtime plugin provides (services `lua` and `js`). */
export interface LogicRuntime {
  readonly name: 'lua' | 'js'
  /** Check and load logic. Rejects with GoopError `bad_logic` whose message names the file and line. */
  load(source: LogicSource, limits: LogicLimits): Promise<LogicModule>
}
