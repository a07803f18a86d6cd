import { GoopError, type CallContext, type LogicHost, type LogicLimits, type LogicModule, type LogicRuntime, type LogicSource } from '@goop/sdk'
import type { Outcome, WorkerInit, WorkerLimits } from './bridge.js'
import { LuaWorker } from './handle.js'
import { DEFAULTS, MIN_MEMORY_BYTES, type LuaRuntimeOptions } from './limits.js'

/** Paths in a logic folder: relative, plain characters, no `..`. */
const PATH = /^(?!\/)(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9_\-./]{1,200}$/

/** Counters for tests and benchmarks (not part of LogicModule). */
export interface LuaModuleStats {
  calls: number
  /** Workers started, the first included. */
  workersStarted: number
  /** Workers stopped before dispose: terminated at a deadline, rebuilt after a memory error, crashed. */
  workersStopped: number
  /** Milliseconds the last worker took from spawn to loaded logic. */
  lastStartMs: number
}

interface Job {
  fn: string
  args: string
  ctx: CallContext
  host: LogicHost
  /** performance.now() by which the call must have its result. */
  deadline: number
  timeoutMs: number
  timer: NodeJS.Timeout | undefined
  worker: LuaWorker | undefined
  done: boolean
  resolve: (v: unknown) => void
  reject: (e: Error) => void
}

/** The `lua` service: loads template logic, each module into worker threads of its own. */
export class LuaRuntime implements LogicRuntime {
  readonly name = 'lua' as const
  readonly options: LuaRuntimeOptions
  private readonly modules = new Set<LuaModule>()

  constructor (options: Partial<LuaRuntimeOptions> = {}) {
    this.options = { ...DEFAULTS, ...options }
  }

  async load (source: LogicSource, limits: LogicLimits): Promise<LuaModule> {
    const files = checkSource(source, this.options.maxSourceBytes)
    const o = this.options
    if (!(limits.memoryBytes >= MIN_MEMORY_BYTES)) throw new GoopError('bad_request', `memoryBytes must be at least ${MIN_MEMORY_BYTES}`)
    if (!(limits.callTimeoutMs >= 1)) throw new GoopError('bad_request', 'callTimeoutMs must be at least 1')
    const memoryBytes = Math.floor(Math.min(limits.memoryBytes, o.maxMemoryBytes))
    const callTimeoutMs = Math.min(limits.callTimeoutMs, o.maxCallTimeoutMs)
    const workerLimits: WorkerLimits = {
      maxArgsBytes: o.maxArgsBytes,
      maxResultBytes: o.maxResultBytes,
      maxHostArgsBytes: o.maxHostArgsBytes,
      maxHostCalls: o.maxHostCalls,
      maxLogLines: o.maxLogLines,
      maxLogChars: o.maxLogChars,
      maxDepth: o.maxDepth
    }
    const init: Omit<WorkerInit, 'signal' | 'replies'> = { files, entry: source.entry, memoryBytes, timeoutMs: callTimeoutMs, limits: workerLimits }
    const module = new LuaModule(init, callTimeoutMs, o, () => { this.modules.delete(module) })
    try {
      await module.start()
    } catch (err) {
      await module.dispose()
      throw err
    }
    this.modules.add(module)
    return module
  }

  /** Dispose of every module this runtime loaded (the plugin's dispose). */
  async close (): Promise<void> {
    await Promise.all([...this.modules].map(async m => { await m.dispose() }))
  }
}

function checkSource (source: LogicSource, maxBytes: number): Record<string, string> {
  if (typeof source !== 'object' || source === null || typeof source.files !== 'object' || source.files === null) {
    throw new GoopError('bad_logic', 'no logic files')
  }
  const entry = source.entry
  if (typeof entry !== 'string' || !entry.endsWith('.lua')) throw new GoopError('bad_logic', `the entry must be a .lua file (got ${String(entry)})`)
  if (typeof source.files[entry] !== 'string') throw new GoopError('bad_logic', `${entry}: no such file in the logic`)
  const files: Record<string, string> = {}
  let total = 0
  for (const [path, text] of Object.entries(source.files)) {
    if (!path.endsWith('.lua')) continue
    if (!PATH.test(path)) throw new GoopError('bad_logic', `${path}: a logic file's path is relative, of letters, digits, _ - . and /`)
    if (typeof text !== 'string') throw new GoopError('bad_logic', `${path}: not text`)
    total += text.length
    files[path] = text
  }
  if (total > maxBytes) throw new GoopError('bad_logic', `the .lua files are larger than ${maxBytes} characters together`)
  return files
}

