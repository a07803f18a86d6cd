import { definePlugin, z, type LogicRuntime, type PluginContext } from '@goop/sdk'
import { JsRuntime } from './runtime.js'

export { JsRuntime, DEFAULT_MAX_LIMITS, type JsRuntimeOptions } from './runtime.js'
export type { JsLogicModule, ModuleStats } from './module.js'
export { JS_LIMITS, effectiveLimits } from './limits.js'
export { nodeFlagProblem, NODE_FLAG } from './flags.js'
export { bundleLogic, type Bundle } from './bundle.js'
export type { GoopDb, GoopHostError, GoopLogicApi } from './api.js'
export type { JsErrorCode } from './errors.js'

declare module '@goop/sdk' {
  interface Services {
    js: LogicRuntime
  }
}

const Config = z.strictObject({
  memoryLimitMb: z.number().int().min(8).max(2048).default(64)
    .describe('The most heap one template\'s JS logic may use (MB); a template asking for more gets this. isolated-vm treats it as a guideline: hostile code can use 2–3× before it is stopped'),
  callTimeoutMs: z.number().int().min(10).max(120_000).default(5000)
    .describe('The longest one call of JS logic may take (ms), awaited host calls included; a template asking for more gets this')
})

export default definePlugin({
  name: 'js',
  version: '1.0.0',
  sdk: '^1.3.0',
  description: 'Runs templates\' JavaScript/TypeScript logic in isolated-vm isolates: a memory limit and a deadline per call, only JSON in and out',
  provides: ['js'],
  config: Config,
  setup (ctx: PluginContext<z.output<typeof Config>>) {
    const runtime = new JsRuntime({
      max: { memoryBytes: ctx.config.memoryLimitMb * 1024 * 1024, callTimeoutMs: ctx.config.callTimeoutMs },
      log: ctx.log
    })
    ctx.provide('js', runtime)
    ctx.onDispose(async () => { await runtime.close() })
  }
})
