import '@goop/sdk/node-polyfill'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { definePlugin, type GoopPlugin, type MqApi, type PluginContext } from '@goop/sdk'
import { Peer, type PeerOptions } from '../peer.js'
import type { LogSink } from '../log.js'

export interface TestPeerOptions {
  /** Plugin objects to run (trusted, like built-ins). */
  plugins?: GoopPlugin[]
  /** goop.json contents (written to the folder, so it is validated like a real one). */
  config?: Record<string, unknown>
  /** Reuse a folder (e.g. to restart a peer); default: a new temporary folder. */
  dir?: string
  /** Start the viewer (default true, on a free port). */
  viewer?: boolean
  /** Print the peer's log (default: only errors, or everything with GOOP_LOG=debug). */
  logLevel?: LogSink['level']
}

export interface TestPeer extends Peer {
  /** Stop the peer and delete its folder (unless it was given). */
  cleanup: () => Promise<void>
  /** Admin API call with the owner's token. */
  api: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Response>
}

/**
 * Start a real peer in-process: a real libp2p node on 127.0.0.1, a real viewer on a free port, real
 * files in a temporary folder. mDNS is off (tests must not multicast on the host's network).
 */
export async function startTestPeer (opts: TestPeerOptions = {}): Promise<TestPeer> {
  const dir = opts.dir ?? await mkdtemp(join(tmpdir(), 'goop-test-'))
  const ownDir = opts.dir == null
  if (opts.config != null) await writeFile(join(dir, 'goop.json'), JSON.stringify(opts.config, null, 2))
  const level = (process.env.GOOP_LOG as LogSink['level'] | undefined) ?? opts.logLevel ?? 'error'
  const peerOpts: PeerOptions = {
    dir,
    plugins: opts.plugins,
    viewer: opts.viewer,
    viewerPortIsExplicit: true,
    log: { level, write: (line) => { process.stderr.write(line + '\n') } },
    overrides: {
      network: {
        host: '127.0.0.1',
        mdns: false,
        autonat: false,
        ...(typeof opts.config?.network === 'object' ? opts.config.network : {})
      },
      viewer: { host: '127.0.0.1', port: 0 }
    }
  }
  let peer: TestPeer
  try {
    peer = await Peer.start(peerOpts) as TestPeer
  } catch (err) {
    if (ownDir) await rm(dir, { recursive: true, force: true })
    throw err
  }
  peer.cleanup = async () => {
    await peer.stop()
    if (ownDir) await rm(dir, { recursive: true, force: true })
  }
  peer.api = async (method, path, body, headers = {}) => {
    const port = peer.viewer?.port
    if (port == null) throw new Error('this test peer has no viewer')
    return await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${peer.viewer!.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined
    })
  }
  return peer
}

/** Connect two peers directly (a dials b's first address). */
export async function connect (a: Peer, b: Peer): Promise<void> {
  const addr = b.node.getMultiaddrs()[0]
  if (addr == null) throw new Error('peer b has no address to dial')
  await a.node.dial(addr)
}

/**
 * A plugin that hands its context to the test: the SDK is the only door into a peer, for tests too.
 * `requires`/`provides` let it take part in service ordering.
 */
export function probe (name = 'probe', extra: { requires?: string[], provides?: string[] } = {}): { plugin: GoopPlugin, ctx: () => PluginContext, mq: () => MqApi } {
  let ctx: PluginContext | undefined
  const plugin = definePlugin({ name, version: '1.0.0', sdk: '^1.0.0', ...extra, setup (c) { ctx = c } })
  const get = (): PluginContext => {
    if (ctx == null) throw new Error(`probe ${name} was not set up`)
    return ctx
  }
  return { plugin, ctx: get, mq: () => get().mq }
}

/** Wait until `cond()` holds, checking every 20 ms; fail after `ms`. */
export async function waitFor (cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