/**
 * A loaded module: a small pool of workers (one by default), a queue, and the deadline of every
 * call. The deadline runs from `call()` (waiting in the queue counts) and is kept here, on the main
 * thread: at the deadline a call still queued is dropped, and a call still running has its worker
 * terminated (whatever it is doing: a VM loop, a C call such as a pattern match, a host call).
 * A fresh worker then replaces it, so one worker is always warm.
 */
export class LuaModule implements LogicModule {
  readonly exports: readonly string[] = []
  readonly stats: LuaModuleStats = { calls: 0, workersStarted: 0, workersStopped: 0, lastStartMs: 0 }
  private readonly workers = new Set<LuaWorker>()
  private readonly idle: LuaWorker[] = []
  private readonly queue: Job[] = []
  private starting = 0
  private disposed = false

  constructor (
    private readonly init: Omit<WorkerInit, 'signal' | 'replies'>,
    private readonly callTimeoutMs: number,
    private readonly options: LuaRuntimeOptions,
    private readonly onDispose: () => void
  ) {}

  /** Start the first worker and load the logic in it: its exports, or the GoopError `bad_logic` saying where the logic is wrong. */
  async start (): Promise<void> {
    const w = this.spawn()
    const exports = await withTimeout(w.loaded, this.options.startTimeoutMs + this.callTimeoutMs, () => {
      w.kill(new GoopError('bad_logic', `${this.init.entry}: the logic did not load within ${this.options.startTimeoutMs + this.callTimeoutMs} ms`))
    })
    ;(this as { exports: readonly string[] }).exports = Object.freeze([...exports])
  }

  call (fn: string, args: unknown, ctx: CallContext, host: LogicHost): Promise<unknown> {
    if (this.disposed) return Promise.reject(new GoopError('unavailable', 'the logic was unloaded'))
    if (typeof fn !== 'string' || !this.exports.includes(fn)) {
      return Promise.reject(new GoopError('not_exported', `${this.init.entry} exports no function ${String(fn)}`))
    }
    if (typeof ctx?.caller !== 'string' || typeof ctx.peer !== 'string') return Promise.reject(new GoopError('bad_request', 'the call context needs caller and peer'))
    let json: string | undefined
    try {
      json = JSON.stringify(args ?? null)
    } catch (err) {
      return Promise.reject(new GoopError('bad_request', `the argument is not JSON: ${(err as Error).message}`))
    }
    if (json === undefined) json = 'null'
    if (json.length > this.options.maxArgsBytes) {
      return Promise.reject(new GoopError('too_large', `the argument is larger than ${this.options.maxArgsBytes} bytes as JSON`))
    }
    if (this.queue.length >= this.options.maxQueuedCalls) {
      return Promise.reject(new GoopError('rate_limited', `${this.queue.length} calls are already waiting for this logic`))
    }
    this.stats.calls++
    return new Promise<unknown>((resolve, reject) => {
      const job: Job = {
        fn, args: json, ctx, host, deadline: performance.now() + this.callTimeoutMs, timeoutMs: this.callTimeoutMs,
        timer: undefined, worker: undefined, done: false, resolve, reject
      }
      job.timer = setTimeout(() => { this.expire(job) }, this.callTimeoutMs)
      this.queue.push(job)
      this.pump()
    })
  }

