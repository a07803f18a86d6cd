// goop benchmarks. Every figure is measured next to its baseline, in the same run, and printed as a ratio.
//
//   npm run bench                       (builds first, then runs this file with tsx)
//   node --import tsx --conditions=development bench/run.ts [--quick] [--mq-in-process]
//        [--only=startup|mq|site|data|logic|create|convergence|rendezvous]   (a comma-separated list also works)
//
// Writes bench/results.json. See bench/README.md for what is measured and how.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { readFileSync, rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { cpus, freemem, loadavg, platform, release, tmpdir, totalmem } from 'node:os'
import { dirname, join, resolve as resolvePath } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Libp2p, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { definePlugin, type MqApi } from '@goop/sdk'
import type { TestPeer } from '@goop/core/testing'
import { benchConvergence } from './convergence.js'
import { benchCreate } from './create.js'
import { benchData, dataPeerMain } from './data.js'
import { benchLogic, logicPeerMain } from './logic.js'
import { announcePeer, exited, fmtMs, guard, loopbackAddr, sleep, startPeerProcess, summarize, type BenchContext, type Figure, type Table } from './lib.js'
import { benchRendezvousLoad } from './rendezvous-load.js'
import { benchSite, sitePeerMain } from './site.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolvePath(HERE, '..')
const CLI = join(ROOT, 'core', 'bin', 'goop.js')
const ECHO = '/bench/echo/1.0.0'
const TOPIC = 'bench.msg'
const MSG_BYTES = 100
/** The MQ payload: a 100-character string, the same size as the raw echo message. */
const PAYLOAD = 'x'.repeat(MSG_BYTES)

const args = process.argv.slice(2)
const QUICK = args.includes('--quick')
const ONLY = args.find(a => a.startsWith('--only='))?.slice('--only='.length).split(',')
const BENCHES = ['startup', 'mq', 'site', 'data', 'logic', 'create', 'convergence', 'rendezvous']
for (const o of ONLY ?? []) {
  if (!BENCHES.includes(o)) { process.stderr.write(`bench: --only takes ${BENCHES.join(', ')} (comma-separated), not "${o}"\n`); process.exit(2) }
}
const selected = (name: string): boolean => ONLY == null || ONLY.includes(name)
const MQ_IN_PROCESS = args.includes('--mq-in-process')

const PLAN = {
  startup: { warmups: 2, runs: QUICK ? 4 : 15, pollMs: 5, goalMs: 500 },
  mq: {
    warmupMs: QUICK ? 300 : 700,
    /** Sequential figures: `rounds` × (raw for roundMs, then MQ for roundMs), samples pooled. */
    rounds: QUICK ? 1 : 5,
    roundMs: QUICK ? 500 : 1000,
    /** Pipelined: batches of `burst` messages, for roundMs per side per round. */
    burst: 1000,
    p50GoalRatio: 1.5
  }
}

process.env.GOOP_LOG ??= 'error'

/**
 * The peers run the compiled kernel (core/dist, what `goop start` runs), not the sources through tsx:
 * tsx's esbuild transform adds a `__name(...)` call for every closure created, which shows up in the
 * per-message cost. (`npm run bench` builds first.)
 */
const kit = (): Promise<typeof import('@goop/core/testing')> =>
  import(pathToFileURL(join(ROOT, 'core', 'dist', 'testing', 'index.js')).href)

/** Child processes still running, killed if the bench is interrupted or fails. */
const children = new Set<ChildProcess>()
function track (child: ChildProcess): ChildProcess {
  children.add(child)
  child.once('exit', () => { children.delete(child) })
  return child
}
/** Temporary folders to remove if the bench is interrupted. */
const tmpDirs = new Set<string>()
function killChildren (): void {
  for (const c of children) c.kill('SIGKILL')
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true })
}

// ---- results -----------------------------------------------------------------------------------

const figures: Figure[] = []
const notes: string[] = []
const tables: Table[] = []

