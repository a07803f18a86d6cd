import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads'
import { GoopError, isGoopError, type HostMethod, type LogicHost } from '@goop/sdk'
import { answerHostCall, type CallMessage, type HostReply, type Outcome, type WorkerInit, type WorkerMessage } from './bridge.js'

/**
 * The main thread's side of one Lua worker: start it, hand it calls one at a time, answer its host
 * calls, and stop it. It never decides about deadlines: the module (runtime.ts) does, and calls
 * `kill()`.
 */

export interface StartOptions {
  init: Omit<WorkerInit, 'signal' | 'replies'>
  maxHostReplyBytes: number
  /** V8 heap of the worker (the wasm memory is outside it). */
  heapMb: number
}

/** How the worker file is started: the compiled .js directly; from TypeScript sources (tests, `--conditions=development`), through tsx. */
function spawn (workerData: WorkerInit, transferList: MessagePort[], heapMb: number): Worker {
  const here = import.meta.url
  const resourceLimits = { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 }
  if (here.endsWith('.ts')) {
    // Workers do not inherit the parent's `--import tsx` hooks in Node 20, so the worker loads tsx's
    // API itself and imports worker.ts through it.
    const target = new URL('./worker.ts', here).href
    const tsx = import.meta.resolve('tsx/esm/api')
    const code = `import(${JSON.stringify(tsx)}).then(m => m.tsImport(${JSON.stringify(target)}, ${JSON.stringify(target)}))`
    return new Worker(code, { eval: true, workerData, transferList, resourceLimits })
  }
  return new Worker(new URL('./worker.js', here), { workerData, transferList, resourceLimits })
}

interface Running {
  id: number
  host: LogicHost
  resolve: (o: Outcome) => void
}

let nextId = 1

export class LuaWorker {
  /** Resolves with the exports once the logic is loaded; rejects with a GoopError (`bad_logic`, or why the worker died). */
  readonly loaded: Promise<string[]>
  /** Milliseconds from spawn to loaded. */
  startMs = 0
  private readonly worker: Worker
  private readonly signal: Int32Array
  private readonly replies: MessagePort
  private running: Running | undefined
  private dead = false
  private deathReason: GoopError | undefined
  private onDeath: ((w: LuaWorker) => void) | undefined

  private readonly maxHostReplyBytes: number

  constructor (opts: StartOptions) {
    const t0 = performance.now()
    this.maxHostReplyBytes = opts.maxHostReplyBytes
    const sab = new SharedArrayBuffer(4)
    this.signal = new Int32Array(sab)
    const channel = new MessageChannel()
    this.replies = channel.port1
    // The worker only ever reads this port synchronously (receiveMessageOnPort); ours only sends.
    this.replies.unref()
    this.worker = spawn({ ...opts.init, signal: sab, replies: channel.port2 }, [channel.port2], opts.heapMb)
    let settle: { resolve: (e: string[]) => void, reject: (e: Error) => void } | undefined
    this.loaded = new Promise<string[]>((resolve, reject) => { settle = { resolve, reject } })
    // A load failure is handled by whoever awaits `loaded`; do not let it surface as unhandled meanwhile.
    this.loaded.catch(() => {})

    this.worker.on('message', (msg: WorkerMessage) => {
      switch (msg.t) {
        case 'loaded':
          this.startMs = performance.now() - t0
          // An idle worker does not keep the process alive; a starting one or a running call does (see run()).
          if (this.running === undefined) this.worker.unref()
          settle?.resolve(msg.exports)
          break
        case 'load-failed':
          settle?.reject(new GoopError(msg.code, msg.message))
          break
        case 'host':
          this.onHost(msg)
          break
        case 'done': {
          const r = this.running
          if (r !== undefined && r.id === msg.id) {
            this.running = undefined
            this.worker.unref()
            r.resolve(msg.outcome)
          }
          break
        }
      }
    })
    this.worker.on('error', (err: Error & { code?: string }) => {
      // An uncaught error in the worker, or its V8 heap limit (ERR_WORKER_OUT_OF_MEMORY).
      const reason = err.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? new GoopError('memory', 'the Lua worker ran out of memory')
        : new GoopError('internal', `the Lua worker failed: ${err.message}`)
      this.die(reason)
      settle?.reject(reason)
    })
    this.worker.on('exit', () => {
      const reason = this.deathReason ?? new GoopError('internal', 'the Lua worker exited')
      this.die(reason)
      settle?.reject(reason)
    })
  }

