import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { LogicHost } from '@goop/sdk'
import { LuaRuntime, type LuaModule } from '@goop/plugin-lua'

/**
 * Escapes from template logic, the way a hostile template would try them. Each must be refused with
 * an error that says what happened, and while it runs (or spins, or eats memory) the peer keeps
 * serving: another template's logic answers at once, a timer on the main thread keeps ticking, and
 * the next call to the same logic works.
 */

const ctx = { caller: 'visitor', peer: 'owner' }
const host: LogicHost = async () => null

const HOSTILE = String.raw`local M = {}
function M.ok() return 'still serving' end

-- Reaching the outside
function M.os_execute() return os.execute('touch /tmp/goop-pwned') end
function M.os_getenv() return os.getenv('HOME') end
function M.io_open() return io.open('/etc/passwd'):read('a') end
function M.require() return require('os') end
function M.load() return load('return 1')() end
function M.loadstring() return loadstring('return 1')() end
function M.dofile() return dofile('/etc/passwd') end
function M.loadfile() return loadfile('/etc/passwd') end
function M.string_dump() return string.dump(function() end) end
function M.string_dump_method() return (function() end) and ('').dump(function() end) end
function M.debug_getregistry() return debug.getregistry() end
function M.package() return package.loadlib('libc.so.6', 'system') end
function M.string_metatable() return getmetatable('').__index.dump end
function M.collectgarbage() collectgarbage('collect') end
function M.gc_finaliser() setmetatable({}, { __gc = function() end }) end
function M.goop_rawset() rawset(goop, 'caller', 'someone else') end
function M.goop_assign() goop.db.owner = goop.db end
function M.goop_metatable() return getmetatable(goop) end
function M.js_globals()
  return { js = type(js), global = type(global), window = type(window), Promise = type(Promise),
           Error = type(Error), process = type(process), null = type(goop.null) }
end
function M.null_index() return goop.null.constructor end

-- Running forever
function M.while_true() while true do end end
function M.while_pcall() while true do pcall(function() while true do end end) end end
function M.pattern_bomb() return string.find(string.rep('a', 1000), '.-.-.-x') end

-- Eating memory
function M.rep_bomb() return #string.rep('x', 1e9) end
function M.concat_bomb() local s = 'x' for i = 1, 64 do s = s .. s end return #s end
function M.table_bomb() local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(64) .. i end end
function M.pcall_bomb()
  local ok = pcall(function() local t = {} for i = 1, 1e9 do t[i] = ('y'):rep(64) .. i end end)
  return 'survived: ' .. tostring(ok)
end
return M
`