function figure (f: Omit<Figure, 'ratio'>): void {
  figures.push({ ...f, ratio: f.value / f.baseline.value })
}

// ---- 1. peer start-up --------------------------------------------------------------------------

function getJson (port: number, path: string, token: string): Promise<{ status: number, body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        try { resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }) } catch (err) { reject(err) }
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** `node --no-node-snapshot -e ''` from spawn to exit (the flag every goop process starts with, for isolated-vm). */
async function nodeBare (): Promise<number> {
  const t0 = performance.now()
  const child = track(spawn(process.execPath, ['--no-node-snapshot', '-e', ''], { stdio: 'ignore' }))
  const code = await exited(child)
  const ms = performance.now() - t0
  if (code !== 0) throw new Error(`node -e '' exited with ${code}`)
  return ms
}

/** `goop start`: spawn → viewer answers GET /api/self with the token → SIGTERM → exit. */
async function goopStart (dir: string, pollMs: number): Promise<{ readyMs: number, armedMs: number, stopMs: number, totalMs: number }> {
  const stateFile = join(dir, 'state', 'viewer.json')
  await rm(stateFile, { force: true })
  let stderr = ''
  let stdout = ''
  let armedAt: number | undefined
  const t0 = performance.now()
  const child = track(spawn(process.execPath, ['--no-node-snapshot', CLI, 'start', dir, '--viewer-port', '0', '--port', '0', '--no-mdns'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GOOP_LOG: 'error' }
  }))
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  // The CLI installs its SIGTERM handler after Peer.start returns and prints this line right before.
  const armed = new Promise<void>((resolve) => {
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
      if (armedAt === undefined && stdout.includes('press Ctrl+C to stop')) { armedAt = performance.now(); resolve() }
    })
  })
  let readyAt: number | undefined
  try {
    const deadline = Date.now() + 20_000
    while (readyAt === undefined) {
      if (child.exitCode != null || child.signalCode != null) throw new Error(`goop start exited early (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`)
      if (Date.now() > deadline) throw new Error(`goop start did not answer within 20 s: ${stderr.trim()}`)
      let state: { port?: number, token?: string } | undefined
      try { state = JSON.parse(await readFile(stateFile, 'utf8')) } catch { /* not there yet, or half-written */ }
      if (state?.port != null && state.token != null) {
        try {
          const res = await getJson(state.port, '/api/self', state.token)
          if (res.status === 200 && typeof res.body?.peerId === 'string') { readyAt = performance.now(); break }
        } catch { /* not listening yet */ }
      }
      await sleep(pollMs)
    }
    // The viewer answers before the CLI listens for SIGTERM (plugins still load in between); a SIGTERM
    // in that window kills the process without a clean stop, so wait until the CLI is ready for it.
    await Promise.race([armed, exited(child), guard(20_000)])
    if (armedAt === undefined) throw new Error(`goop start never printed "press Ctrl+C to stop": ${stderr.trim()}`)
    // It prints that line just *before* process.on('SIGTERM'); give it a moment (not counted anywhere).
    await sleep(25)
    const tStop = performance.now()
    child.kill('SIGTERM')
    const code = await exited(child)
    const tEnd = performance.now()
    if (code !== 0) throw new Error(`goop start exited with ${code ?? child.signalCode} after SIGTERM; stdout: ${stdout.trim()}; stderr: ${stderr.trim()}`)
    return { readyMs: readyAt - t0, armedMs: armedAt - t0, stopMs: tEnd - tStop, totalMs: tEnd - t0 }
  } finally {
    if (child.exitCode == null && child.signalCode == null) { child.kill('SIGKILL'); await exited(child) }
  }
}

