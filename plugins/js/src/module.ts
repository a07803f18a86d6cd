import type IVM from 'isolated-vm'
import type { CallContext, LogicHost, LogicLimits, LogicModule, Logger } from '@goop/sdk'
import type { Bundle } from './bundle.js'
import { BUNDLE_FILENAME } from './bundle.js'
import { formatThrown, hostRefusal, jsError, type ThrownByLogic } from './errors.js'
import { answerHostCall, forwardLog, type HostCallBudget } from './host.js'
import { Sandbox, SandboxFailure } from './isolate.js'
import { JS_LIMITS } from './limits.js'

/**
 * A loaded JS module: its bundle, its current sandbox, and the calls in flight.
 *
 * Deadlines. isolated-vm's `timeout` ends synchronous work (the microtasks a run or a delivery sets
 * off included), but not a call that waits: on a promise that never settles, or across host calls.
 * So every call also has a wall-clock timer on the host. When it fires and the call is still
 * running, the sandbox is disposed of (which stops whatever it is doing) and a new one is built;
 * the same happens when isolated-vm reports its timeout or the memory limit. Calls that were running
 * in the same sandbox at that moment end too, with the same code and a message saying so: one
 * isolate serves every call of a module, and its state after a stop is not to be trusted.
 */

type Ivm = typeof IVM

interface Call extends HostCallBudget {
  readonly id: number
  readonly fn: string
  readonly argsJson: string
  readonly ctx: CallContext
  readonly host: LogicHost
  readonly deadlineAt: number
  state: 'queued' | 'running' | 'done'
  sandbox: Sandbox | undefined
  timer: NodeJS.Timeout | undefined
  resolve: (v: unknown) => void
  reject: (e: Error) => void
}

type StopReason = 'timeout' | 'memory'

export interface ModuleStats {
  /** Sandboxes built after the first (each one a stop for a limit). */
  rebuilds: number
  /** How long the last sandbox took to build (ms). */
  lastBuildMs: number
}

const FRAME = new RegExp(`${BUNDLE_FILENAME.replaceAll('.', '\\.')}:(\\d+):(\\d+)`)

export class JsLogicModule implements LogicModule {
  readonly exports: readonly string[]
  readonly stats: ModuleStats = { rebuilds: 0, lastBuildMs: 0 }
  private current: Sandbox | undefined
  private building: Promise<Sandbox> | undefined
  private readonly calls = new Map<number, Call>()
  private readonly queue: Call[] = []
  private running = 0
  private readonly stopped = new WeakSet<Sandbox>()
  private nextId = 1
  private disposed = false

  constructor (
    private readonly ivm: Ivm,
    private readonly bundle: Bundle,
    readonly limits: LogicLimits,
    first: Sandbox,
    private readonly log: Logger | undefined,
    private readonly onDispose: (m: JsLogicModule) => void
  ) {
    this.exports = Object.freeze([...first.exports])
    this.current = first
  }

  /** Build a sandbox for this module's bundle (the first one is built by the runtime before the module exists). */
  static async buildSandbox (ivm: Ivm, bundle: Bundle, limits: LogicLimits, hooks: {
    onHostCall: (sb: Sandbox, callId: number, reqId: number, method: string, argsJson: string) => void
    onCatastrophe: (sb: Sandbox | undefined, message: string) => void
  }): Promise<Sandbox> {
    // The callbacks exist before the sandbox does; they find it through this box.
    const box: { sb?: Sandbox } = {}
    const sb = await Sandbox.create(ivm, bundle, {
      memoryBytes: limits.memoryBytes,
      setupTimeoutMs: Math.max(limits.callTimeoutMs, 2000),
      onHostCall: (callId, reqId, method, argsJson) => { if (box.sb != null) hooks.onHostCall(box.sb, callId, reqId, method, argsJson) },
      onCatastrophe: message => { hooks.onCatastrophe(box.sb, message) }
    })
    box.sb = sb
    return sb
  }

  /** The hooks a sandbox of this module reports to. */
  readonly hooks = {
    onHostCall: (sb: Sandbox, callId: number, reqId: number, method: string, argsJson: string): void => { this.onHostCall(sb, callId, reqId, method, argsJson) },
    onCatastrophe: (sb: Sandbox | undefined, message: string): void => {
      this.log?.error('isolated-vm lost control of a js logic isolate; it was dropped (its README advises restarting the process)', { message })
      // Not from inside isolated-vm's own callback.
      setImmediate(() => { if (sb != null) this.stop(sb, 'memory', undefined) })
    }
  }

