import type { LogicLimits, LogicRuntime, LogicSource, Logger } from '@goop/sdk'
import { bundleLogic } from './bundle.js'
import { jsError } from './errors.js'
import { nodeFlagProblem } from './flags.js'
import { loadIvm, SandboxFailure } from './isolate.js'
import { effectiveLimits } from './limits.js'
import { JsLogicModule } from './module.js'

export interface JsRuntimeOptions {
  /** The most any module gets, whatever its template asks for (the peer owner's config). */
  max?: Partial<LogicLimits>
  log?: Logger
}

export const DEFAULT_MAX_LIMITS: LogicLimits = Object.freeze({ memoryBytes: 64 * 1024 * 1024, callTimeoutMs: 5000 })

/** The `js` service: loads template logic written in JavaScript or TypeScript into isolates. */
export class JsRuntime implements LogicRuntime {
  readonly name = 'js'
  private readonly max: LogicLimits
  private readonly modules = new Set<JsLogicModule>()
  private closed = false

  constructor (private readonly opts: JsRuntimeOptions = {}) {
    this.max = { ...DEFAULT_MAX_LIMITS, ...opts.max }
  }

  async load (source: LogicSource, limits: LogicLimits): Promise<JsLogicModule> {
    if (this.closed) throw jsError('unavailable', 'the js runtime was stopped')
    const problem = nodeFlagProblem()
    if (problem != null) throw jsError('unavailable', problem)
    const effective = effectiveLimits(limits, this.max)
    const bundle = await bundleLogic(source)
    const ivm = await loadIvm()
    // The module's hooks are needed while its first sandbox is built; until the module exists,
    // nothing can call (so no host calls) and a catastrophe only has a sandbox to drop.
    let module: JsLogicModule | undefined
    let first
    try {
      first = await JsLogicModule.buildSandbox(ivm, bundle, effective, {
        onHostCall: (sb, ...rest) => { module?.hooks.onHostCall(sb, ...rest) },
        onCatastrophe: (sb, message) => { if (module != null) module.hooks.onCatastrophe(sb, message); else sb?.dispose() }
      })
    } catch (err) {
      if (err instanceof SandboxFailure) {
        throw jsError('bad_logic', err.kind === 'timeout'
          ? `${source.entry}: the module's top-level code did not finish within ${Math.max(effective.callTimeoutMs, 2000)} ms`
          : `${source.entry}: the module went over the memory limit (${Math.round(effective.memoryBytes / 1048576)} MB) while loading`)
      }
      throw jsError('bad_logic', `${source.entry}: ${err instanceof Error ? err.message : String(err)}`)
    }
    module = new JsLogicModule(ivm, bundle, effective, first, this.opts.log, m => { this.modules.delete(m) })
    if (first.loadError != null) {
      const thrown = module.thrownError(JSON.parse(first.loadError.slice(1)))
      await module.dispose()
      throw jsError('bad_logic', `the module threw while loading: ${thrown.message}`)
    }
    if (this.closed) {
      await module.dispose()
      throw jsError('unavailable', 'the js runtime was stopped')
    }
    this.modules.add(module)
    return module
  }

  /** Dispose of every module this runtime loaded (the plugin is being stopped). */
  async close (): Promise<void> {
    this.closed = true
    await Promise.all([...this.modules].map(async m => { await m.dispose() }))
  }
}