async function benchStartup (): Promise<void> {
  const { warmups, runs, pollMs, goalMs } = PLAN.startup
  const tmp = await mkdtemp(join(tmpdir(), 'goop-bench-'))
  tmpDirs.add(tmp)
  const dir = join(tmp, 'peer')
  try {
    const init = spawnSync(process.execPath, ['--no-node-snapshot', CLI, 'init', dir, '--name', 'bench'], { encoding: 'utf8' })
    if (init.status !== 0) throw new Error(`goop init failed: ${init.stderr}`)
    const bare: number[] = []
    const ready: number[] = []
    const stop: number[] = []
    const total: number[] = []
    const armedGap: number[] = []
    // Interleaved, so that drift in the machine's load hits both sides alike.
    for (let i = 0; i < warmups + runs; i++) {
      const b = await nodeBare()
      const g = await goopStart(dir, pollMs)
      if (i < warmups) continue
      bare.push(b); ready.push(g.readyMs); armedGap.push(g.armedMs - g.readyMs); stop.push(g.stopMs); total.push(g.totalMs)
      process.stderr.write('.')
    }
    process.stderr.write('\n')
    const sb = summarize(bare)
    const sr = summarize(ready)
    const ss = summarize(stop)
    const st = summarize(total)
    figure({
      group: 'start-up',
      name: 'goop start → viewer answers /api/self (median)',
      value: sr.p50,
      unit: 'ms',
      better: 'lower',
      baseline: { name: "node --no-node-snapshot -e '' spawn → exit (median)", value: sb.p50, unit: 'ms' },
      goal: `< ${goalMs} ms`,
      goalMet: sr.p50 < goalMs,
      detail: {
        runs, warmups, pollMs,
        ready: sr,
        baseline: sb,
        readyToSigtermHandlerMs: summarize(armedGap),
        stopAfterSigterm: ss,
        spawnToExit: st,
        overMinusBaselineMs: sr.p50 - sb.p50
      }
    })
    notes.push(`start-up: ready median ${fmtMs(sr.p50)} [${fmtMs(sr.min)} – ${fmtMs(sr.max)}], node --no-node-snapshot -e '' median ${fmtMs(sb.p50)} [${fmtMs(sb.min)} – ${fmtMs(sb.max)}] (n=${runs} each, ${warmups} warm-ups, interleaved)`)
    const sa = summarize(armedGap)
    notes.push(`start-up: SIGTERM → exit median ${fmtMs(ss.p50)} [${fmtMs(ss.min)} – ${fmtMs(ss.max)}]; spawn → exit ${fmtMs(st.p50)}`)
    notes.push(`start-up: the CLI prints "press Ctrl+C" (and listens for SIGTERM) ${fmtMs(sa.p50)} [${fmtMs(sa.min)} – ${fmtMs(sa.max)}] after the viewer first answered (negative: before the ${pollMs} ms poll saw it)`)
  } finally {
    await rm(tmp, { recursive: true, force: true })
    tmpDirs.delete(tmp)
  }
}

// ---- 2. MQ between two peers -------------------------------------------------------------------

/** The side that receives: a peer with an MQ receiver for TOPIC and a raw echo protocol. */
interface RemotePeer { id: string, addr: string, stop: () => Promise<void> }

function echoHandler (stream: Stream): void {
  void (async () => {
    try {
      for await (const chunk of stream) {
        if (!stream.send(chunk)) await stream.onDrain()
      }
      await stream.close()
    } catch (err) {
      stream.abort(err as Error)
    }
  })()
}

async function startReceiver (): Promise<TestPeer> {
  const receiver = definePlugin({
    name: 'bench-receiver', version: '1.0.0', sdk: '^1.0.0',
    setup (ctx) { ctx.mq.receive(TOPIC, () => {}) }
  })
  const { startTestPeer } = await kit()
  const peer = await startTestPeer({ plugins: [receiver], viewer: false })
  await peer.node.handle(ECHO, (stream) => { echoHandler(stream) }, { maxInboundStreams: 16 })
  return peer
}

/** Run as a child process (`--mq-peer`): start peer B, print its id and address, stop when stdin ends. */
async function mqPeerMain (): Promise<void> {
  await announcePeer(await startReceiver())
}

