// Template logic calls: a trivial call from a visitor peer (/goop/call/1.0.0) to Lua and to JS logic,
// beside a plain /goop/data `get` over the same connection in the same run; and the cost of a call
// inside each runtime alone, beside a plain JS function call. See bench/README.md, section 7.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import { multiaddr } from '@multiformats/multiaddr'
import type { LogicModule, LogicRuntime, TemplateManifestInput } from '@goop/sdk'
import type { DataService } from '@goop/plugin-data'
import type { TemplatesService } from '@goop/plugin-templates'
import type { TestPeer } from '@goop/core/testing'
import { announcePeer, fmtMs, startPeerProcess, summarize, type BenchContext, type PeerProcess, type PeerProcessInfo } from './lib.js'

const CONCURRENCY = 32
const ARG = { n: 1, s: 'ping' }

/** The owner's goop.json: limits raised so that the bench measures the work, not the rate limits. */
const OWNER_CONFIG = {
  plugins: {
    data: { config: { rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } } },
    templates: { config: { calls: { perSecond: 100_000, burst: 100_000, inflight: 1000 } } }
  }
}

/** A template folder with a trivial `ping` in the given runtime, and one row to `get`. */
async function benchTemplate (root: string, runtime: 'lua' | 'js'): Promise<string> {
  const dir = join(root, `bench-${runtime}`)
  await mkdir(join(dir, 'site'), { recursive: true })
  await mkdir(join(dir, 'logic'), { recursive: true })
  const manifest: TemplateManifestInput = {
    name: `bench-${runtime}`,
    title: `Bench (${runtime})`,
    version: '1.0.0',
    sdk: '^1.3.0',
    runtime,
    tables: { items: { columns: { name: { type: 'text' } }, policy: { read: 'open' } } },
    seed: { items: [{ name: 'one' }] },
    logic: { entry: runtime === 'lua' ? 'main.lua' : 'main.ts' }
  }
  await writeFile(join(dir, 'goop-template.json'), JSON.stringify(manifest, null, 2))
  await writeFile(join(dir, 'site', 'index.html'), '<!doctype html><title>bench</title>\n')
  if (runtime === 'lua') await writeFile(join(dir, 'logic', 'main.lua'), 'local M = {}\nfunction M.ping(a) return a end\nreturn M\n')
  else await writeFile(join(dir, 'logic', 'main.ts'), 'export function ping (a: unknown): unknown { return a }\n')
  return dir
}

type Op = () => Promise<unknown>

async function sequential (ms: number, op: Op): Promise<number[]> {
  const latUs: number[] = []
  const end = performance.now() + ms
  while (performance.now() < end) {
    const s = performance.now()
    await op()
    latUs.push((performance.now() - s) * 1000)
  }
  return latUs
}

async function concurrent (ms: number, op: Op): Promise<number> {
  let n = 0
  const t0 = performance.now()
  const end = t0 + ms
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < end) { await op(); n++ }
  }))
  return n / ((performance.now() - t0) / 1000)
}

/** What the logic peer process says first: its admin API too. */
interface LogicPeerInfo extends PeerProcessInfo { port: number, token: string }

/** Run as a child process (`bench/run.ts --logic-peer`): the owner, limits raised. Prints id, address and admin access; stops when stdin ends. */
export async function logicPeerMain (): Promise<void> {
  const testing = await import(pathToFileURL(join(process.cwd(), 'core', 'dist', 'testing', 'index.js')).href) as typeof import('@goop/core/testing')
  const peer = await testing.startTestPeer({ config: OWNER_CONFIG })
  await announcePeer(peer, { port: peer.viewer!.port, token: peer.viewer!.token })
}

