// Rendezvous load: the real rendezvous plugin in its own process (`goop rendezvous`), simulated
// clients speaking the real protocol in 2–4 other processes (bench/rendezvous-clients.ts), 50 joins/s
// during each measured window. The client count rises in steps until it breaks (p99 join → delta
// over 1 s, a client dropped, or not all held). Baseline, same run, same N: a plain `ws` server that
// only accepts the connections and answers the pings (bench/ws-plain-server.ts). See bench/README.md.
import { spawn, type ChildProcess } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import {
  arg, exited, fmtMs, guard, int, machineCpu, procStats, quantile, sleep, startRendezvous, summarize,
  type BenchContext, type RendezvousProcess
} from './lib.js'

const HERE = dirname(fileURLToPath(import.meta.url))

/** A process of simulated clients, driven by JSON-line commands. */
interface Worker {
  child: ChildProcess
  rpc: (cmd: string, body?: Record<string, unknown>, timeoutMs?: number) => Promise<any>
  stop: () => Promise<void>
}

function spawnWorker (ctx: BenchContext, index: number): Worker {
  const child = ctx.track(spawn(process.execPath, ['--import', 'tsx', '--conditions=development', join(HERE, 'rendezvous-clients.ts')], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env }
  }))
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr = (stderr + s).slice(-10_000) })
  const waiting = new Map<number, { resolve: (v: any) => void, reject: (e: Error) => void }>()
  let nextId = 0
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let msg: any
    try { msg = JSON.parse(line) } catch { return }
    const w = waiting.get(msg.id)
    if (w == null) return
    waiting.delete(msg.id)
    if (msg.error != null) w.reject(new Error(`client process ${index}: ${String(msg.error)}`))
    else w.resolve(msg)
  })
  child.once('exit', (code, signal) => {
    for (const w of waiting.values()) w.reject(new Error(`client process ${index} exited (${code ?? signal}): ${stderr.trim()}`))
    waiting.clear()
  })
  return {
    child,
    rpc: async (cmd, body = {}, timeoutMs = 300_000) => {
      const id = nextId++
      const answer = new Promise<any>((resolve, reject) => { waiting.set(id, { resolve, reject }) })
      child.stdin!.write(JSON.stringify({ id, cmd, ...body }) + '\n')
      return await Promise.race([answer, guard(timeoutMs).then(() => { throw new Error(`client process ${index}: no answer to ${cmd} within ${timeoutMs / 1000} s`) })])
    },
    stop: async () => {
      child.stdin!.end()
      const timer = setTimeout(() => { child.kill('SIGKILL') }, 5000)
      await exited(child)
      clearTimeout(timer)
    }
  }
}

/** The plain `ws` baseline server in its own process. */
async function startPlain (ctx: BenchContext): Promise<{ pid: number, port: number, stop: () => Promise<void> }> {
  const child = ctx.track(spawn(process.execPath, ['--import', 'tsx', '--conditions=development', join(HERE, 'ws-plain-server.ts')], { stdio: ['pipe', 'pipe', 'inherit'] }))
  const lines = createInterface({ input: child.stdout! })
  const first = await Promise.race([
    new Promise<string>((resolve) => { lines.once('line', resolve) }),
    guard(30_000).then(() => { throw new Error('the plain ws server did not start within 30 s') })
  ])
  const { port } = JSON.parse(first) as { port: number }
  return {
    pid: child.pid!,
    port,
    stop: async () => {
      child.stdin!.end()
      const timer = setTimeout(() => { child.kill('SIGKILL') }, 5000)
      await exited(child)
      clearTimeout(timer)
    }
  }
}

/** Split `n` over `k` parts as evenly as whole numbers allow. */
const split = (n: number, k: number): number[] => Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0))

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)

function mergeCounts (into: Record<string, number>, from: Record<string, number> | undefined): void {
  for (const [k, v] of Object.entries(from ?? {})) into[k] = (into[k] ?? 0) + v
}