  get isDead (): boolean {
    return this.dead
  }

  /** Called once when the worker stops, for whatever reason (killed, crashed). */
  whenDead (fn: (w: LuaWorker) => void): void {
    this.onDeath = fn
  }

  /** Run one call. Resolves with its outcome; if the worker dies first, with a failure naming why. */
  run (msg: Omit<CallMessage, 't' | 'id'>, host: LogicHost): Promise<Outcome> {
    if (this.dead) return Promise.resolve(this.failure(this.deathReason))
    if (this.running !== undefined) throw new Error('LuaWorker.run: a call is already running')
    const id = nextId++
    return new Promise<Outcome>(resolve => {
      this.running = { id, host, resolve }
      this.worker.ref()
      const call: CallMessage = { t: 'call', id, ...msg }
      // A Node Worker, not a window: there is no target origin.
      // oxlint-disable-next-line unicorn/require-post-message-target-origin
      this.worker.postMessage(call)
    })
  }

  /** Stop the worker now (it may be inside a C call that never returns); a running call ends with `reason`. */
  kill (reason: GoopError): void {
    if (this.dead) return
    this.deathReason = reason
    void this.worker.terminate()
    this.die(reason)
  }

  private die (reason: GoopError): void {
    if (this.dead) return
    this.dead = true
    this.deathReason ??= reason
    const r = this.running
    this.running = undefined
    r?.resolve(this.failure(this.deathReason))
    this.replies.close()
    this.onDeath?.(this)
  }

  private failure (reason: GoopError | undefined): Outcome {
    return { ok: false, code: reason?.code ?? 'internal', message: reason?.message ?? 'the Lua worker stopped', rebuild: true }
  }

  private onHost (msg: Extract<WorkerMessage, { t: 'host' }>): void {
    const r = this.running
    if (r === undefined || r.id !== msg.id) return
    let args: unknown[]
    try {
      args = JSON.parse(msg.args) as unknown[]
    } catch {
      if (!msg.oneway) this.reply(r, { ok: false, seq: msg.seq, code: 'bad_request', message: 'unreadable host call' })
      return
    }
    let pending: Promise<unknown>
    try {
      pending = r.host(msg.method as HostMethod, args)
    } catch (err) {
      pending = Promise.reject(err)
    }
    if (msg.oneway) {
      pending.catch(() => {})
      return
    }
    pending.then(result => {
      let json: string
      try {
        json = JSON.stringify(result ?? null)
      } catch (err) {
        this.reply(r, { ok: false, seq: msg.seq, code: 'internal', message: `${msg.method}: the host answered with something that is not JSON (${(err as Error).message})` })
        return
      }
      if (json.length > this.maxHostReplyBytes) {
        this.reply(r, { ok: false, seq: msg.seq, code: 'too_large', message: `${msg.method}: the answer is larger than ${this.maxHostReplyBytes} bytes; ask for less (a smaller limit or fewer columns)` })
        return
      }
      this.reply(r, { ok: true, seq: msg.seq, json })
    }, (err: unknown) => {
      const e = isGoopError(err) ? err : new GoopError('internal', `${msg.method} failed: ${(err as Error)?.message ?? String(err)}`)
      this.reply(r, { ok: false, seq: msg.seq, code: e.code, message: e.message })
    })
  }

  private reply (r: Running, reply: HostReply): void {
    // The call may have ended (deadline) while the host worked: then nobody waits for this.
    if (this.dead || this.running !== r) return
    answerHostCall(this.signal, this.replies, reply)
  }
}
