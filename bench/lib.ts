// Shared by bench/run.ts and the benchmarks it runs from other files: statistics, figures, child
// processes (a peer in one), /proc readings, and a `goop rendezvous` server process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as delay } from 'node:timers/promises'
import type { TestPeer } from '@goop/core/testing'

// ---- small statistics --------------------------------------------------------------------------

export function quantile (sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[i]
}

export interface Summary { n: number, min: number, p50: number, p99: number, max: number, mean: number }

export function summarize (values: number[]): Summary {
  const s = values.toSorted((a, b) => a - b)
  return {
    n: s.length,
    min: s[0],
    p50: quantile(s, 0.5),
    p99: quantile(s, 0.99),
    max: s[s.length - 1],
    mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)
  }
}

// ---- figures -----------------------------------------------------------------------------------

export interface Figure {
  group: string
  name: string
  value: number
  unit: string
  /** 'lower' for times, 'higher' for rates. */
  better: 'lower' | 'higher'
  baseline: { name: string, value: number, unit: string }
  /** value / baseline.value */
  ratio: number
  goal?: string
  goalMet?: boolean
  detail?: Record<string, unknown>
}

/** A table of its own, printed after the figures (e.g. one row per load step). */
export interface Table { title: string, rows: string[][] }

/** What run.ts hands to a benchmark that lives in another file. */
export interface BenchContext {
  quick: boolean
  root: string
  args: string[]
  figure: (f: Omit<Figure, 'ratio'>) => void
  note: (text: string) => void
  table: (t: Table) => void
  /** Keep a child process in the set that is killed if the bench is interrupted or fails. */
  track: (child: ChildProcess) => ChildProcess
  /** Temporary folders removed if the bench is interrupted. */
  tmpDirs: Set<string>
  /** The compiled test kit (core/dist/testing). */
  kit: () => Promise<typeof import('@goop/core/testing')>
}

export function arg (args: string[], name: string): string | undefined {
  return args.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3)
}

// ---- time and processes ------------------------------------------------------------------------

export const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
/** A guard for Promise.race that does not keep the process alive after the race is over. */
export const guard = (ms: number): Promise<void> => delay(ms, undefined, { ref: false })

export async function exited (child: ChildProcess): Promise<number | null> {
  if (child.exitCode != null || child.signalCode != null) return child.exitCode
  const [code] = await once(child, 'exit') as [number | null]
  return code
}

/** SIGTERM, then SIGKILL after `ms`; resolves when the process is gone. */
export async function stopProcess (child: ChildProcess, ms = 5000): Promise<void> {
  if (child.exitCode != null || child.signalCode != null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => { child.kill('SIGKILL') }, ms)
  await exited(child)
  clearTimeout(timer)
}

