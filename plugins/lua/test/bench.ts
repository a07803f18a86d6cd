// The Lua runtime's own figures (not a test; not run by `npm test`). From the repository root:
//   node --no-node-snapshot --import tsx --conditions=development plugins/lua/test/bench.ts [--dist]
// --dist loads the compiled package (build it first: npx tsc -b plugins/lua), whose worker starts
// without tsx; the default runs from the TypeScript sources. Prints one line per figure.
import { Worker } from 'node:worker_threads'
import type { LogicHost } from '@goop/sdk'
import type { LuaModule, LuaRuntime as Runtime } from '@goop/plugin-lua'
import { LuaVm } from '../src/vm.js'
import { DEFAULTS } from '../src/limits.js'

const dist = process.argv.includes('--dist')
const { LuaRuntime } = (dist ? await import(new URL('../dist/index.js', import.meta.url).href) : await import('@goop/plugin-lua')) as { LuaRuntime: typeof Runtime }

const N = 5000
const ctx = { caller: 'visitor', peer: 'owner' }
const host: LogicHost = async () => 42
const LOGIC = 'local M = {}\nfunction M.ping(a) return a end\nfunction M.host(k) return goop.kv.get(k) end\nreturn M'
/** The same two functions among 30 others: what re-running a bigger entry's top level costs each call. */
const BIG = `local M = {}\n${Array.from({ length: 30 }, (_, i) => `function M.f${i}(a) return a + ${i} end`).join('\n')}\n${LOGIC.split('\n').slice(1).join('\n')}`

function fmt (usPerCall: number): string {
  return `${usPerCall.toFixed(1)} µs/call, ${Math.round(1e6 / usPerCall)} calls/s`
}

async function serial (m: LuaModule, fn: string, arg: unknown, n: number): Promise<number> {
  const t = performance.now()
  for (let i = 0; i < n; i++) await m.call(fn, arg, ctx, host)
  return (performance.now() - t) * 1000 / n
}

async function inFlight (m: LuaModule, k: number, n: number): Promise<number> {
  const t = performance.now()
  let started = 0
  const lane = async (): Promise<void> => {
    while (started < n) {
      started++
      await m.call('ping', 1, ctx, host)
    }
  }
  await Promise.all(Array.from({ length: k }, lane))
  return (performance.now() - t) * 1000 / n
}

const limits = { memoryBytes: 16 * 1024 * 1024, callTimeoutMs: 5000 }
console.log(`lua runtime bench (${dist ? 'dist' : 'sources via tsx'}), node ${process.version}`)

{
  // The floor: a bare postMessage round trip to a worker thread that echoes, in this same run.
  const echo = new Worker('require("node:worker_threads").parentPort.on("message", m => require("node:worker_threads").parentPort.postMessage(m))', { eval: true })
  const once = (): Promise<unknown> => new Promise(resolve => {
    echo.once('message', resolve)
    // oxlint-disable-next-line unicorn/require-post-message-target-origin
    echo.postMessage({ t: 'call', id: 1, fn: 'ping', args: '1', caller: 'visitor', peer: 'owner', timeoutMs: 5000 })
  })
  for (let i = 0; i < 2000; i++) await once()
  const t = performance.now()
  for (let i = 0; i < N; i++) await once()
  console.log(`baseline: bare worker postMessage round trip: ${fmt((performance.now() - t) * 1000 / N)}`)
  await echo.terminate()
}

for (const workers of [1, 2]) {
  const rt = new LuaRuntime({ workersPerModule: workers })
  const m = await rt.load({ files: { 'main.lua': LOGIC }, entry: 'main.lua' }, limits)
  await serial(m, 'ping', 1, 2000) // warm up (JIT on both sides)
  if (workers === 1) {
    console.log(`worker start (spawn → logic loaded): ${m.stats.lastStartMs.toFixed(1)} ms`)
    console.log(`trivial call, serial: ${fmt(await serial(m, 'ping', 1, N))}`)
    console.log(`call with one host call (goop.kv.get), serial: ${fmt(await serial(m, 'host', 'k', N))}`)
  }
  for (const k of [8, 32]) console.log(`trivial call, ${k} in flight, ${workers} worker(s): ${fmt(await inFlight(m, k, N))}`)
  await rt.close()
}

{
  const rt = new LuaRuntime()
  const m = await rt.load({ files: { 'main.lua': BIG }, entry: 'main.lua' }, limits)
  await serial(m, 'ping', 1, 2000)
  console.log(`trivial call, serial, entry with 32 functions: ${fmt(await serial(m, 'ping', 1, N))}`)
  // Restart: a call stopped at its deadline, then the time until a fresh worker serves again.
  const short = await rt.load({ files: { 'main.lua': 'return { stuck = function() return string.find(string.rep("a", 1000), ".-.-.-x") end, ping = function() return 1 end }' }, entry: 'main.lua' },
    { memoryBytes: 16 * 1024 * 1024, callTimeoutMs: 1000 })
  await short.call('stuck', null, ctx, host).catch(() => {})
  const t = performance.now()
  await short.call('ping', null, ctx, host)
  console.log(`worker restart after a stopped call: next call answered ${(performance.now() - t).toFixed(1)} ms after the timeout (worker start ${short.stats.lastStartMs.toFixed(1)} ms)`)
  await rt.close()
}

{
  // Inside one Lua state, no worker, no messages: the call itself, and the fresh environment it builds.
  const vm = await LuaVm.create(16 * 1024 * 1024, { ...DEFAULTS })
  vm.load({ 'main.lua': LOGIC }, 'main.lua', 5000)
  const noHost = () => ({ ok: true as const, seq: 0, json: '42' })
  const req = { fn: 'ping', argsJson: '1', caller: 'visitor', peer: 'owner', timeoutMs: 5000 }
  for (let i = 0; i < 5000; i++) vm.call(req, noHost)
  const t = performance.now()
  for (let i = 0; i < 20000; i++) vm.call(req, noHost)
  const inVm = (performance.now() - t) * 1000 / 20000
  const env = vm.measureFreshEnv(20000)
  console.log(`trivial call inside the Lua state (no worker): ${inVm.toFixed(1)} µs; of which the fresh _ENV: ${env.toFixed(1)} µs (${Math.round(env / inVm * 100)}%)`)
  let x = 0
  const plain = (a: number): number => a
  const t2 = performance.now()
  for (let i = 0; i < 1e7; i++) x += plain(i)
  console.log(`plain JS function call: ${((performance.now() - t2) * 1e6 / 1e7).toFixed(1)} ns (${x > 0 ? 'ok' : ''})`)
}