interface Step {
  target: number
  /** Clients held when the window started, and at its end (the joins stay). */
  heldStart: number
  heldEnd: number
  rampMs: number
  rampServerCpuMs: number
  joinsPublished: number
  joinsStartedPerS: number
  joinsPerS: number
  joinFailures: number
  pingsPerS: number
  pongsPerS: number
  samples: number
  expectedDeltas: number
  delivered: number
  /** join → delta at the sample clients, ms; Infinity for deltas that never came */
  p50: number
  p99: number
  max: number
  handshakeP50: number
  handshakeP99: number
  /** join → delta measured from the joiner's connect (handshake, snapshot and delta), ms */
  visibleP50: number
  visibleP99: number
  rttP99: number
  serverCpuPct: number
  serverRss: number
  serverHwm: number
  memPerClient: number
  clientsCpuPct: number
  machinePct: number
  /** irq + softirq time of the box (loopback TCP delivery), % of one core */
  irqPct: number
  stealPct: number
  /** this bench's own process */
  harnessPct: number
  otherPct: number
  clientRss: number
  dropped: Record<string, number>
  errors: Record<string, number>
  serverDropped: Record<string, number>
  broken: string[]
  plain?: { held: number, cpuPct: number, rss: number, memPerClient: number, pongsPerS: number, rttP99: number, rampMs: number }
}

/** Ramp the workers to `target` held clients in chunks, each chunk waiting until the sample clients know everyone. */
async function ramp (workers: Worker[], target: number, opts: { chunk: number, concurrency: number, knowAll: boolean, heldNow: () => Promise<number> }): Promise<{ held: number, failed: number }> {
  let held = await opts.heldNow()
  let failed = 0
  while (held < target) {
    const chunk = Math.min(opts.chunk, target - held)
    const parts = split(chunk, workers.length)
    const res = await Promise.all(workers.map(async (w, i) => parts[i] > 0 ? await w.rpc('open', { count: parts[i], concurrency: opts.concurrency, timeoutMs: 120_000 }) : { ok: 0, failed: 0 }))
    failed += sum(res.map(r => r.failed))
    if (failed > 0) break
    held = await opts.heldNow()
    if (opts.knowAll) {
      // Pace the ramp: every sample client has every record (snapshot + join deltas) before the next chunk.
      const deadline = Date.now() + 120_000
      for (;;) {
        const st = await Promise.all(workers.map(async w => await w.rpc('status')))
        held = sum(st.map(s => s.held))
        const minKnown = Math.min(...st.map(s => s.minKnown ?? Infinity))
        if (minKnown >= held - 1) break
        if (Date.now() > deadline) throw new Error(`ramp to ${target}: the sample clients know ${minKnown} of ${held - 1} peers after 120 s`)
        await sleep(100)
      }
    }
    process.stderr.write(`  ${int(held)} held\r`)
  }
  return { held, failed }
}