async function spawnRemote (): Promise<RemotePeer> {
  const remote = await startPeerProcess(context, '--mq-peer', [], 30_000)
  return { id: remote.info.id, addr: remote.info.addr, stop: remote.stop }
}

async function startRemote (): Promise<RemotePeer> {
  if (!MQ_IN_PROCESS) return await spawnRemote()
  const peer = await startReceiver()
  return { id: peer.id, addr: loopbackAddr(peer), stop: async () => { await peer.cleanup() } }
}

/** A raw echo client on one long-lived stream. */
class EchoClient {
  private readonly it: AsyncIterator<{ byteLength: number }>
  private constructor (private readonly stream: Stream) {
    this.it = stream[Symbol.asyncIterator]() as AsyncIterator<{ byteLength: number }>
  }

  static async open (node: Libp2p, peer: string): Promise<EchoClient> {
    const stream = await node.dialProtocol(peerIdFromString(peer), ECHO)
    return new EchoClient(stream)
  }

  /** Send `count` messages back-to-back, then read until all their bytes came back. */
  async roundTrip (message: Uint8Array, count = 1): Promise<void> {
    for (let i = 0; i < count; i++) {
      if (!this.stream.send(message)) await this.stream.onDrain()
    }
    let want = message.byteLength * count
    while (want > 0) {
      const r = await this.it.next()
      if (r.done === true) throw new Error('the echo stream ended')
      want -= r.value.byteLength
    }
  }

  async close (): Promise<void> { await this.stream.close().catch(() => { this.stream.abort(new Error('closed')) }) }
}

/** Time `op` repeatedly for `ms`: per-op latencies (µs) and the number of ops completed. */
async function timed (ms: number, op: () => Promise<void>): Promise<{ latUs: number[], ops: number, elapsedMs: number }> {
  const latUs: number[] = []
  const t0 = performance.now()
  const end = t0 + ms
  let now = t0
  while (now < end) {
    const s = performance.now()
    await op()
    now = performance.now()
    latUs.push((now - s) * 1000)
  }
  return { latUs, ops: latUs.length, elapsedMs: now - t0 }
}