export async function benchLogic (ctx: BenchContext): Promise<void> {
  const runMs = ctx.quick ? 1500 : 4000
  const warmMs = ctx.quick ? 300 : 1000
  const tmp = await mkdtemp(join(tmpdir(), 'goop-bench-logic-'))
  ctx.tmpDirs.add(tmp)
  let visitor: TestPeer | undefined
  let local: TestPeer | undefined
  let ownerProcess: PeerProcess<LogicPeerInfo> | undefined
  const modules: LogicModule[] = []
  try {
    ownerProcess = await startPeerProcess<LogicPeerInfo>(ctx, '--logic-peer', [], 60_000)
    const owner = ownerProcess.info
    const apply = async (path: string): Promise<void> => {
      const res = await fetch(`http://127.0.0.1:${owner.port}/api/x/templates/apply`, {
        method: 'POST', headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ path, force: true })
      })
      if (!res.ok) throw new Error(`applying ${path}: ${res.status} ${await res.text()}`)
    }

    const { startTestPeer, probe } = await ctx.kit()
    const p = probe('bench', { requires: ['data', 'templates'] })
    visitor = await startTestPeer({ viewer: false, plugins: [p.plugin] })
    ctx.tmpDirs.add(visitor.dir)
    await visitor.node.dial(multiaddr(owner.addr))
    const data: DataService = p.ctx().use('data')
    const templates: TemplatesService = p.ctx().use('templates')
    const get: Op = async () => await data.remote(owner.id, { op: 'get', table: 'items', id: 1 })

    const group = 'logic (2 processes)'
    const rows: string[][] = []
    for (const runtime of ['lua', 'js'] as const) {
      await apply(await benchTemplate(tmp, runtime))
      const call: Op = async () => await templates.call(owner.id, 'ping', ARG)
      const echoed = await call() as typeof ARG
      if (echoed?.s !== ARG.s) throw new Error(`the ${runtime} ping answered ${JSON.stringify(echoed)}`)
      await sequential(warmMs, get)
      await sequential(warmMs, call)
      // Interleaved halves, so that drift in the machine's load hits both.
      const g1 = await sequential(runMs / 2, get)
      const c1 = await sequential(runMs / 2, call)
      const c2 = await sequential(runMs / 2, call)
      const g2 = await sequential(runMs / 2, get)
      const gs = summarize([...g1, ...g2])
      const cs = summarize([...c1, ...c2])
      const gRate = await concurrent(runMs / 2, get)
      const cRate = await concurrent(runMs / 2, call)
      process.stderr.write('.')
      ctx.figure({
        group, name: `${runtime}: trivial call round trip p50 (1 in flight)`, value: cs.p50, unit: 'µs', better: 'lower',
        baseline: { name: '/goop/data get, same connection, p50', value: gs.p50, unit: 'µs' },
        goal: '≤ 1.5× a data get', goalMet: cs.p50 / gs.p50 <= 1.5,
        detail: { call: cs, get: gs }
      })
      ctx.figure({
        group, name: `${runtime}: trivial call round trip p99 (1 in flight)`, value: cs.p99, unit: 'µs', better: 'lower',
        baseline: { name: '/goop/data get p99', value: gs.p99, unit: 'µs' }
      })
      ctx.figure({
        group, name: `${runtime}: trivial calls, ${CONCURRENCY} in flight`, value: cRate, unit: 'calls/s', better: 'higher',
        baseline: { name: `/goop/data get, ${CONCURRENCY} in flight`, value: gRate, unit: 'ops/s' }
      })
      rows.push([runtime, `${cs.p50.toFixed(0)} / ${cs.p99.toFixed(0)} µs`, `${gs.p50.toFixed(0)} / ${gs.p99.toFixed(0)} µs`, `${cRate.toFixed(0)} calls/s`, `${gRate.toFixed(0)} gets/s`])
    }
    ctx.table({ title: 'logic: trivial call vs data get (p50 / p99 one in flight; rate with 32 in flight)', rows: [['runtime', 'call', 'get', 'calls', 'gets'], ...rows] })

    // ---- inside each runtime alone ----
    const q = probe('bench-local', { requires: ['lua', 'js'] })
    local = await startTestPeer({ viewer: false, plugins: [q.plugin] })
    ctx.tmpDirs.add(local.dir)
    const limits = { memoryBytes: 64 * 1024 * 1024, callTimeoutMs: 5000 }
    const host = async (): Promise<unknown> => null
    const callCtx = { caller: local.id, peer: local.id }
    const plain = (a: unknown): unknown => a
    const plainUs = (): number => {
      const n = 10_000_000
      let sink: unknown
      const t0 = performance.now()
      for (let i = 0; i < n; i++) sink = plain(i)
      if (sink !== n - 1) throw new Error('the plain loop was skipped')
      return (performance.now() - t0) * 1000 / n
    }
    for (const runtime of ['lua', 'js'] as const) {
      const rt: LogicRuntime = q.ctx().use(runtime)
      const mod = await rt.load(runtime === 'lua'
        ? { files: { 'main.lua': 'local M = {}\nfunction M.ping(a) return a end\nreturn M\n' }, entry: 'main.lua' }
        : { files: { 'main.ts': 'export function ping (a: unknown): unknown { return a }\n' }, entry: 'main.ts' }, limits)
      modules.push(mod)
      const call: Op = async () => await mod.call('ping', ARG, callCtx, host)
      await sequential(warmMs, call)
      const cs = summarize(await sequential(runMs, call))
      const rate = await concurrent(runMs / 2, call)
      ctx.figure({
        group: 'logic (in-process, no network)', name: `${runtime}: a trivial call inside the runtime, p50`, value: cs.p50 * 1000, unit: 'ns', better: 'lower',
        baseline: { name: 'a plain JS function call', value: plainUs() * 1000, unit: 'ns' },
        detail: { call: cs, callsPerSecond32InFlight: rate }
      })
    }
    ctx.note(`logic: owner in a child process (\`bench/run.ts --logic-peer\`, rate limits raised), the visitor here; the bench template (\`ping(a) return a\`, one table with one row) applied in Lua, then in JS; gets and calls interleaved, ${fmtMs(warmMs)} warm-up, ${fmtMs(runMs)} each one in flight, ${fmtMs(runMs / 2)} with ${CONCURRENCY} in flight; argument ${JSON.stringify(ARG)}`)
  } finally {
    for (const m of modules) await m.dispose().catch(() => {})
    await local?.cleanup().catch(() => {})
    if (local != null) ctx.tmpDirs.delete(local.dir)
    await visitor?.cleanup().catch((err: unknown) => { process.stderr.write(`stopping the visitor: ${String(err)}\n`) })
    if (visitor != null) ctx.tmpDirs.delete(visitor.dir)
    await ownerProcess?.stop()
    await rm(tmp, { recursive: true, force: true })
    ctx.tmpDirs.delete(tmp)
  }
}