  async dispose (): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    this.onDispose()
    const gone = new GoopError('unavailable', 'the logic was unloaded')
    for (const job of this.queue.splice(0)) this.finish(job, gone)
    for (const w of this.workers) w.kill(gone)
    this.workers.clear()
    this.idle.length = 0
  }

  /** Workers alive now (for tests). */
  get workerCount (): number {
    return this.workers.size
  }

  /** Workers loaded and waiting for a call (for tests: after a worker was stopped, its replacement is ready when this is > 0). */
  get idleWorkers (): number {
    return this.idle.length
  }

  private spawn (): LuaWorker {
    const w = new LuaWorker({ init: this.init, maxHostReplyBytes: this.options.maxHostReplyBytes, heapMb: 64 })
    this.stats.workersStarted++
    this.starting++
    this.workers.add(w)
    w.whenDead(dead => { this.lost(dead) })
    w.loaded.then(() => {
      this.starting--
      this.stats.lastStartMs = w.startMs
      if (this.disposed || w.isDead) return
      this.idle.push(w)
      this.pump()
    }, (err: Error) => {
      this.starting--
      // The logic loaded once, so a replacement that fails to load (a top level that depends on
      // time, say) fails the calls waiting for it rather than retrying forever.
      if (this.exports.length > 0) for (const job of this.queue.splice(0)) this.finish(job, err)
    })
    return w
  }

  /** A worker stopped (killed, rebuilt, crashed): forget it, and keep one warm. */
  private lost (w: LuaWorker): void {
    if (!this.workers.delete(w)) return
    const i = this.idle.indexOf(w)
    if (i >= 0) this.idle.splice(i, 1)
    if (this.disposed) return
    this.stats.workersStopped++
    if (this.workers.size === 0 && this.exports.length > 0) this.spawn()
    this.pump()
  }

  private pump (): void {
    while (this.queue.length > 0 && !this.disposed) {
      const w = this.idle.pop()
      if (w === undefined) {
        if (this.workers.size < this.options.workersPerModule && this.starting === 0) this.spawn()
        return
      }
      const job = this.queue.shift() as Job
      this.dispatch(w, job)
    }
  }

  private dispatch (w: LuaWorker, job: Job): void {
    job.worker = w
    const timeoutMs = Math.max(1, job.deadline - performance.now())
    w.run({ fn: job.fn, args: job.args, caller: job.ctx.caller, peer: job.ctx.peer, timeoutMs }, job.host).then(outcome => {
      if (outcome.ok === false && outcome.rebuild) w.kill(new GoopError(outcome.code, outcome.message))
      else if (!w.isDead && !this.disposed) {
        this.idle.push(w)
      }
      if (!job.done) this.settle(job, outcome)
      this.pump()
    }, (err: Error) => {
      this.finish(job, err)
    })
  }

  /** The deadline: drop a queued call; terminate the worker of a running one. */
  private expire (job: Job): void {
    if (job.done) return
    const err = new GoopError('timeout', `the call to ${job.fn} did not finish within ${job.timeoutMs} ms; its Lua worker was stopped`)
    if (job.worker === undefined) {
      const i = this.queue.indexOf(job)
      if (i >= 0) this.queue.splice(i, 1)
      this.finish(job, new GoopError('timeout', `the call to ${job.fn} waited ${job.timeoutMs} ms for a free Lua worker`))
      return
    }
    this.finish(job, err)
    job.worker.kill(err)
  }

  private settle (job: Job, outcome: Outcome): void {
    if (outcome.ok) {
      let value: unknown
      try {
        value = JSON.parse(outcome.json)
      } catch {
        this.finish(job, new GoopError('bad_result', 'the result is not JSON'))
        return
      }
      this.finish(job, undefined, value)
    } else if (outcome.code === 'timeout') {
      // The worker's own (earlier, softer) deadline: say it the same way as the hard one.
      this.finish(job, new GoopError('timeout', `the call to ${job.fn} did not finish within ${job.timeoutMs} ms`))
    } else {
      this.finish(job, new GoopError(outcome.code, outcome.message))
    }
  }

  private finish (job: Job, err: Error | undefined, value?: unknown): void {
    if (job.done) return
    job.done = true
    clearTimeout(job.timer)
    if (err !== undefined) job.reject(err)
    else job.resolve(value)
  }
}

async function withTimeout<T> (p: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([p, new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        onTimeout()
        reject(new GoopError('bad_logic', `the logic did not load within ${ms} ms`))
      }, ms)
    })])
  } finally {
    clearTimeout(timer)
  }
}
