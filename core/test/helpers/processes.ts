import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { CLI, goop } from './cli.js'

/** Real `goop` processes for end-to-end tests: peers and rendezvous servers, each its own process. */

/** A TCP port that is free on 127.0.0.1 right now (for servers that must come back on the same port). */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve) })
  const port = (server.address() as { port: number }).port
  await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  return port
}

export const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** A long-running `goop` command with its output kept (shown when a test fails). */
export class GoopProcess {
  stdout = ''
  stderr = ''
  readonly child: ChildProcessWithoutNullStreams
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>

  constructor (readonly args: string[], cwd: string) {
    this.child = spawn(process.execPath, ['--no-node-snapshot', CLI, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    this.child.stdout.on('data', (d: Buffer) => { this.stdout += d.toString() })
    this.child.stderr.on('data', (d: Buffer) => { this.stderr += d.toString() })
    this.exited = new Promise(resolve => { this.child.on('exit', (code, signal) => { resolve({ code, signal }) }) })
  }

  get running (): boolean { return this.child.exitCode == null && this.child.signalCode == null }

  /** Wait for stdout to match. */
  async waitFor (re: RegExp, ms = 20_000): Promise<RegExpExecArray> {
    const end = Date.now() + ms
    for (;;) {
      const m = re.exec(this.stdout)
      if (m != null) return m
      if (!this.running) throw new Error(`goop ${this.args.join(' ')} exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${re}:\n${this.output()}`)
      if (Date.now() > end) throw new Error(`goop ${this.args.join(' ')} did not print ${re} within ${ms} ms:\n${this.output()}`)
      await sleep(25)
    }
  }

  output (): string { return `--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}` }

  /** SIGTERM (a clean stop), then SIGKILL if it has not exited after `ms`. */
  async stop (ms = 10_000): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill('SIGTERM')
    let timer: NodeJS.Timeout | undefined
    const r = await Promise.race([this.exited, new Promise<'hung'>(resolve => { timer = setTimeout(() => { resolve('hung') }, ms) })])
    clearTimeout(timer)
    if (r !== 'hung') return r
    this.kill()
    throw new Error(`goop ${this.args.join(' ')} did not stop within ${ms} ms of SIGTERM:\n${this.output()}`)
  }

  kill (): void {
    if (this.running) this.child.kill('SIGKILL')
  }
}

/** `goop init DIR --name NAME`, then merge `config` into its goop.json. */
export async function initPeerDir (dir: string, name: string, cwd: string, config: Record<string, unknown> = {}): Promise<void> {
  const r = await goop(['init', dir, '--name', name], cwd)
  if (r.code !== 0) throw new Error(`goop init ${dir} failed (${r.code}):\n${r.stdout}\n${r.stderr}`)
  const file = join(dir, 'goop.json')
  const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
  await writeFile(file, JSON.stringify({ ...json, ...config }, null, 2) + '\n')
}

/** A peer run by `goop start` in its own process. */
export class PeerProcess {
  private constructor (readonly dir: string, readonly proc: GoopProcess, readonly peerId: string, readonly port: number, readonly token: string) {}

  /** `goop start DIR --viewer-port 0 --port 0 --no-mdns [...extra]`; resolves once it runs and has written state/viewer.json. */
  static async start (dir: string, cwd: string, extra: string[] = []): Promise<PeerProcess> {
    const proc = new GoopProcess(['start', dir, '--viewer-port', '0', '--port', '0', '--no-mdns', ...extra], cwd)
    try {
      const m = await proc.waitFor(/peer id\s+(12D3KooW\w+)/)
      await proc.waitFor(/press Ctrl\+C to stop/)
      const state = JSON.parse(await readFile(join(dir, 'state', 'viewer.json'), 'utf8')) as { port: number, token: string }
      return new PeerProcess(dir, proc, m[1], state.port, state.token)
    } catch (err) {
      proc.kill()
      throw err
    }
  }

  async api<T = unknown> (path: string): Promise<T> {
    const res = await fetch(`http://127.0.0.1:${this.port}/api${path}`, { headers: { authorization: `Bearer ${this.token}` } })
    const text = await res.text()
    if (res.status !== 200) throw new Error(`GET /api${path} on ${this.dir}: ${res.status} ${text}`)
    return JSON.parse(text) as T
  }
}

export interface RendezvousListen { httpUrl: string, relay: string[], relayPeerId: string | null }

/** `goop rendezvous DIR --http-port H --port R` in its own process (a rendezvous server and its circuit relay). */
export class RendezvousProcess {
  private constructor (readonly dir: string, readonly proc: GoopProcess, readonly listen: RendezvousListen) {}

  get url (): string { return this.listen.httpUrl }

  /** Start it and wait until it has written state/rendezvous/listen.json (a stale one is removed first). */
  static async start (dir: string, cwd: string, httpPort: number, relayPort: number): Promise<RendezvousProcess> {
    const file = join(dir, 'state', 'rendezvous', 'listen.json')
    await rm(file, { force: true })
    const proc = new GoopProcess(['rendezvous', dir, '--http-port', String(httpPort), '--port', String(relayPort)], cwd)
    try {
      await proc.waitFor(/press Ctrl\+C to stop/)
      const listen = JSON.parse(await readFile(file, 'utf8')) as RendezvousListen
      return new RendezvousProcess(dir, proc, listen)
    } catch (err) {
      proc.kill()
      throw err
    }
  }

  async get<T = unknown> (path: string): Promise<T> {
    const res = await fetch(`${this.url}${path}`)
    if (res.status !== 200) throw new Error(`GET ${path} on the rendezvous: ${res.status} ${await res.text()}`)
    return await res.json() as T
  }
}