describe('lua sandbox: escapes', () => {
  const runtime = new LuaRuntime()
  let hostile: LuaModule
  /** The same logic with a deadline that a memory bomb never reaches first, even on a loaded machine. */
  let bombs: LuaModule
  let bystander: LuaModule

  before(async () => {
    hostile = await runtime.load({ files: { 'main.lua': HOSTILE }, entry: 'main.lua' }, { memoryBytes: 16 * 1024 * 1024, callTimeoutMs: 400 })
    bombs = await runtime.load({ files: { 'main.lua': HOSTILE }, entry: 'main.lua' }, { memoryBytes: 16 * 1024 * 1024, callTimeoutMs: 10_000 })
    bystander = await runtime.load({ files: { 'main.lua': 'return { ping = function(a) return a end }' }, entry: 'main.lua' }, { memoryBytes: 4 * 1024 * 1024, callTimeoutMs: 2000 })
  })
  after(async () => { await runtime.close() })

  /**
   * Run `fn` on the hostile logic and expect it refused with `code` and a message matching `message`.
   * Meanwhile another template answers and a main-thread timer ticks; afterwards the same logic answers.
   */
  async function refused (fn: string, code: string, message: RegExp, target: LuaModule = hostile): Promise<{ ms: number, stopped: number }> {
    let ticks = 0
    const timer = setInterval(() => { ticks++ }, 5)
    const stoppedBefore = target.stats.workersStopped
    const t0 = performance.now()
    let hostileDone = 0
    // Its error, taken as soon as it comes (an error nobody awaits yet would be an unhandled rejection).
    const call = target.call(fn, null, ctx, host).then(() => undefined, (e: Error & { code?: string }) => e)
      .finally(() => { hostileDone = performance.now() })
    let bystanderDone: number
    let ms: number
    try {
      // Another visitor of another template, while this one runs.
      await new Promise(resolve => setTimeout(resolve, 20))
      assert.equal(await bystander.call('ping', 'hi', ctx, host), 'hi')
      bystanderDone = performance.now()
      const err = await call
      ms = hostileDone - t0
      assert.ok(err !== undefined, `${fn} was not refused`)
      assert.equal(err.code, code, `${fn}: ${err.message}`)
      assert.match(err.message, message)
    } finally {
      clearInterval(timer)
    }
    // A call that ran for a while (a loop, a bomb) was still running when the other template answered.
    if (ms > 300) assert.ok(bystanderDone < hostileDone, `${fn}: the other template answered only after this call ended`)
    // Ticks every 5 ms for the whole call: a blocked main thread would show almost none.
    assert.ok(ticks >= Math.floor(ms / 5 / 8), `${fn}: ${ticks} timer ticks in ${ms.toFixed(0)} ms`)
    // The same logic serves the next call (once the replacement of a stopped worker has started).
    while (target.idleWorkers === 0) await new Promise(resolve => setTimeout(resolve, 10))
    assert.equal(await target.call('ok', null, ctx, host), 'still serving')
    return { ms, stopped: target.stats.workersStopped - stoppedBefore }
  }

  it('has no os beyond the clock', async () => {
    await refused('os_execute', 'logic_error', /^main\.lua:5: os\.execute is not available: only os\.time, os\.clock and os\.difftime/)
    await refused('os_getenv', 'logic_error', /os\.getenv is not available/)
  })

  it('has no io, require, load, loadstring, dofile, loadfile, package or debug', async () => {
    await refused('io_open', 'logic_error', /^main\.lua:7: io is not available in goop logic/)
    await refused('require', 'logic_error', /require is not available in goop logic: use include\("file\.lua"\)/)
    await refused('load', 'logic_error', /^main\.lua:9: load is not available in goop logic/)
    await refused('loadstring', 'logic_error', /loadstring is not available/)
    await refused('dofile', 'logic_error', /dofile is not available/)
    await refused('loadfile', 'logic_error', /loadfile is not available/)
    await refused('package', 'logic_error', /package is not available/)
    await refused('debug_getregistry', 'logic_error', /^main\.lua:\d+: debug is not available in goop logic/)
  })

  it('has no string.dump, not even through the strings\' metatable', async () => {
    await refused('string_dump', 'logic_error', /string\.dump is not available/)
    await refused('string_dump_method', 'logic_error', /attempt to call a nil value \(field 'dump'\)/)
    await refused('string_metatable', 'logic_error', /attempt to index a boolean value/)
  })

  it('has collectgarbage("count") only, and no finalisers', async () => {
    await refused('collectgarbage', 'logic_error', /only collectgarbage\("count"\) is available/)
    await refused('gc_finaliser', 'logic_error', /__gc is not available/)
  })

  it('keeps the goop table read-only', async () => {
    await refused('goop_rawset', 'logic_error', /goop is read-only/)
    await refused('goop_assign', 'logic_error', /goop\.db is read-only/)
    assert.equal(await hostile.call('goop_metatable', null, ctx, host), 'goop is read-only')
  })

  it('hands Lua no JavaScript object', async () => {
    assert.deepEqual(await hostile.call('js_globals', null, ctx, host), {
      js: 'nil', global: 'nil', window: 'nil', Promise: 'nil', Error: 'nil', process: 'nil', null: 'userdata'
    })
    await refused('null_index', 'logic_error', /attempt to index a userdata value/)
  })

  it('stops an endless loop at the deadline, even one that catches the timeout', async () => {
    const loop = await refused('while_true', 'timeout', /did not finish within 400 ms/)
    assert.ok(loop.ms >= 300 && loop.ms < 1500, `ended after ${loop.ms.toFixed(0)} ms`)
    const caught = await refused('while_pcall', 'timeout', /did not finish within 400 ms/)
    assert.ok(caught.ms < 1500, `ended after ${caught.ms.toFixed(0)} ms`)
  })

  it('terminates a pattern match that spends its time inside one C call', async () => {
    // The count hook never runs inside string.find: only terminating the worker stops it (and a
    // fresh worker serves the next call). Unbounded, this match runs for many minutes (O(n^4)).
    const bomb = await refused('pattern_bomb', 'timeout', /did not finish within 400 ms; its Lua worker was stopped/)
    assert.equal(bomb.stopped, 1)
    assert.ok(bomb.ms < 1500, `ended after ${bomb.ms.toFixed(0)} ms`)
  })

  it('ends memory bombs with `memory` and rebuilds the worker', async () => {
    const rep = await refused('rep_bomb', 'memory', /ran out of memory \(cap 16777216 bytes\)/, bombs)
    assert.equal(rep.stopped, 1)
    await refused('concat_bomb', 'memory', /ran out of memory/, bombs)
    const table = await refused('table_bomb', 'memory', /ran out of memory/, bombs)
    assert.equal(table.stopped, 1)
    // Catching the memory error does not let the call carry on as if nothing happened.
    await refused('pcall_bomb', 'memory', /ran out of memory/, bombs)
  })
})