async function benchMq (): Promise<void> {
  const { warmupMs, rounds, roundMs, burst, p50GoalRatio } = PLAN.mq
  const mode = MQ_IN_PROCESS ? 'in-process (both peers in this process)' : 'two processes (peer B in a child process)'
  let probe!: MqApi
  const probePlugin = definePlugin({ name: 'bench-probe', version: '1.0.0', sdk: '^1.0.0', setup (ctx) { probe = ctx.mq } })
  let a: TestPeer | undefined
  let b: RemotePeer | undefined
  let echo: EchoClient | undefined
  try {
    const { startTestPeer } = await kit()
    a = await startTestPeer({ plugins: [probePlugin], viewer: false })
    tmpDirs.add(a.dir)
    b = await startRemote()
    const conn = await a.node.dial(multiaddr(b.addr))
    const bId = b.id
    echo = await EchoClient.open(a.node, bId)
    const message = new Uint8Array(MSG_BYTES).fill(0x61)
    const rawOnce = async (): Promise<void> => { await echo!.roundTrip(message) }
    const mqOnce = async (): Promise<void> => { await probe.send(bId, TOPIC, PAYLOAD) }
    const rawBurst = async (): Promise<void> => { await echo!.roundTrip(message, burst) }
    const mqBurst = async (): Promise<void> => { await Promise.all(Array.from({ length: burst }, () => probe.send(bId, TOPIC, PAYLOAD))) }

    // Warm-up (JIT, the MQ channel's stream, yamux windows).
    await timed(warmupMs, rawOnce)
    await timed(warmupMs, mqOnce)
    await timed(warmupMs / 2, rawBurst)
    await timed(warmupMs / 2, mqBurst)

    // One in flight: rounds of raw then MQ, pooled.
    const rawSeq = { latUs: [] as number[], ops: 0, elapsedMs: 0 }
    const mqSeq = { latUs: [] as number[], ops: 0, elapsedMs: 0 }
    const rawPipe = { latUs: [] as number[], ops: 0, elapsedMs: 0 }
    const mqPipe = { latUs: [] as number[], ops: 0, elapsedMs: 0 }
    const add = (into: typeof rawSeq, r: Awaited<ReturnType<typeof timed>>): void => {
      into.latUs.push(...r.latUs); into.ops += r.ops; into.elapsedMs += r.elapsedMs
    }
    for (let r = 0; r < rounds; r++) {
      add(rawSeq, await timed(roundMs, rawOnce))
      add(mqSeq, await timed(roundMs, mqOnce))
      process.stderr.write('.')
    }
    for (let r = 0; r < rounds; r++) {
      add(rawPipe, await timed(roundMs, rawBurst))
      add(mqPipe, await timed(roundMs, mqBurst))
      process.stderr.write('.')
    }
    process.stderr.write('\n')
    if (conn.status !== 'open' || a.node.getConnections().length !== 1) notes.push('mq: WARNING the connection between the peers changed during the run')

    const rs = summarize(rawSeq.latUs)
    const ms = summarize(mqSeq.latUs)
    const rawRate = rawSeq.ops / (rawSeq.elapsedMs / 1000)
    const mqRate = mqSeq.ops / (mqSeq.elapsedMs / 1000)
    const rawPipeRate = rawPipe.ops * burst / (rawPipe.elapsedMs / 1000)
    const mqPipeRate = mqPipe.ops * burst / (mqPipe.elapsedMs / 1000)
    const base = (what: string, value: number, unit: string): Figure['baseline'] => ({ name: `raw libp2p echo, ${what}`, value, unit })
    const group = `mq (${MQ_IN_PROCESS ? 'in-process' : '2 processes'})`
    figure({
      group, name: 'mq.send round trip p50 (1 in flight)', value: ms.p50, unit: 'µs', better: 'lower',
      baseline: base('100 B, p50', rs.p50, 'µs'), goal: `≤ ${p50GoalRatio}× raw`, goalMet: ms.p50 / rs.p50 <= p50GoalRatio,
      detail: { mq: ms, raw: rs }
    })
    figure({
      group, name: 'mq.send round trip p99 (1 in flight)', value: ms.p99, unit: 'µs', better: 'lower',
      baseline: base('100 B, p99', rs.p99, 'µs')
    })
    figure({
      group, name: 'mq.send, 1 in flight', value: mqRate, unit: 'msg/s', better: 'higher',
      baseline: base('100 B, 1 in flight', rawRate, 'rt/s'), detail: { mqOps: mqSeq.ops, rawOps: rawSeq.ops }
    })
    figure({
      group, name: `mq.send, ${burst} concurrent (pipelined)`, value: mqPipeRate, unit: 'msg/s', better: 'higher',
      baseline: base('100 B, 1 in flight', rawRate, 'rt/s')
    })
    figure({
      group, name: `mq.send, ${burst} concurrent (pipelined)`, value: mqPipeRate, unit: 'msg/s', better: 'higher',
      baseline: base(`${burst} × 100 B back-to-back, one send() each`, rawPipeRate, 'msg/s'),
      detail: { burst, mqBursts: mqPipe.ops, rawBursts: rawPipe.ops, mqBurstMs: summarize(mqPipe.latUs.map(u => u / 1000)), rawBurstMs: summarize(rawPipe.latUs.map(u => u / 1000)) }
    })
    notes.push(`mq: ${mode}; one libp2p connection (tcp+noise+yamux on 127.0.0.1); payload a ${MSG_BYTES}-char string; raw echo ${MSG_BYTES} B`)
    notes.push(`mq: 1 in flight: ${rounds} rounds × (raw ${roundMs} ms, mq ${roundMs} ms) after ${warmupMs} ms warm-up each; raw n=${rawSeq.ops}, mq n=${mqSeq.ops}`)
    notes.push(`mq: pipelined: bursts of ${burst}; mq ${mqPipe.ops} bursts (median ${fmtMs(summarize(mqPipe.latUs).p50 / 1000)} each), raw ${rawPipe.ops} bursts (median ${fmtMs(summarize(rawPipe.latUs).p50 / 1000)} each)`)
  } finally {
    await echo?.close().catch(() => {})
    await a?.cleanup().catch((err: unknown) => { process.stderr.write(`stopping peer A: ${String(err)}\n`) })
    if (a != null) tmpDirs.delete(a.dir)
    await b?.stop().catch((err: unknown) => { process.stderr.write(`stopping peer B: ${String(err)}\n`) })
  }
}

