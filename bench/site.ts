// Browsing another peer's site through the viewer: a 10 KB page at 32 concurrent (beside a plain Hono
// static server on loopback), and a 200 MB file (beside a raw libp2p stream between the same two nodes
// and plain node:http), with the peak RSS during the big transfer. See bench/README.md, section 5.
import { createReadStream } from 'node:fs'
import { link, mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { multiaddr } from '@multiformats/multiaddr'
import { Agent, createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import { Hono } from 'hono'
import { serve, type ServerType } from '@hono/node-server'
import { serveStatic } from '@hono/node-server/serve-static'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Stream } from '@libp2p/interface'
import type { TestPeer } from '@goop/core/testing'
import { announcePeer, fmtMs, procStats, sleep, startPeerProcess, summarize, type BenchContext, type PeerProcess, type PeerProcessInfo } from './lib.js'

const RAW_FILE = '/bench/file/1.0.0'
const PAGE_BYTES = 10 * 1024
const BIG_BYTES = 200 * 1024 * 1024
const CONCURRENCY = 32

interface Target { port: number, host: string, path: string }

/** GET, read the whole body; resolves to the byte count. `onChunk` sees every chunk. */
function get (agent: Agent | false, t: Target): Promise<{ status: number, bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: t.port, path: t.path, agent, headers: { host: t.host } }, (res) => {
      let bytes = 0
      res.on('data', (c: Buffer) => { bytes += c.length })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, bytes }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** `CONCURRENCY` loops of keep-alive GETs for `ms`: latencies (ms) and requests/s. */
async function load (t: Target, ms: number, expectBytes: number): Promise<{ latMs: number[], rps: number, errors: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  const latMs: number[] = []
  let errors = 0
  const t0 = performance.now()
  const end = t0 + ms
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const s = performance.now()
      try {
        const r = await get(agent, t)
        if (r.status !== 200 || r.bytes !== expectBytes) errors++
        else latMs.push(performance.now() - s)
      } catch { errors++ }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const elapsed = performance.now() - t0
  agent.destroy()
  return { latMs, rps: latMs.length / (elapsed / 1000), errors }
}


/** `gc()`, exposed at run time (the bench is not started with --expose-gc). */
function gc (): void {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
}

interface Transfer { mbps: number, ms: number, bytes: number, aRssBefore: number, aRssPeak: number, bRssBefore: number, bRssPeak: number, aCpuMs: number, bCpuMs: number }

/** Run a 200 MB transfer; sample the RSS of this process (A) and of B's process every 20 ms. */
async function transfer (bPid: number, fn: () => Promise<number>): Promise<Transfer> {
  const bRss = (): number => procStats(bPid)?.rss ?? NaN
  const aRssBefore = process.memoryUsage.rss()
  const bRssBefore = bRss()
  let aRssPeak = aRssBefore
  let bRssPeak = bRssBefore
  const sample = (): void => { aRssPeak = Math.max(aRssPeak, process.memoryUsage.rss()); bRssPeak = Math.max(bRssPeak, bRss()) }
  const timer = setInterval(sample, 20)
  const cpu0 = process.cpuUsage()
  const bCpu0 = procStats(bPid)?.cpuMs ?? NaN
  const t0 = performance.now()
  let bytes: number
  try { bytes = await fn() } finally { clearInterval(timer) }
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const aCpuMs = (cpu.user + cpu.system) / 1000
  const bCpuMs = (procStats(bPid)?.cpuMs ?? NaN) - bCpu0
  sample()
  if (bytes !== BIG_BYTES) throw new Error(`a 200 MB transfer carried ${bytes} bytes`)
  return { mbps: bytes / 1e6 / (ms / 1000), ms, bytes, aRssBefore, aRssPeak, bRssBefore, bRssPeak, aCpuMs, bCpuMs }
}

function rawFileHandler (file: string) {
  return (stream: Stream): void => {
    void (async () => {
      try {
        for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
          if (!stream.send(chunk as Buffer)) await stream.onDrain()
        }
        await stream.close()
      } catch (err) {
        stream.abort(err as Error)
      }
    })()
  }
}