  async call (fn: string, args: unknown, ctx: CallContext, host: LogicHost): Promise<unknown> {
    if (this.disposed) throw jsError('unavailable', 'this logic was unloaded')
    if (typeof fn !== 'string' || !this.exports.includes(fn)) {
      throw jsError('not_exported', `${String(fn).slice(0, 100)} is not an exported function (exported: ${this.exports.join(', ') || 'none'})`)
    }
    if (typeof ctx?.caller !== 'string' || typeof ctx.peer !== 'string' || ctx.caller.length > JS_LIMITS.peerIdChars || ctx.peer.length > JS_LIMITS.peerIdChars) {
      throw jsError('bad_request', 'the call context needs caller and peer (peer IDs)')
    }
    let argsJson: string | undefined
    try { argsJson = JSON.stringify(args === undefined ? null : args) } catch { argsJson = undefined }
    if (argsJson === undefined) throw jsError('bad_request', 'the argument is not JSON')
    if (argsJson.length > JS_LIMITS.argsBytes || Buffer.byteLength(argsJson) > JS_LIMITS.argsBytes) {
      throw jsError('too_large', `the argument is larger than ${JS_LIMITS.argsBytes} bytes`)
    }
    if (this.running >= JS_LIMITS.concurrentCalls && this.queue.length >= JS_LIMITS.queuedCalls) {
      throw jsError('rate_limited', `too many calls are waiting for this logic (${JS_LIMITS.queuedCalls}); try again`)
    }
    const json = argsJson
    return await new Promise((resolve, reject) => {
      const call: Call = {
        id: this.nextId++, fn, argsJson: json, ctx: { caller: ctx.caller, peer: ctx.peer }, host,
        deadlineAt: Date.now() + this.limits.callTimeoutMs,
        state: 'queued', sandbox: undefined, timer: undefined, hostCalls: 0, logs: 0, resolve, reject
      }
      call.timer = setTimeout(() => { this.expire(call) }, this.limits.callTimeoutMs)
      this.calls.set(call.id, call)
      if (this.running < JS_LIMITS.concurrentCalls) void this.start(call)
      else this.queue.push(call)
    })
  }