// ---- output ------------------------------------------------------------------------------------

function fmt (value: number, unit: string): string {
  if (unit === 'ms') return fmtMs(value)
  if (unit === 'µs') return value >= 10_000 ? `${(value / 1000).toFixed(1)} ms` : `${value.toFixed(0)} µs`
  return `${Math.round(value).toLocaleString('en-US')} ${unit}`
}

function verdict (f: Figure): string {
  // "how many times worse than the baseline", whatever the direction of the unit
  const worse = f.better === 'lower' ? f.ratio : 1 / f.ratio
  return worse >= 1 ? `${worse.toFixed(2)}× slower` : `${(1 / worse).toFixed(2)}× faster`
}

function printTable (): void {
  const rows = [['Figure', 'Measured', 'Baseline (same run)', 'Ratio', '', 'Goal']]
  for (const f of figures) {
    rows.push([
      `${f.group}: ${f.name}`,
      fmt(f.value, f.unit),
      `${fmt(f.baseline.value, f.baseline.unit)}  (${f.baseline.name})`,
      `${f.ratio.toFixed(2)}×`,
      verdict(f),
      f.goal == null ? '' : `${f.goal} ${f.goalMet === true ? 'met' : 'NOT met'}`
    ])
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map(r => r[c].length)))
  const line = (r: string[]): string => '| ' + r.map((cell, c) => cell.padEnd(widths[c])).join(' | ') + ' |'
  const out = [line(rows[0]), '|' + widths.map(w => '-'.repeat(w + 2)).join('|') + '|', ...rows.slice(1).map(line)]
  process.stdout.write('\n' + out.join('\n') + '\n\n')
  for (const t of tables) process.stdout.write(`${t.title}\n\n${formatRows(t.rows)}\n\n`)
  for (const n of notes) process.stdout.write(`  ${n}\n`)
  process.stdout.write('\n')
}

function formatRows (rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map(r => (r[c] ?? '').length)))
  const line = (r: string[]): string => '| ' + r.map((cell, c) => (cell ?? '').padEnd(widths[c])).join(' | ') + ' |'
  return [line(rows[0]), '|' + widths.map(w => '-'.repeat(w + 2)).join('|') + '|', ...rows.slice(1).map(line)].join('\n')
}

const context: BenchContext = {
  quick: QUICK,
  root: ROOT,
  args,
  figure,
  note: (text) => { notes.push(text) },
  table: (t) => { tables.push(t) },
  track,
  tmpDirs,
  kit
}

function versionOf (pkg: string): string | undefined {
  try { return JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version } catch { return undefined }
}

function machine (): Record<string, unknown> {
  const git = (a: string[]): string | undefined => {
    const r = spawnSync('git', a, { cwd: ROOT, encoding: 'utf8' })
    return r.status === 0 ? r.stdout.trim() : undefined
  }
  return {
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memGB: +(totalmem() / 1e9).toFixed(1),
    freeMemGB: +(freemem() / 1e9).toFixed(1),
    loadavg: loadavg().map(l => +l.toFixed(2)),
    platform: `${platform()} ${release()}`,
    node: process.version,
    libp2p: versionOf('libp2p'),
    yamux: versionOf('@libp2p/yamux'),
    noise: versionOf('@libp2p/noise'),
    tcp: versionOf('@libp2p/tcp'),
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: (git(['status', '--porcelain']) ?? '') !== ''
  }
}