const listen = async (server: Server): Promise<number> => await new Promise((resolve) => {
  server.listen(0, '127.0.0.1', () => { resolve((server.address() as AddressInfo).port) })
})

const page = (): string => '<!doctype html>' + 'x'.repeat(PAGE_BYTES - 15)

/**
 * Run as a child process (`bench/run.ts --site-peer FILE`): peer B, no viewer, with page.html and FILE
 * (hard-linked as big.bin) in its site folder, and a raw protocol that streams FILE. Prints its id,
 * address, pid and folder; stops when stdin ends.
 */
export async function sitePeerMain (file: string): Promise<void> {
  const { startTestPeer } = await import(pathToFileURL(join(process.cwd(), 'core', 'dist', 'testing', 'index.js')).href) as typeof import('@goop/core/testing')
  const peer = await startTestPeer({ viewer: false })
  const site = join(peer.dir, 'site')
  await mkdir(site, { recursive: true })
  await writeFile(join(site, 'page.html'), page())
  await link(file, join(site, 'big.bin'))
  await peer.node.handle(RAW_FILE, rawFileHandler(file), { runOnLimitedConnection: true })
  await announcePeer(peer)
}

export async function benchSite (ctx: BenchContext): Promise<void> {
  const warmMs = ctx.quick ? 500 : 1000
  const runMs = ctx.quick ? 2000 : 5000
  const bigRuns = ctx.quick ? 1 : 3
  const tmp = await mkdtemp(join(tmpdir(), 'goop-bench-site-'))
  ctx.tmpDirs.add(tmp)
  let a: TestPeer | undefined
  let bProcess: PeerProcess<PeerProcessInfo> | undefined
  let hono: ServerType | undefined
  let plain: Server | undefined
  try {
    // The files: one 10 KB page and one 200 MB file, served by B as its site and by the plain servers.
    const root = join(tmp, 'files')
    await mkdir(root, { recursive: true })
    await writeFile(join(root, 'page.html'), page())
    const big = join(root, 'big.bin')
    const fh = await open(big, 'w')
    const block = randomBytes(4 * 1024 * 1024)
    for (let off = 0; off < BIG_BYTES; off += block.length) await fh.write(block, 0, Math.min(block.length, BIG_BYTES - off))
    await fh.close()

    // Peer B in a child process (its own event loop and RSS), peer A here.
    bProcess = await startPeerProcess(ctx, '--site-peer', [big], 30_000)
    const bInfo = bProcess.info

    const { startTestPeer } = await ctx.kit()
    const { siteLabel } = await import(pathToFileURL(join(ctx.root, 'core', 'dist', 'index.js')).href) as typeof import('@goop/core')
    a = await startTestPeer()
    ctx.tmpDirs.add(a.dir)
    await a.node.dial(multiaddr(bInfo.addr))
    const viewerPort = a.viewer!.port
    const siteHost = `${siteLabel(bInfo.id)}.localhost:${viewerPort}`

    const app = new Hono()
    app.use('/*', serveStatic({ root }))
    const honoPort = await new Promise<number>((resolve) => {
      hono = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, info => { resolve(info.port) })
    })
    plain = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG_BYTES })
      createReadStream(big).pipe(res)
    })
    const plainPort = await listen(plain)

    // ---- 10 KB page, 32 concurrent ----
    const viaViewer: Target = { port: viewerPort, host: siteHost, path: '/page.html' }
    const viaHono: Target = { port: honoPort, host: `127.0.0.1:${honoPort}`, path: '/page.html' }
    const check = await get(false, viaViewer)
    if (check.status !== 200 || check.bytes !== PAGE_BYTES) throw new Error(`the viewer answered ${check.status} with ${check.bytes} bytes for the page`)
    await load(viaHono, warmMs, PAGE_BYTES)
    await load(viaViewer, warmMs, PAGE_BYTES)
    const h = await load(viaHono, runMs, PAGE_BYTES)
    process.stderr.write('.')
    const v = await load(viaViewer, runMs, PAGE_BYTES)
    process.stderr.write('.')
    const hs = summarize(h.latMs)
    const vs = summarize(v.latMs)
    const group = 'site (2 processes)'
    const honoBase = (what: string, value: number, unit: string): { name: string, value: number, unit: string } =>
      ({ name: `plain Hono serveStatic, ${what}`, value, unit })
    ctx.figure({
      group, name: `10 KB page via A's viewer from B, ${CONCURRENCY} concurrent`, value: v.rps, unit: 'req/s', better: 'higher',
      baseline: honoBase(`${CONCURRENCY} concurrent`, h.rps, 'req/s'), goal: '≥ 0.5× plain', goalMet: v.rps / h.rps >= 0.5,
      detail: { viewer: { ...vs, errors: v.errors }, hono: { ...hs, errors: h.errors }, runMs, warmMs, concurrency: CONCURRENCY }
    })
    ctx.figure({ group, name: '10 KB page via viewer, p50', value: vs.p50, unit: 'ms', better: 'lower', baseline: honoBase('p50', hs.p50, 'ms') })
    ctx.figure({ group, name: '10 KB page via viewer, p99', value: vs.p99, unit: 'ms', better: 'lower', baseline: honoBase('p99', hs.p99, 'ms') })
    if (v.errors + h.errors > 0) ctx.note(`site: WARNING failed requests: viewer ${v.errors}, hono ${h.errors}`)

    // ---- 200 MB ----
    const viewerBig = async (): Promise<number> => (await get(false, { port: viewerPort, host: siteHost, path: '/big.bin' })).bytes
    const plainBig = async (): Promise<number> => (await get(false, { port: plainPort, host: `127.0.0.1:${plainPort}`, path: '/' })).bytes
    const rawBig = async (): Promise<number> => {
      const stream = await a!.node.dialProtocol(peerIdFromString(bInfo.id), RAW_FILE, { runOnLimitedConnection: true })
      let bytes = 0
      for await (const chunk of stream) bytes += chunk.byteLength
      await stream.close().catch(() => {})
      return bytes
    }
    const settle = async (): Promise<void> => { gc(); await sleep(300) }
    // Memory first: the first 200 MB transfer of each process is the viewer's, from the idle state
    // (later transfers reuse heap that the earlier ones grew, so their growth is understated).
    await settle()
    const cold = await transfer(bInfo.pid, viewerBig)
    // Warm-up of the others (also pulls the file into the page cache for everyone).
    await rawBig(); await plainBig(); await rawBig(); await viewerBig()
    const runs = { viewer: [] as Transfer[], raw: [] as Transfer[], plain: [] as Transfer[] }
    for (let r = 0; r < bigRuns; r++) {
      await settle(); runs.raw.push(await transfer(bInfo.pid, rawBig))
      await settle(); runs.viewer.push(await transfer(bInfo.pid, viewerBig))
      await settle(); runs.plain.push(await transfer(bInfo.pid, plainBig))
      process.stderr.write('.')
    }
    process.stderr.write('\n')
    const med = (xs: Transfer[], f: (x: Transfer) => number): number => summarize(xs.map(f)).p50
    const vMb = med(runs.viewer, x => x.mbps)
    const rMb = med(runs.raw, x => x.mbps)
    const pMb = med(runs.plain, x => x.mbps)
    const MiB = 2 ** 20
    ctx.figure({
      group, name: '200 MB via viewer (median)', value: vMb, unit: 'MB/s', better: 'higher',
      baseline: { name: 'raw libp2p stream, same two nodes (median)', value: rMb, unit: 'MB/s' },
      goal: '≥ 0.8× raw libp2p', goalMet: vMb / rMb >= 0.8,
      detail: { cold, viewer: runs.viewer, raw: runs.raw, plain: runs.plain }
    })
    ctx.figure({
      group, name: '200 MB via viewer (median)', value: vMb, unit: 'MB/s', better: 'higher',
      baseline: { name: 'plain node:http createReadStream (median)', value: pMb, unit: 'MB/s' }
    })
    const aGrow = (cold.aRssPeak - cold.aRssBefore) / MiB
    const bGrow = (cold.bRssPeak - cold.bRssBefore) / MiB
    ctx.figure({
      group, name: '200 MB via viewer: peak RSS growth, A (visitor + client)', value: aGrow, unit: 'MiB', better: 'lower',
      baseline: { name: 'the file', value: BIG_BYTES / MiB, unit: 'MiB' },
      detail: { aRssBefore: cold.aRssBefore / MiB, aRssPeak: cold.aRssPeak / MiB }
    })
    ctx.figure({
      group, name: '200 MB via viewer: peak RSS growth, B (site)', value: bGrow, unit: 'MiB', better: 'lower',
      baseline: { name: 'the file', value: BIG_BYTES / MiB, unit: 'MiB' },
      detail: { bRssBefore: cold.bRssBefore / MiB, bRssPeak: cold.bRssPeak / MiB }
    })
    const mb = (xs: Transfer[]): string => xs.map(x => x.mbps.toFixed(0)).join('/')
    const peaks = (xs: Transfer[]): string => xs.map(x => `A ${(x.aRssPeak / MiB).toFixed(0)} B ${(x.bRssPeak / MiB).toFixed(0)}`).join(', ')
    ctx.note('site: peer A (visitor, viewer on) in the bench process with the HTTP client and the plain servers; peer B (site, no viewer) in a child process (`bench/run.ts --site-peer`); compiled kernel; one tcp+noise+yamux connection on 127.0.0.1')
    ctx.note(`site: 10 KB: ${CONCURRENCY} keep-alive loops (node:http Agent), ${fmtMs(warmMs)} warm-up each, then ${fmtMs(runMs)} Hono, then ${fmtMs(runMs)} viewer; viewer n=${vs.n} p50 ${fmtMs(vs.p50)} p99 ${fmtMs(vs.p99)}; Hono n=${hs.n} p50 ${fmtMs(hs.p50)} p99 ${fmtMs(hs.p99)}`)
    ctx.note(`site: 200 MB: first a cold viewer transfer (${cold.mbps.toFixed(0)} MB/s; the memory figures), warm-up: raw, plain, raw, viewer; then ${bigRuns} × (raw, viewer, plain http): viewer ${mb(runs.viewer)} MB/s, raw libp2p ${mb(runs.raw)}, plain http ${mb(runs.plain)}`)
    const cpu = (xs: Transfer[]): string => `A ${fmtMs(med(xs, x => x.aCpuMs))} (${(med(xs, x => x.aCpuMs / x.ms) * 100).toFixed(0)}% of a core), B ${fmtMs(med(xs, x => x.bCpuMs))} (${(med(xs, x => x.bCpuMs / x.ms) * 100).toFixed(0)}%)`
    ctx.note(`site: CPU per 200 MB (median; A's includes the HTTP client): viewer ${cpu(runs.viewer)}; raw libp2p ${cpu(runs.raw)}; plain http ${cpu(runs.plain)} (B idle)`)
    ctx.note(`site: RSS sampled every 20 ms (A: process.memoryUsage.rss(), B: /proc/PID/status), after gc() in A; cold viewer transfer: A ${(cold.aRssBefore / MiB).toFixed(0)} → ${(cold.aRssPeak / MiB).toFixed(0)} MiB, B ${(cold.bRssBefore / MiB).toFixed(0)} → ${(cold.bRssPeak / MiB).toFixed(0)} MiB; peaks (MiB) during the measured runs: viewer ${peaks(runs.viewer)}; raw ${peaks(runs.raw)}; plain ${peaks(runs.plain)}`)
  } finally {
    hono?.close()
    plain?.closeAllConnections()
    plain?.close()
    await a?.cleanup().catch((err: unknown) => { process.stderr.write(`stopping peer A: ${String(err)}\n`) })
    if (a != null) ctx.tmpDirs.delete(a.dir)
    await bProcess?.stop()
    await rm(tmp, { recursive: true, force: true })
    ctx.tmpDirs.delete(tmp)
  }
}
