import { definePlugin, z, type LogicRuntime } from '@goop/sdk'
import { DEFAULTS, MIN_MEMORY_BYTES } from './limits.js'
import { LuaRuntime } from './runtime.js'

export { LuaRuntime, LuaModule, type LuaModuleStats } from './runtime.js'
export { DEFAULTS as LUA_DEFAULTS, type LuaRuntimeOptions } from './limits.js'

declare module '@goop/sdk' {
  interface Services {
    /** Template logic in Lua 5.4 (wasmoon), each loaded module in worker threads of its own. */
    lua: LogicRuntime
  }
}

const Config = z.strictObject({
  maxMemoryBytes: z.number().int().min(MIN_MEMORY_BYTES).max(1024 * 1024 * 1024).default(DEFAULTS.maxMemoryBytes)
    .describe('The most Lua memory one template\'s logic may have (a template asking for more gets this)'),
  maxCallTimeoutMs: z.number().int().min(10).max(60_000).default(DEFAULTS.maxCallTimeoutMs)
    .describe('The longest deadline one logic call may have, host calls included (a template asking for more gets this)'),
  workersPerModule: z.number().int().min(1).max(8).default(DEFAULTS.workersPerModule)
    .describe('Worker threads one template\'s logic may use at once (each holds a Lua state; calls beyond wait in a queue)'),
  maxHostCalls: z.number().int().min(1).max(100_000).default(DEFAULTS.maxHostCalls)
    .describe('Host calls (goop.db, goop.kv, goop.mq, goop.log) one logic call may make')
})

export default definePlugin({
  name: 'lua',
  version: '1.0.0',
  sdk: '^1.3.0',
  description: 'Lua 5.4 runtime for template logic: a sandbox in a worker thread per template, a memory cap and a deadline per call',
  provides: ['lua'],
  config: Config,
  setup (ctx) {
    const runtime = new LuaRuntime(ctx.config)
    ctx.provide('lua', runtime)
    ctx.onDispose(async () => { await runtime.close() })
  }
})