  async dispose (): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    this.queue.length = 0
    for (const c of [...this.calls.values()]) this.finish(c, jsError('unavailable', 'this logic was unloaded while the call ran'))
    this.current?.dispose()
    this.current = undefined
    const building = this.building
    if (building != null) await building.then(sb => { sb.dispose() }, () => undefined)
    this.onDispose(this)
  }

  private async start (call: Call): Promise<void> {
    call.state = 'running'
    this.running++
    let sandbox: Sandbox
    try {
      sandbox = await this.sandbox()
    } catch (err) {
      this.log?.error('could not rebuild a js logic sandbox', { error: err instanceof Error ? err.message : String(err) })
      this.finish(call, jsError('internal', 'the logic sandbox could not be rebuilt'))
      return
    }
    if (call.state !== 'running') return // its deadline passed while the sandbox was being built
    call.sandbox = sandbox
    let envelope: string
    try {
      envelope = await sandbox.run(call.id, call.fn, call.argsJson, call.ctx.caller, call.ctx.peer, call.deadlineAt - Date.now())
    } catch (err) {
      this.onFailure(sandbox, err, call)
      return
    }
    this.settle(call, envelope)
  }

  /** The sandbox to run in: the current one, or the one being built after a stop. */
  private async sandbox (): Promise<Sandbox> {
    if (this.current?.alive === true) return this.current
    this.building ??= this.rebuild().finally(() => { this.building = undefined })
    return await this.building
  }

  private async rebuild (): Promise<Sandbox> {
    const t0 = performance.now()
    const sb = await JsLogicModule.buildSandbox(this.ivm, this.bundle, this.limits, this.hooks)
    if (this.disposed) {
      sb.dispose()
      throw jsError('unavailable', 'this logic was unloaded')
    }
    this.stats.rebuilds++
    this.stats.lastBuildMs = performance.now() - t0
    this.current = sb
    return sb
  }

  private settle (call: Call, envelope: string): void {
    if (envelope.startsWith('R')) {
      const json = envelope.slice(1)
      if (Buffer.byteLength(json) > JS_LIMITS.resultBytes) {
        this.finish(call, jsError('too_large', `the result is larger than ${JS_LIMITS.resultBytes} bytes`))
        return
      }
      this.finish(call, undefined, JSON.parse(json))
      return
    }
    const thrown = JSON.parse(envelope.slice(1)) as ThrownByLogic
    this.finish(call, this.thrownError(thrown))
  }

  /** A logic failure as the caller gets it: for a throw, the message and where in the template's files. */
  thrownError (t: ThrownByLogic): Error {
    if (t.code !== 'logic_error') return jsError(t.code, t.message)
    const where = this.locate(t.stack)
    if (t.hostCode != null) {
      const passed = hostRefusal(t.hostCode, formatThrown({ ...t, hostCode: undefined, name: undefined }, where))
      if (passed != null) return passed
    }
    return jsError('logic_error', formatThrown(t, where))
  }

  /** The first frame of `stack` in the template's own code, as `file:line:col`. */
  private locate (stack: string | undefined): string | undefined {
    if (stack == null) return undefined
    const m = FRAME.exec(stack)
    return m == null ? undefined : this.bundle.locate(Number(m[1]), Number(m[2]))
  }

  private onHostCall (sb: Sandbox, callId: number, reqId: number, method: string, argsJson: string): void {
    const call = this.calls.get(callId)
    if (call === undefined || call.sandbox !== sb || call.state !== 'running') return
    if (typeof reqId !== 'number' || typeof method !== 'string' || typeof argsJson !== 'string') return
    if (method === 'log' && reqId === 0) {
      forwardLog(call.host, call, argsJson, this.log)
      return
    }
    void answerHostCall(call.host, call, method, argsJson, this.log).then(envelope => {
      if (call.state !== 'running' || call.sandbox !== sb || !sb.alive) return
      sb.deliver(call.id, reqId, envelope, call.deadlineAt - Date.now()).catch((err: unknown) => { this.onFailure(sb, err, call) })
    })
  }

  /** A run or a delivery failed: a limit (stop the sandbox), our own stop (nothing to do), or a surprise. */
  private onFailure (sb: Sandbox, err: unknown, call: Call): void {
    const kind = err instanceof SandboxFailure ? err.kind : 'other'
    if (kind === 'timeout' || kind === 'memory') {
      this.stop(sb, kind, call)
      return
    }
    if (kind === 'disposed') {
      // Stopped by us: stop() or dispose() already ended the calls it had.
      this.finish(call, jsError('unavailable', 'the logic sandbox was stopped'))
      return
    }
    this.log?.error('js logic sandbox failed unexpectedly', { error: err instanceof Error ? err.message : String(err) })
    this.finish(call, jsError('internal', 'the logic sandbox failed'))
    if (!sb.alive) this.stop(sb, 'memory', undefined)
  }

  private expire (call: Call): void {
    if (call.state === 'done') return
    if (call.state === 'queued') {
      const i = this.queue.indexOf(call)
      if (i >= 0) this.queue.splice(i, 1)
    }
    if (call.state === 'running' && call.sandbox != null && call.sandbox === this.current) {
      this.stop(call.sandbox, 'timeout', call)
      return
    }
    this.finish(call, this.stopError('timeout', true, call))
  }

  /** Dispose of a sandbox that hit a limit, end the calls that were running in it, and build the next one. */
  private stop (sb: Sandbox, reason: StopReason, culprit: Call | undefined): void {
    if (this.stopped.has(sb)) {
      // Every call running in it reports the same stop; the first report did the work.
      if (culprit?.state === 'running') this.finish(culprit, this.stopError(reason, false, culprit))
      return
    }
    this.stopped.add(sb)
    if (this.current === sb) this.current = undefined
    sb.dispose()
    for (const c of [...this.calls.values()]) {
      if (c.sandbox === sb && c.state === 'running') this.finish(c, this.stopError(reason, culprit === undefined || c === culprit, c))
    }
    if (culprit?.state === 'running') this.finish(culprit, this.stopError(reason, true, culprit))
    this.log?.warn(`js logic ${reason === 'timeout' ? 'ran past its deadline' : 'went over its memory limit'}; its sandbox was stopped and is being rebuilt`, {
      fn: culprit?.fn, limit: reason === 'timeout' ? `${this.limits.callTimeoutMs} ms` : `${Math.round(this.limits.memoryBytes / 1048576)} MB`
    })
    // Build the next sandbox now, so the next call does not wait for it.
    if (!this.disposed) void this.sandbox().catch(() => undefined)
  }

  private stopError (reason: StopReason, own: boolean, call: Call): Error {
    if (reason === 'timeout') {
      return own
        ? jsError('timeout', `${call.fn} did not finish within ${this.limits.callTimeoutMs} ms; the logic's sandbox was stopped`)
        : jsError('timeout', `${call.fn} was stopped with the logic's sandbox: another call ran past its deadline; try again`)
    }
    const mb = Math.round(this.limits.memoryBytes / 1048576)
    return own
      ? jsError('memory', `${call.fn} went over the logic's memory limit (${mb} MB); its sandbox was stopped`)
      : jsError('memory', `${call.fn} was stopped with the logic's sandbox: another call went over its memory limit (${mb} MB); try again`)
  }

  private finish (call: Call, error: Error | undefined, value?: unknown): void {
    if (call.state === 'done') return
    const wasRunning = call.state === 'running'
    call.state = 'done'
    clearTimeout(call.timer)
    this.calls.delete(call.id)
    if (error != null) call.reject(error)
    else call.resolve(value)
    if (wasRunning) {
      this.running--
      while (this.running < JS_LIMITS.concurrentCalls && this.queue.length > 0 && !this.disposed) {
        const next = this.queue.shift()
        if (next != null) void this.start(next)
      }
    }
  }
}
