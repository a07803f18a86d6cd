import type IVM from 'isolated-vm'
import { BUNDLE_FILENAME, type Bundle } from './bundle.js'
import { classifyIvmError, type IsolateFailure } from './errors.js'
import { JS_LIMITS } from './limits.js'
import { PRELUDE, PRELUDE_FILENAME } from './prelude.js'

/**
 * One isolate with its one context: the prelude run, the realm hardened, the bundle compiled and
 * installed. The host holds references to the isolate, its context and two prelude functions (`run`,
 * `deliver`), and gives it exactly one function, the bridge. Nothing else crosses: calls pass strings and numbers,
 * and results come back as strings (`{ copy: true }`, so not even a stray object could arrive as a
 * reference).
 *
 * A Sandbox is never repaired: when a limit is hit it is disposed of, and the module builds a new one.
 */

type Ivm = typeof IVM

/** What a sandbox operation failed with, as the host sees it. */
export class SandboxFailure extends Error {
  constructor (readonly kind: IsolateFailure, message: string) { super(message) }
}

/** The host's side of the bridge: called on the main thread for each host call the logic makes. */
export type BridgeHandler = (callId: number, reqId: number, method: string, argsJson: string) => void

export interface SandboxOptions {
  memoryBytes: number
  /** Deadline for the prelude, compiling and the module's load-time run. */
  setupTimeoutMs: number
  /** Freeze the realm (the default). `false` only for measuring a fresh context per call. */
  harden?: boolean
  onHostCall: BridgeHandler
  /** isolated-vm lost control of the isolate (see its README): the sandbox is dead. */
  onCatastrophe: (message: string) => void
}

let ivmModule: Promise<Ivm> | undefined
export async function loadIvm (): Promise<Ivm> {
  ivmModule ??= import('isolated-vm').then(m => m.default)
  return await ivmModule
}

export class Sandbox {
  private disposedByUs = false
  private constructor (
    readonly isolate: IVM.Isolate,
    private readonly context: IVM.Context,
    private readonly runRef: IVM.Reference,
    private readonly deliverRef: IVM.Reference,
    /** The exported functions (listed when the sandbox was made). */
    readonly exports: readonly string[],
    /** How the logic's load-time run failed, if it did: an `E…` envelope from the prelude. */
    readonly loadError: string | undefined
  ) {}

  /**
   * Make a sandbox for `bundle`. Rejects with a SandboxFailure when a limit is hit while loading,
   * or with the error isolated-vm gave (e.g. a SyntaxError V8 found that esbuild did not).
   */
  static async create (ivm: Ivm, bundle: Bundle, opts: SandboxOptions): Promise<Sandbox> {
    const isolate = new ivm.Isolate({
      memoryLimit: Math.max(8, Math.ceil(opts.memoryBytes / (1024 * 1024))),
      onCatastrophicError: message => { opts.onCatastrophe(message) }
    })
    const timeout = Math.max(1, Math.ceil(opts.setupTimeoutMs))
    try {
      const context = await isolate.createContext()
      const bridge = new ivm.Callback(opts.onHostCall, { ignored: true })
      const preludeOptions = JSON.stringify({ harden: opts.harden ?? true, limits: JS_LIMITS })
      const api = await context.evalClosure(PRELUDE, [bridge, preludeOptions], { result: { reference: true }, filename: PRELUDE_FILENAME, timeout })
      const [runRef, deliverRef, installRef] = await Promise.all(['run', 'deliver', 'install'].map(async k => await api.get(k, { reference: true }) as IVM.Reference))
      api.release()
      const script = await isolate.compileScript(bundle.script, { filename: BUNDLE_FILENAME })
      const factory = await script.run(context, { reference: true, timeout }) as IVM.Reference
      script.release()
      // derefInto hands the isolate its own function back: no host object goes in.
      const envelope = await installRef.apply(undefined, [factory.derefInto(), true], { result: { copy: true }, timeout }) as string
      factory.release()
      installRef.release()
      const ok = envelope.startsWith('R')
      const exports = ok ? JSON.parse(envelope.slice(1)) as string[] : []
      return new Sandbox(isolate, context, runRef, deliverRef, exports, ok ? undefined : envelope)
    } catch (err) {
      const kind = classifyIvmError(err, isolate.isDisposed, false)
      if (!isolate.isDisposed) isolate.dispose()
      if (kind === 'memory' || kind === 'timeout') throw new SandboxFailure(kind, err instanceof Error ? err.message : String(err))
      throw err
    }
  }

  get alive (): boolean { return !this.isolate.isDisposed }

  /** Run exported `fn`; resolves with the prelude's envelope (`R` + result JSON, or `E` + error JSON). */
  async run (callId: number, fn: string, argsJson: string, caller: string, peer: string, timeoutMs: number): Promise<string> {
    try {
      const out = await this.runRef.apply(undefined, [callId, fn, argsJson, caller, peer], {
        result: { promise: true, copy: true }, timeout: Math.max(1, Math.ceil(timeoutMs))
      }) as unknown
      if (typeof out !== 'string') throw new SandboxFailure('other', 'the sandbox answered with something other than a string')
      return out
    } catch (err) {
      throw this.failure(err)
    }
  }

  /** Answer host call `reqId` of call `callId`; the logic's continuation runs within `timeoutMs`. */
  async deliver (callId: number, reqId: number, envelope: string, timeoutMs: number): Promise<void> {
    try {
      await this.deliverRef.apply(undefined, [callId, reqId, envelope], { timeout: Math.max(1, Math.ceil(timeoutMs)) })
    } catch (err) {
      throw this.failure(err)
    }
  }

  /** Stop everything running in it and free its memory. Safe to call more than once. */
  dispose (): void {
    if (this.isolate.isDisposed) return
    this.disposedByUs = true
    for (const r of [this.runRef, this.deliverRef]) { try { r.release() } catch { /* already gone with the isolate */ } }
    try { this.context.release() } catch { /* idem */ }
    try { this.isolate.dispose() } catch { /* disposed meanwhile (memory limit) */ }
  }

  private failure (err: unknown): SandboxFailure {
    if (err instanceof SandboxFailure) return err
    const kind = classifyIvmError(err, this.isolate.isDisposed, this.disposedByUs)
    return new SandboxFailure(kind, err instanceof Error ? err.message : String(err))
  }
}