async function main (): Promise<void> {
  const started = performance.now()
  const info = machine()
  process.stderr.write(`goop bench on ${String(info.cpu)} ×${String(info.cores)}, node ${process.version}${QUICK ? ' (quick)' : ''}\n`)
  if (selected('startup')) {
    process.stderr.write('start-up ')
    await benchStartup()
  }
  if (selected('mq')) {
    process.stderr.write(`mq (${MQ_IN_PROCESS ? 'in-process' : '2 processes'}) `)
    await benchMq()
  }
  if (selected('site')) {
    process.stderr.write('site ')
    await benchSite(context)
  }
  if (selected('data')) {
    process.stderr.write('data ')
    await benchData(context)
  }
  if (selected('logic')) {
    process.stderr.write('logic ')
    await benchLogic(context)
  }
  if (selected('create')) {
    process.stderr.write('create ')
    await benchCreate(context)
  }
  if (selected('convergence')) {
    process.stderr.write('convergence ')
    await benchConvergence(context)
  }
  if (selected('rendezvous')) {
    process.stderr.write('rendezvous load\n')
    await benchRendezvousLoad(context)
  }
  printTable()
  const durationS = (performance.now() - started) / 1000
  const results = {
    date: new Date().toISOString(),
    machine: info,
    plan: { ...PLAN, quick: QUICK, only: ONLY ?? BENCHES, mqMode: MQ_IN_PROCESS ? 'in-process' : 'two-processes' },
    durationS: +durationS.toFixed(1),
    loadavgAtEnd: loadavg().map(l => +l.toFixed(2)),
    ratio: 'value / baseline.value (for times >1 is slower; for rates <1 is slower)',
    figures,
    tables,
    notes
  }
  const round = (_key: string, v: unknown): unknown => typeof v === 'number' && !Number.isInteger(v) ? +v.toPrecision(5) : v
  await writeFile(join(HERE, 'results.json'), JSON.stringify(results, round, 2) + '\n')
  process.stderr.write(`wrote bench/results.json in ${durationS.toFixed(1)} s\n`)
}

if (args.includes('--mq-peer')) {
  mqPeerMain().catch((err: unknown) => { process.stderr.write(`mq peer: ${(err as Error)?.stack ?? String(err)}\n`); process.exit(1) })
} else if (args.includes('--logic-peer')) {
  logicPeerMain().catch((err: unknown) => { process.stderr.write(`logic peer: ${(err as Error)?.stack ?? String(err)}\n`); process.exit(1) })
} else if (args.includes('--data-peer')) {
  dataPeerMain(Number(args[args.indexOf('--data-peer') + 1])).catch((err: unknown) => { process.stderr.write(`data peer: ${(err as Error)?.stack ?? String(err)}\n`); process.exit(1) })
} else if (args.includes('--site-peer')) {
  sitePeerMain(args[args.indexOf('--site-peer') + 1]).catch((err: unknown) => { process.stderr.write(`site peer: ${(err as Error)?.stack ?? String(err)}\n`); process.exit(1) })
} else {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => { process.stderr.write(`\nbench: ${signal}, stopping\n`); killChildren(); process.exit(130) })
  }
  main().then(() => {
    // Everything was stopped; if something still holds the loop, say what, and leave anyway.
    setTimeout(() => {
      process.stderr.write(`bench: still holding the event loop: ${process.getActiveResourcesInfo().join(', ')}\n`)
      process.exit(0)
    }, 5000).unref()
  }, (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error)?.stack ?? String(err)}\n`)
    killChildren()
    process.exit(1)
  })
}
