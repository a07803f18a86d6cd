/**
 * What the JS runtime costs, in-process (no network). Run:
 *   node --no-node-snapshot --import tsx --conditions=development plugins/js/bench/measure.ts
 * Each figure is the median of 5 rounds (min–max after it).
 *
 * - a trivial call (`export function ping(a) { return a }`) through LogicModule.call: µs/call serially,
 *   and calls/s with N in flight;
 * - a call that makes one host call (goop.kv.get, answered at once by the host);
 * - the per-call isolation choice: frozen intrinsics + a fresh module instance per call (what the
 *   runtime does) against a fresh context per call (context + prelude + module, then the call);
 * - building a sandbox (isolate + context + hardening prelude + bundle), i.e. the rebuild after a stop;
 * - for scale: isolated-vm's bare async apply, and bundling + loading a small module.
 */
import type IVM from 'isolated-vm'
import type { LogicHost } from '@goop/sdk'
import { bundleLogic } from '../src/bundle.js'
import { loadIvm } from '../src/isolate.js'
import { JS_LIMITS } from '../src/limits.js'
import { JsLogicModule } from '../src/module.js'
import { PRELUDE } from '../src/prelude.js'
import { JsRuntime } from '../src/runtime.js'

const ROUNDS = 5
const CTX = { caller: '12D3KooWVisitor', peer: '12D3KooWOwner' }
const host: LogicHost = async (method, args) => method === 'kv.get' ? { key: args[0], value: 1 } : null
const limits = { memoryBytes: 64 * 1024 * 1024, callTimeoutMs: 5000 }

function median (xs: number[]): string {
  const s = xs.toSorted((a, b) => a - b)
  const fmt = (x: number): string => x >= 100 ? x.toFixed(0) : x.toFixed(1)
  return `${fmt(s[Math.floor(s.length / 2)])} (${fmt(s[0])}–${fmt(s[s.length - 1])})`
}

async function rounds (f: () => Promise<number>): Promise<number[]> {
  await f() // warm-up
  const out: number[] = []
  for (let i = 0; i < ROUNDS; i++) out.push(await f())
  return out
}

/** µs per operation, `n` operations one after the other. */
async function serial (n: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const t = performance.now()
  for (let i = 0; i < n; i++) await op(i)
  return (performance.now() - t) * 1000 / n
}

/** Operations per second with `inFlight` kept running at once, `n` in all. */
async function concurrent (n: number, inFlight: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0
  const t = performance.now()
  await Promise.all(Array.from({ length: inFlight }, async () => { while (next < n) await op(next++) }))
  return n / ((performance.now() - t) / 1000)
}

const runtime = new JsRuntime()
const tLoad: number[] = []
let mod: JsLogicModule | undefined
for (let i = 0; i < ROUNDS + 1; i++) {
  const t = performance.now()
  const m = await runtime.load({ entry: 'main.ts', files: { 'main.ts': 'export function ping (a: unknown) { return a }\nexport async function one (k: string) { return await goop.kv.get(k) }' } }, limits)
  if (i > 0) tLoad.push(performance.now() - t)
  if (mod == null) mod = m
  else await m.dispose()
}
const m = mod as JsLogicModule

const ivm = await loadIvm()
const rows: Array<[string, string]> = []
rows.push(['load: bundle + sandbox, small module (ms)', median(tLoad)])

rows.push(['trivial call, serial (µs/call)', median(await rounds(async () => await serial(3000, async i => await m.call('ping', i, CTX, host))))])
for (const n of [1, 8, 32, 128]) {
  rows.push([`trivial call, ${n} in flight (calls/s)`, median(await rounds(async () => await concurrent(5000, n, async i => await m.call('ping', i, CTX, host))))])
}
rows.push(['call making one host call, serial (µs/call)', median(await rounds(async () => await serial(2000, async i => await m.call('one', `k${i}`, CTX, host))))])
rows.push(['call making one host call, 32 in flight (calls/s)', median(await rounds(async () => await concurrent(4000, 32, async i => await m.call('one', `k${i}`, CTX, host))))])

// The rebuild after a stop: everything but bundling.
const bundle = await bundleLogic({ entry: 'main.ts', files: { 'main.ts': 'export function ping (a: unknown) { return a }' } })
const noHooks = { onHostCall: () => undefined, onCatastrophe: () => undefined }
rows.push(['sandbox (re)build: isolate + context + hardening + module (ms)', median(await rounds(async () => {
  const t = performance.now()
  const sb = await JsLogicModule.buildSandbox(ivm, bundle, limits, noHooks)
  const ms = performance.now() - t
  sb.dispose()
  return ms
}))])

// The alternative to frozen intrinsics: a fresh context per call, in the module's isolate.
const iso = new ivm.Isolate({ memoryLimit: 64 })
const script = await iso.compileScript(bundle.script)
const bridge = new ivm.Callback(() => undefined, { ignored: true })
const opts = JSON.stringify({ harden: false, limits: JS_LIMITS })
async function freshContextCall (i: number): Promise<unknown> {
  const context = await iso.createContext()
  const api = await context.evalClosure(PRELUDE, [bridge, opts], { result: { reference: true } })
  const install = await api.get('install', { reference: true }) as IVM.Reference
  const run = await api.get('run', { reference: true }) as IVM.Reference
  const factory = await script.run(context, { reference: true }) as IVM.Reference
  await install.apply(undefined, [factory.derefInto(), false], { result: { copy: true } })
  const out = await run.apply(undefined, [i, 'ping', String(i), CTX.caller, CTX.peer], { result: { promise: true, copy: true } })
  for (const r of [api, install, run, factory]) r.release()
  context.release()
  return out
}
rows.push(['per-call isolation: fresh context per call (µs/call)', median(await rounds(async () => await serial(300, freshContextCall)))])
rows.push(['per-call isolation: frozen intrinsics, fresh module instance (µs/call, = trivial call)', rows[1][1]])

// For scale: isolated-vm's floor for one async call into an isolate and back.
const ctx = await iso.createContext()
const bare = await ctx.eval('(function (a) { return a })', { reference: true }) as IVM.Reference
rows.push(['isolated-vm bare async apply (µs/call)', median(await rounds(async () => await serial(3000, async i => await bare.apply(undefined, [i], { result: { copy: true } }))))])
iso.dispose()

await runtime.close()
const w = Math.max(...rows.map(r => r[0].length))
for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`)