export async function benchRendezvousLoad (ctx: BenchContext): Promise<void> {
  const steps = (arg(ctx.args, 'rdv-steps') ?? (ctx.quick ? '1000,2000' : '1000,2000,5000,10000,15000')).split(',').map(Number)
  const nWorkers = Number(arg(ctx.args, 'rdv-workers') ?? 4)
  const windowMs = Number(arg(ctx.args, 'rdv-window-ms') ?? (ctx.quick ? 6000 : 10_000))
  const plainWindowMs = Math.min(windowMs, 5000)
  const warmupMs = 2000
  const drainMs = 3000
  const joinRate = Number(arg(ctx.args, 'rdv-join-rate') ?? 50)
  const samplesPerWorker = 25
  /** No new step starts when it is predicted to end after this (the ramp costs grow as N²). */
  const budgetS = Number(arg(ctx.args, 'rdv-budget-s') ?? (ctx.quick ? 90 : 210))
  const batchMs = arg(ctx.args, 'rdv-batch-ms')
  const profile = ctx.args.includes('--rdv-profile')
  const goalClients = 10_000
  const goalP99 = 1000
  const started = performance.now()

  // Limits raised so that they do not end the test (README, "Configuration"); the rest are defaults:
  // ttlMs 20 s, rate limit 20 msg/s (burst 40), maxBufferedBytes 16 MiB, batchMs 100.
  const config: Record<string, unknown> = {
    host: '127.0.0.1',
    relayHost: '127.0.0.1',
    maxConnections: 100_000,
    maxConnectionsPerIp: 0,
    helloTimeoutMs: 120_000,
    ...(batchMs != null ? { batchMs: Number(batchMs) } : {})
  }
  const tmp = await mkdtemp(join(tmpdir(), 'goop-bench-rdv-'))
  ctx.tmpDirs.add(tmp)
  const profDir = join(tmp, 'prof')
  let rdv: RendezvousProcess | undefined
  let workers: Worker[] = []
  const results: Step[] = []
  let brokeAt: Step | undefined
  let stoppedForTime: string | undefined
  try {
    rdv = await startRendezvous(ctx, join(tmp, 'rdv'), config, profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])
    await sleep(1000)
    const idle = procStats(rdv.pid)!
    workers = Array.from({ length: nWorkers }, (_, i) => spawnWorker(ctx, i))
    await Promise.all(workers.map(async (w, i) => await w.rpc('init', { port: rdv!.port, host: '127.0.0.1', mode: 'rendezvous', worker: i, samples: samplesPerWorker }, 30_000)))
    const heldNow = async (): Promise<number> => sum((await Promise.all(workers.map(async w => await w.rpc('status')))).map(s => s.held))

    let lastRamp: { from: number, to: number, ms: number } | undefined
    for (const target of steps) {
      // Every client gets every record (snapshot or delta): a ramp from a to b costs ~ b² − a².
      const elapsedS = (performance.now() - started) / 1000
      const from = await heldNow()
      const predictedS = lastRamp == null || lastRamp.to <= lastRamp.from
        ? 0
        : lastRamp.ms / 1000 * (target ** 2 - from ** 2) / (lastRamp.to ** 2 - lastRamp.from ** 2) + (warmupMs + windowMs + drainMs) / 1000
      if (elapsedS + predictedS > budgetS) {
        stoppedForTime = `the step to ${int(target)} was not tried: predicted to take ~${predictedS.toFixed(0)} s, past the ${budgetS} s budget (--rdv-budget-s)`
        break
      }
      process.stderr.write(`  step ${int(target)}: ramp\n`)
      const r0 = procStats(rdv.pid)!
      const t0 = performance.now()
      const rampRes = await ramp(workers, target, { chunk: 1000, concurrency: 25, knowAll: true, heldNow })
      const rampMs = performance.now() - t0
      lastRamp = { from, to: rampRes.held, ms: rampMs }
      const rampServerCpuMs = procStats(rdv.pid)!.cpuMs - r0.cpuMs
      const before = await Promise.all(workers.map(async w => await w.rpc('status')))
      const droppedBefore: Record<string, number> = {}
      for (const s of before) mergeCounts(droppedBefore, s.dropped)
      const heldStart = sum(before.map(s => s.held))
      await sleep(warmupMs)

      // The measured window: joins at joinRate/s spread over the workers, pings as always.
      process.stderr.write(`  step ${int(target)}: window (${int(heldStart)} held)\n`)
      const s0 = procStats(rdv.pid)!
      const m0 = machineCpu()
      const h0 = process.cpuUsage()
      const startNs = String(process.hrtime.bigint())
      await Promise.all(workers.map(async (w, i) => await w.rpc('window', { startNs, joinRate: joinRate / nWorkers, offsetMs: i * 1000 / joinRate })))
      const w0 = performance.now()
      await sleep(windowMs)
      const endNs = String(process.hrtime.bigint())
      const s1 = procStats(rdv.pid)!
      const m1 = machineCpu()
      const h1 = process.cpuUsage(h0)
      const elapsed = performance.now() - w0
      await Promise.all(workers.map(async w => await w.rpc('end-window', { endNs })))
      await sleep(drainMs)
      const col = await Promise.all(workers.map(async w => await w.rpc('collect')))
      const health = await rdv.healthz().catch(() => ({ dropped: {} }))

      const dropped: Record<string, number> = {}
      const errors: Record<string, number> = {}
      for (const c of col) { mergeCounts(dropped, c.dropped); mergeCounts(errors, c.errors) }
      for (const [k, v] of Object.entries(droppedBefore)) dropped[k] -= v
      for (const k of Object.keys(dropped)) if (dropped[k] <= 0) delete dropped[k]
      const droppedInStep = sum(Object.values(dropped)) + rampRes.failed
      const joinsPublished = sum(col.map(c => c.joinsPublished))
      const samples = sum(col.map(c => c.samples))
      const expected = joinsPublished * samples
      const lat = col.flatMap(c => c.latencies as number[]).toSorted((a, b) => a - b)
      // Deltas that never came count as infinitely late.
      const padded = lat.length >= expected ? lat : [...lat, ...Array.from({ length: expected - lat.length }, () => Infinity)]
      const hs = summarize(col.flatMap(c => c.handshakes as number[]))
      const rtt = col.flatMap(c => c.rtts as number[]).toSorted((a, b) => a - b)
      const vis = col.flatMap(c => c.visible as number[]).toSorted((a, b) => a - b)
      const visPadded = vis.length >= expected ? vis : [...vis, ...Array.from({ length: expected - vis.length }, () => Infinity)]
      const windowS = elapsed / 1000
      const serverCpuPct = (s1.cpuMs - s0.cpuMs) / elapsed * 100
      const clientsCpuPct = sum(col.map(c => c.cpuMs)) / elapsed * 100
      const machinePct = (m1.busyMs - m0.busyMs) / elapsed * 100
      const heldEnd = sum(col.map(c => c.held))
      const step: Step = {
        target,
        heldStart,
        heldEnd,
        rampMs,
        rampServerCpuMs,
        joinsPublished,
        joinsStartedPerS: sum(col.map(c => c.joinsStarted)) / windowS,
        joinsPerS: joinsPublished / windowS,
        joinFailures: sum(col.map(c => c.joinFailures)),
        pingsPerS: sum(col.map(c => c.pingsSent)) / windowS,
        pongsPerS: sum(col.map(c => c.pongs)) / windowS,
        samples,
        expectedDeltas: expected,
        delivered: expected > 0 ? Math.min(lat.length, expected) / expected : NaN,
        p50: quantile(padded, 0.5),
        p99: quantile(padded, 0.99),
        max: padded.at(-1) ?? NaN,
        handshakeP50: hs.p50,
        handshakeP99: hs.p99,
        visibleP50: quantile(visPadded, 0.5),
        visibleP99: quantile(visPadded, 0.99),
        rttP99: quantile(rtt, 0.99),
        serverCpuPct,
        serverRss: s1.rss,
        serverHwm: s1.hwm,
        memPerClient: (s1.rss - idle.rss) / heldEnd,
        clientsCpuPct,
        machinePct,
        irqPct: (m1.irqMs - m0.irqMs) / elapsed * 100,
        stealPct: (m1.stealMs - m0.stealMs) / elapsed * 100,
        harnessPct: (h1.user + h1.system) / 1000 / elapsed * 100,
        otherPct: machinePct - serverCpuPct - clientsCpuPct - (h1.user + h1.system) / 1000 / elapsed * 100,
        clientRss: sum(col.map(c => c.rss)),
        dropped,
        errors,
        serverDropped: Object.fromEntries(Object.entries(health.dropped ?? {}).filter(([, v]) => (v as number) > 0)) as Record<string, number>,
        broken: []
      }
      if (!(step.p99 <= goalP99)) step.broken.push(`p99 ${Number.isFinite(step.p99) ? fmtMs(step.p99) : '∞ (deltas missing)'} > 1 s`)
      if (droppedInStep > 0) step.broken.push(`${droppedInStep} clients dropped (${JSON.stringify(dropped)})`)
      if (heldStart < target) step.broken.push(`only ${int(heldStart)} of ${int(target)} held`)
      if (step.joinFailures > 0) step.broken.push(`${step.joinFailures} joins failed`)
      if (step.delivered < 1) step.broken.push(`${(step.delivered * 100).toFixed(2)} % of deltas delivered`)
      results.push(step)
      process.stderr.write(`  step ${int(target)}: p99 ${fmtMs(step.p99)}, server ${step.serverCpuPct.toFixed(0)} % CPU, clients ${step.clientsCpuPct.toFixed(0)} %${step.broken.length > 0 ? ` — BROKEN: ${step.broken.join('; ')}` : ''}\n`)
      if (step.broken.length > 0) { brokeAt = step; break }
    }
    const serverStderr = rdv.stderr().trim()
    // The server first: clients closing one by one would make it announce every leave to everyone left.
    await rdv.stop()
    await Promise.all(workers.map(async w => await w.rpc('close')))
    if (serverStderr !== '') ctx.note(`rendezvous load: the server's log (last lines): ${serverStderr.split('\n').slice(-5).join(' | ').slice(0, 1000)}`)
    if (profile) {
      const files = await readdir(profDir).catch(() => [] as string[])
      if (files.length > 0) {
        const keep = join(ctx.root, 'test-artifacts', 'rendezvous-server.cpuprofile')
        await mkdir(dirname(keep), { recursive: true })
        await copyFile(join(profDir, files[0]), keep)
        ctx.note(`rendezvous load: server CPU profile (whole run, ramps included) in ${keep}; by inclusive time: ${summarizeProfile(JSON.parse(await readFile(keep, 'utf8')))}`)
      }
    }

    // Baseline, same run, same N: a plain ws server with the same clients pinging (no hello, no records).
    process.stderr.write('  baseline: plain ws server\n')
    await Promise.all(workers.map(async w => await w.stop()))
    const plain = await startPlain(ctx)
    await sleep(500)
    const plainIdle = procStats(plain.pid)!
    workers = Array.from({ length: nWorkers }, (_, i) => spawnWorker(ctx, i))
    await Promise.all(workers.map(async (w, i) => await w.rpc('init', { port: plain.port, host: '127.0.0.1', mode: 'plain', worker: i, samples: samplesPerWorker }, 30_000)))
    try {
      for (const step of results) {
        const t0 = performance.now()
        await ramp(workers, step.heldEnd, { chunk: 2000, concurrency: 100, knowAll: false, heldNow })
        const rampMs = performance.now() - t0
        await sleep(warmupMs)
        const s0 = procStats(plain.pid)!
        const startNs = String(process.hrtime.bigint())
        await Promise.all(workers.map(async w => await w.rpc('window', { startNs, joinRate: 0 })))
        const w0 = performance.now()
        await sleep(plainWindowMs)
        const s1 = procStats(plain.pid)!
        const elapsed = performance.now() - w0
        await Promise.all(workers.map(async w => await w.rpc('end-window', { endNs: String(process.hrtime.bigint()) })))
        const col = await Promise.all(workers.map(async w => await w.rpc('collect')))
        const held = sum(col.map(c => c.held))
        step.plain = {
          held,
          cpuPct: (s1.cpuMs - s0.cpuMs) / elapsed * 100,
          rss: s1.rss,
          memPerClient: (s1.rss - plainIdle.rss) / held,
          pongsPerS: sum(col.map(c => c.pongs)) / (elapsed / 1000),
          rttP99: quantile(col.flatMap(c => c.rtts as number[]).toSorted((a, b) => a - b), 0.99),
          rampMs
        }
        process.stderr.write(`  baseline ${int(held)}: ${step.plain.cpuPct.toFixed(1)} % CPU\n`)
      }
    } finally {
      await Promise.all(workers.map(async w => await w.rpc('close', {}, 10_000).catch(() => {})))
      await plain.stop()
    }
  } finally {
    await Promise.all(workers.map(async w => await w.stop().catch(() => {})))
    await rdv?.stop().catch(() => {})
    await rm(tmp, { recursive: true, force: true })
    ctx.tmpDirs.delete(tmp)
  }

  report(ctx, results, brokeAt, stoppedForTime, { windowMs, plainWindowMs, joinRate, nWorkers, samplesPerWorker, steps, goalClients, goalP99, batchMs: batchMs != null ? Number(batchMs) : 100, durationS: (performance.now() - started) / 1000 })
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`
const kb = (bytes: number): string => `${(bytes / 1e3).toFixed(1)} KB`
const pct = (p: number): string => `${p.toFixed(0)} %`
const lat = (ms: number): string => Number.isFinite(ms) ? fmtMs(ms) : '∞'

/** The share of sampled time under a few functions of the server (inclusive), from a .cpuprofile. */
function summarizeProfile (p: { nodes: Array<{ id: number, callFrame: { functionName: string }, children?: number[] }>, samples: number[], timeDeltas: number[] }): string {
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const fn = new Map(p.nodes.map(n => [n.id, n.callFrame.functionName]))
  const watch = ['flush', 'hello', 'buildWelcome', 'publish', 'message', 'sendText', '(garbage collector)', '(idle)']
  const incl = new Map<string, number>()
  let total = 0
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0
    total += dt
    const seen = new Set<string>()
    for (let id: number | undefined = p.samples[i]; id != null; id = parent.get(id)) {
      const name = fn.get(id) ?? ''
      if (watch.includes(name) && !seen.has(name)) { seen.add(name); incl.set(name, (incl.get(name) ?? 0) + dt) }
    }
  }
  return watch.map(w => `${w} ${((incl.get(w) ?? 0) / total * 100).toFixed(1)} %`).join(', ')
}

function report (ctx: BenchContext, steps: Step[], brokeAt: Step | undefined, stoppedForTime: string | undefined, plan: Record<string, any>): void {
  if (steps.length === 0) { ctx.note('rendezvous load: no step was measured'); return }
  const ok = steps.filter(s => s.broken.length === 0)
  const top = ok.at(-1) ?? steps[0]
  const group = 'rendezvous load'
  const base = (s: Step, what: 'cpu' | 'mem' | 'pongs'): { name: string, value: number, unit: string } => {
    const p = s.plain
    if (what === 'cpu') return { name: `plain ws server, same N (${int(p?.held ?? NaN)}), pings only`, value: p?.cpuPct ?? NaN, unit: '% of a core' }
    if (what === 'mem') return { name: 'plain ws server, same N', value: p?.memPerClient ?? NaN, unit: 'B/client' }
    return { name: 'plain ws server, same N', value: p?.pongsPerS ?? NaN, unit: 'pongs/s' }
  }
  ctx.figure({
    group, name: `clients held with p99 < 1 s (largest step that held${brokeAt != null ? `; broke at ${int(brokeAt.target)}` : ''})`,
    value: ok.at(-1)?.heldStart ?? 0, unit: 'clients', better: 'higher',
    baseline: { name: 'goal', value: plan.goalClients, unit: 'clients' },
    goal: `≥ ${int(plan.goalClients)} on one core, p99 < 1 s`,
    goalMet: ok.some(s => s.heldStart >= plan.goalClients && s.serverCpuPct <= 100),
    detail: { steps, plan, stoppedForTime }
  })
  for (const s of [top, ...(brokeAt != null && brokeAt !== top ? [brokeAt] : [])]) {
    const tag = `N=${int(s.heldStart)}${s.broken.length > 0 ? ' (broken)' : ''}`
    ctx.figure({
      group, name: `${tag}: p99 join → delta at the other clients`, value: s.p99, unit: 'ms', better: 'lower',
      baseline: { name: 'goal', value: plan.goalP99, unit: 'ms' }, goal: '< 1 s', goalMet: s.p99 < plan.goalP99
    })
    ctx.figure({
      group, name: `${tag}: p99 connect → delta at the others (a joiner's wait to be seen)`, value: s.visibleP99, unit: 'ms', better: 'lower',
      baseline: { name: 'goal for publish → delta', value: plan.goalP99, unit: 'ms' }
    })
    ctx.figure({ group, name: `${tag}: server CPU`, value: s.serverCpuPct, unit: '% of a core', better: 'lower', baseline: base(s, 'cpu'), goal: '≤ 100 % (one core)', goalMet: s.serverCpuPct <= 100 })
    ctx.figure({ group, name: `${tag}: server memory per client (RSS delta / clients)`, value: s.memPerClient, unit: 'B/client', better: 'lower', baseline: base(s, 'mem') })
    ctx.figure({ group, name: `${tag}: heartbeats handled (pongs received)`, value: s.pongsPerS, unit: 'pongs/s', better: 'higher', baseline: base(s, 'pongs') })
  }

  const rows = [[
    'clients (start→end)', 'joins/s (started→published)', 'heartbeats/s (sent→answered)', 'join→delta p50 / p99 / max', 'delivered',
    'ping→pong p99', 'join handshake p50 / p99', 'connect→delta p50 / p99', 'server CPU', 'server RSS (per client)', 'plain ws CPU', 'plain ws RSS (per client)',
    'clients CPU', 'whole box', 'ramp', 'verdict'
  ]]
  for (const s of steps) {
    rows.push([
      `${int(s.heldStart)}→${int(s.heldEnd)}`,
      `${s.joinsStartedPerS.toFixed(1)}→${s.joinsPerS.toFixed(1)}`,
      `${int(s.pingsPerS)}→${int(s.pongsPerS)}`,
      `${lat(s.p50)} / ${lat(s.p99)} / ${lat(s.max)}`,
      `${(s.delivered * 100).toFixed(2)} % of ${int(s.expectedDeltas)}`,
      lat(s.rttP99),
      `${lat(s.handshakeP50)} / ${lat(s.handshakeP99)}`,
      `${lat(s.visibleP50)} / ${lat(s.visibleP99)}`,
      pct(s.serverCpuPct),
      `${mb(s.serverRss)} (${kb(s.memPerClient)})`,
      s.plain != null ? pct(s.plain.cpuPct) : 'n/a',
      s.plain != null ? `${mb(s.plain.rss)} (${kb(s.plain.memPerClient)})` : 'n/a',
      pct(s.clientsCpuPct),
      `${pct(s.machinePct)} of 200 %`,
      `${(s.rampMs / 1000).toFixed(1)} s, server ${(s.rampServerCpuMs / 1000).toFixed(1)} CPU-s`,
      s.broken.length > 0 ? `BROKEN: ${s.broken.join('; ')}` : 'held'
    ])
  }
  ctx.table({ title: `Rendezvous load, per step (${plan.nWorkers} client processes, ${plan.joinRate} joins/s, ${plan.windowMs / 1000} s windows; CPU in % of one core)`, rows })
  ctx.note(`rendezvous load: server = \`goop rendezvous\` (compiled CLI, relay on, batchMs ${plan.batchMs}, limits raised: maxConnections 100,000, helloTimeoutMs 120 s); clients = ${plan.nWorkers} processes (bench/rendezvous-clients.ts), real Ed25519 keys, each client: challenge → hello → welcome → signed publish → ping every 5 s; ${plan.samplesPerWorker} sample receivers per process time the join deltas`)
  ctx.note(`rendezvous load: each step ramps in chunks of 1,000 (each chunk waits until the sample clients know every record), 2 s warm-up, a ${plan.windowMs / 1000} s window with ${plan.joinRate} joins/s (the joiners stay), 3 s drain; the plain ws baseline uses the same client processes, the same N and ${plan.plainWindowMs / 1000} s windows`)
  const last = steps.at(-1)!
  if (brokeAt != null) ctx.note(`rendezvous load: BROKE at ${int(brokeAt.heldStart)} clients: ${brokeAt.broken.join('; ')}`)
  else if (stoppedForTime != null) ctx.note(`rendezvous load: held every step tried, up to ${int(last.heldStart)} clients; ${stoppedForTime}`)
  else ctx.note(`rendezvous load: held every step tried, up to ${int(last.heldStart)} clients (add steps with --rdv-steps=... to find where it breaks)`)
  for (const s of steps) {
    const errs = Object.entries(s.errors).map(([k, v]) => `${k} ×${v}`).join(', ')
    const sd = Object.entries(s.serverDropped).map(([k, v]) => `${k} ×${v}`).join(', ')
    ctx.note(`rendezvous load: N=${int(s.heldStart)}: CPU: server ${pct(s.serverCpuPct)}, client processes ${pct(s.clientsCpuPct)}, bench harness ${pct(s.harnessPct)}, the rest of the box ${pct(s.otherPct)} (of which irq+softirq ${pct(s.irqPct)}, steal ${pct(s.stealPct)}; the remainder is other processes on this shared box) — whole box ${pct(s.machinePct)} of 200 %; client processes RSS ${mb(s.clientRss)}; server RSS peak ${mb(s.serverHwm)}${errs !== '' ? `; client-side errors: ${errs}` : ''}${sd !== '' ? `; server /healthz dropped: ${sd}` : ''}`)
  }
  ctx.note(`rendezvous load: took ${plan.durationS.toFixed(0)} s`)
}