export function fmtMs (ms: number): string { return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms` }

export const int = (n: number): string => Math.round(n).toLocaleString('en-US')

// ---- /proc -------------------------------------------------------------------------------------

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })
  const n = Number(r.stdout?.trim())
  return Number.isFinite(n) && n > 0 ? n : 100
})()

/**
 * CPU time (user + system, ms) and memory (RSS and its peak, bytes) of a process, from /proc: the
 * same kernel accounting that process.cpuUsage() reads inside that process (getrusage), read from
 * outside so that the measured process needs no changes. Resolution: 1/CLK_TCK s (10 ms).
 */
export function procStats (pid: number): { cpuMs: number, rss: number, hwm: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the command name (field 2) may contain spaces: count fields after its closing parenthesis
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const cpuMs = (Number(f[11]) + Number(f[12])) * 1000 / CLK_TCK // utime, stime (fields 14, 15)
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN) * 1024
    return { cpuMs, rss: kb('VmRSS'), hwm: kb('VmHWM') }
  } catch {
    return undefined
  }
}

/**
 * CPU time of the whole machine (all cores), ms, from /proc/stat: busy (everything but idle and
 * iowait), of which irq + softirq (where loopback TCP delivery often runs, counted in no process)
 * and steal (time the hypervisor gave to someone else).
 */
export function machineCpu (): { busyMs: number, irqMs: number, stealMs: number, totalMs: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const ms = (ticks: number): number => ticks * 1000 / CLK_TCK
  const total = line.slice(0, 8).reduce((a, b) => a + b, 0)
  const idle = line[3] + line[4]
  return { busyMs: ms(total - idle), irqMs: ms(line[5] + line[6]), stealMs: ms(line[7]), totalMs: ms(total) }
}

// ---- a peer in a child process -----------------------------------------------------------------

/** What a peer process says first (`announcePeer`): its peer ID, loopback address, folder and pid, and what its bench adds. */
export interface PeerProcessInfo { id: string, addr: string, dir: string, pid: number }

export interface PeerProcess<I extends PeerProcessInfo> {
  child: ChildProcess
  info: I
  /** End its stdin (it stops its peer and exits), SIGKILL it if it has not after 5 s, remove its folder. */
  stop: () => Promise<void>
}

/**
 * `bench/run.ts <flag> <args…>` in a child process (its own event loop and RSS), which starts a peer
 * and answers with `announcePeer`: resolves with that first line of its stdout once it is there,
 * within `startMs`. The child is tracked (killed if the bench is interrupted) and its folder is in
 * `ctx.tmpDirs` until `stop()`; one that exits or does not answer in time is killed, and this throws.
 */
export async function startPeerProcess<I extends PeerProcessInfo> (ctx: BenchContext, flag: string, args: string[], startMs: number): Promise<PeerProcess<I>> {
  const what = `the ${flag.replace(/^--/, '').replaceAll('-', ' ')} process`
  const child = ctx.track(spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', '--conditions=development', join(ctx.root, 'bench', 'run.ts'), flag, ...args], {
    cwd: ctx.root, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, GOOP_LOG: process.env.GOOP_LOG ?? 'error' }
  }))
  const lines = createInterface({ input: child.stdout! })
  let first: string
  try {
    first = await Promise.race([
      once(lines, 'line').then(([l]) => l as string),
      exited(child).then((code) => { throw new Error(`${what} exited with ${code}`) }),
      guard(startMs).then(() => { throw new Error(`${what} did not start within ${startMs / 1000} s`) })
    ])
  } catch (err) {
    child.kill('SIGKILL')
    await exited(child)
    lines.close()
    throw err
  }
  const info = JSON.parse(first) as I
  ctx.tmpDirs.add(info.dir)
  let stopped: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    child.stdin!.end()
    const timer = setTimeout(() => { child.kill('SIGKILL') }, 5000)
    await exited(child)
    clearTimeout(timer)
    lines.close()
    await rm(info.dir, { recursive: true, force: true })
    ctx.tmpDirs.delete(info.dir)
  }
  return { child, info, stop: async () => { stopped ??= stop(); await stopped } }
}

/** The peer's address on 127.0.0.1 (the one a peer in another process on this machine dials), else its first. */
export function loopbackAddr (peer: TestPeer): string {
  const addrs = peer.node.getMultiaddrs()
  return (addrs.find(a => a.toString().includes('/127.0.0.1/')) ?? addrs[0]).toString()
}

/**
 * The child's side of `startPeerProcess`: print the peer's id, loopback address, folder and pid (and
 * `extra`) as one JSON line, run until stdin ends, then stop the peer and exit.
 */
export async function announcePeer (peer: TestPeer, extra: Record<string, unknown> = {}): Promise<never> {
  const info: PeerProcessInfo = { id: peer.id, addr: loopbackAddr(peer), dir: peer.dir, pid: process.pid }
  process.stdout.write(JSON.stringify({ ...info, ...extra }) + '\n')
  process.stdin.resume()
  await once(process.stdin, 'end')
  await peer.cleanup()
  process.exit(0)
}

// ---- a rendezvous server process ---------------------------------------------------------------

export interface RendezvousProcess {
  child: ChildProcess
  pid: number
  /** http://127.0.0.1:PORT */
  url: string
  port: number
  dir: string
  stderr: () => string
  healthz: () => Promise<any>
  stop: () => Promise<void>
}

/**
 * `goop init DIR`, then `plugins.rendezvous.config` (and a free viewer port) in its goop.json, then
 * `node core/bin/goop.js rendezvous DIR --http-port 0 --port 0` (the compiled CLI: run `npm run build`
 * first). Waits until the plugin wrote state/rendezvous/listen.json.
 */
export async function startRendezvous (ctx: BenchContext, dir: string, config: Record<string, unknown>, nodeArgs: string[] = []): Promise<RendezvousProcess> {
  const cli = join(ctx.root, 'core', 'bin', 'goop.js')
  const init = spawnSync(process.execPath, ['--no-node-snapshot', cli, 'init', dir, '--name', 'bench-rendezvous'], { encoding: 'utf8' })
  if (init.status !== 0) throw new Error(`goop init failed: ${init.stderr}`)
  const file = join(dir, 'goop.json')
  const json = JSON.parse(await readFile(file, 'utf8'))
  json.viewer = { port: 0 }
  json.log = { level: 'warn' }
  json.plugins = { ...json.plugins, rendezvous: { config } }
  await writeFile(file, JSON.stringify(json, null, 2) + '\n')
  let stderr = ''
  const child = ctx.track(spawn(process.execPath, ['--no-node-snapshot', ...nodeArgs, cli, 'rendezvous', dir, '--http-port', '0', '--port', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, GOOP_LOG: process.env.GOOP_LOG ?? 'warn' }
  }))
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr = (stderr + s).slice(-20_000) })
  const listenFile = join(dir, 'state', 'rendezvous', 'listen.json')
  const deadline = Date.now() + 30_000
  let url: string | undefined
  while (url == null) {
    if (child.exitCode != null || child.signalCode != null) throw new Error(`goop rendezvous exited (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`)
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`goop rendezvous did not listen within 30 s: ${stderr.trim()}`) }
    try { url = JSON.parse(await readFile(listenFile, 'utf8')).httpUrl } catch { await sleep(20) }
  }
  const port = Number(new URL(url).port)
  return {
    child,
    pid: child.pid!,
    url,
    port,
    dir,
    stderr: () => stderr,
    healthz: async () => await (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) })).json(),
    stop: async () => { await stopProcess(child, 10_000) }
  }
}
