import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import hello from 'goop-plugin-hello'
import { startTestPeer, type TestPeer } from '@goop/core/testing'
import { CLI, goop } from './helpers/cli.js'

/** The real `goop` CLI, as built (the test runner builds first), in real processes. */

const HELLO_EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'plugin-hello')
const PEER_ID = /12D3KooW[1-9A-HJ-NP-Za-km-z]{44}/



/** A long-running `goop start`. */
class Running {
  stdout = ''
  stderr = ''
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  constructor (readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (d: Buffer) => { this.stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { this.stderr += d.toString() })
    this.exited = new Promise(resolve => { child.on('exit', (code, signal) => { resolve({ code, signal }) }) })
  }

  /** Wait for stdout to match; returns the match. */
  async waitFor (re: RegExp, ms = 20_000): Promise<RegExpExecArray> {
    const end = Date.now() + ms
    for (;;) {
      const m = re.exec(this.stdout)
      if (m != null) return m
      if (this.child.exitCode != null || this.child.signalCode != null) throw new Error(`goop start exited (${this.child.exitCode}) before printing ${re}:\n${this.stdout}\n${this.stderr}`)
      if (Date.now() > end) throw new Error(`goop start did not print ${re} in time:\n${this.stdout}\n${this.stderr}`)
      await new Promise(resolve => setTimeout(resolve, 25))
    }
  }

  /** Resolves with the exit, or 'hung' if it takes longer than `ms`. */
  async exitWithin (ms: number): Promise<{ code: number | null, signal: NodeJS.Signals | null } | 'hung'> {
    let timer: NodeJS.Timeout | undefined
    const r = await Promise.race([this.exited, new Promise<'hung'>(resolve => { timer = setTimeout(() => { resolve('hung') }, ms) })])
    clearTimeout(timer)
    return r
  }

  kill (): void {
    if (this.child.exitCode == null && this.child.signalCode == null) this.child.kill('SIGKILL')
  }
}

function startGoop (dir: string, cwd: string): Running {
  return new Running(spawn(process.execPath, ['--no-node-snapshot', CLI, 'start', dir, '--viewer-port', '0', '--port', '0', '--no-mdns'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] }))
}

async function viewerState (dir: string): Promise<{ url: string, port: number, token: string, pid: number }> {
  return JSON.parse(await readFile(join(dir, 'state', 'viewer.json'), 'utf8'))
}

async function api (dir: string, path: string): Promise<Response> {
  const { port, token } = await viewerState(dir)
  return await fetch(`http://127.0.0.1:${port}/api${path}`, { headers: { authorization: `Bearer ${token}` } })
}

const exists = async (p: string): Promise<boolean> => (await stat(p).catch(() => undefined)) != null

describe('goop CLI', () => {
  let root: string
  const running: Running[] = []
  const peers: TestPeer[] = []
  before(async () => { root = await mkdtemp(join(tmpdir(), 'goop-cli-')) })
  after(async () => {
    for (const r of running) r.kill()
    for (const p of peers) await p.cleanup()
    await rm(root, { recursive: true, force: true })
  })

  /** A unique folder per test. */
  const fresh = async (): Promise<string> => await mkdtemp(join(root, 'case-'))

  it('goop init creates goop.json, identity.key (0600) and site/; goop id prints the same peer id', async () => {
    const cwd = await fresh()
    const dir = join(cwd, 'alice')
    const r = await goop(['init', dir, '--name', 'alice'], cwd)
    assert.equal(r.code, 0, r.stderr)
    const id = PEER_ID.exec(r.stdout)?.[0]
    assert.ok(id != null, r.stdout)

    const config = JSON.parse(await readFile(join(dir, 'goop.json'), 'utf8'))
    assert.equal(typeof config.$schema, 'string')
    assert.equal(config.name, 'alice')
    assert.equal((await stat(join(dir, 'identity.key'))).mode & 0o777, 0o600)
    assert.match(await readFile(join(dir, 'site', 'index.html'), 'utf8'), /<h1>alice<\/h1>/)

    const idRun = await goop(['id', dir], cwd)
    assert.equal(idRun.code, 0, idRun.stderr)
    assert.equal(idRun.stdout.trim(), id)
    // --peer means the same folder.
    assert.equal((await goop(['id', '--peer', dir], cwd)).stdout.trim(), id)

    // A second init refuses, and the peer keeps its identity.
    const key = await readFile(join(dir, 'identity.key'))
    const again = await goop(['init', dir], cwd)
    assert.notEqual(again.code, 0)
    assert.match(again.stderr, /already a goop peer/)
    assert.deepEqual(await readFile(join(dir, 'identity.key')), key)
  })

  it('refuses wrong arguments with one line on stderr and exit code 2', async () => {
    const cwd = await fresh()
    const dir = join(cwd, 'p')
    assert.equal((await goop(['init', dir], cwd)).code, 0)
    const cases: Array<[string[], RegExp]> = [
      [['start', dir, '--bogus'], /unknown option '--bogus'/],
      [['start', dir, '--port', 'abc'], /--port must be a port number/],
      [['start', dir, '--viewer-port', '99999'], /--viewer-port must be a port number/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['init', dir, 'extra'], /too many arguments/],
      [['plugins', 'enable'], /missing required argument 'name'/],
      [['start', join(cwd, 'nowhere')], /not a goop peer/]
    ]
    for (const [args, re] of cases) {
      const r = await goop(args, cwd)
      assert.equal(r.code, 2, `goop ${args.join(' ')}: exit ${r.code}; stderr: ${r.stderr}`)
      const lines = r.stderr.trimEnd().split('\n')
      assert.equal(lines.length, 1, `goop ${args.join(' ')}: stderr has ${lines.length} lines:\n${r.stderr}`)
      assert.match(lines[0], /^goop: /)
      assert.match(lines[0], re)
      assert.doesNotMatch(r.stdout, /is running/)
    }
  })

  it('goop --help exits 0 and lists the commands', async () => {
    const r = await goop(['--help'], await fresh())
    assert.equal(r.code, 0, r.stderr)
    for (const word of ['init', 'start', 'id', 'plugins']) assert.match(r.stdout, new RegExp(`^\\s+${word}\\b`, 'm'), r.stdout)
  })

  it('goop start runs a peer with a viewer, and stops cleanly on SIGTERM', async () => {
    const cwd = await fresh()
    const dir = join(cwd, 'p')
    const init = await goop(['init', dir, '--name', 'alice'], cwd)
    const id = PEER_ID.exec(init.stdout)![0]
    const peer = startGoop(dir, cwd)
    running.push(peer)
    try {
      assert.equal((await peer.waitFor(/peer id\s+(\S+)/))[1], id)
      const url = (await peer.waitFor(/viewer\s+(http:\/\/\S+)/))[1]
      const token = new URL(url).searchParams.get('token')
      assert.ok(token != null && token.length >= 16, url)

      const state = await viewerState(dir)
      assert.equal(state.token, token)
      assert.equal(state.pid, peer.child.pid)
      const self = await api(dir, '/self')
      assert.equal(self.status, 200)
      const body = await self.json() as { peerId: string, name: string }
      assert.equal(body.peerId, id)
      assert.equal(body.name, 'alice')

      const started = Date.now()
      peer.child.kill('SIGTERM')
      const exit = await peer.exitWithin(5000)
      assert.notEqual(exit, 'hung', 'goop start did not exit within 5 s of SIGTERM')
      assert.deepEqual(exit, { code: 0, signal: null }, peer.stderr)
      assert.ok(Date.now() - started < 5000)
      assert.equal(await exists(join(dir, 'state', 'viewer.json')), false, 'state/viewer.json must be removed')
      assert.match(peer.stdout, /stopped/)
    } finally { peer.kill() }
  })

  it('manages plugins on a running peer: add, trust, enable live, its subcommand, disable live', async () => {
    const cwd = await fresh()
    const dir = join(cwd, 'p')
    const init = await goop(['init', dir, '--name', 'carol'], cwd)
    const id = PEER_ID.exec(init.stdout)![0]
    const peer = startGoop(dir, cwd)
    running.push(peer)
    try {
      const addr = (await peer.waitFor(/listening (\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\S+)/))[1]
      await peer.waitFor(/viewer\s+http/)
      const pid = (await viewerState(dir)).pid

      // add: copied into the peer folder, listed in goop.json, disabled.
      const add = await goop(['plugins', 'add', HELLO_EXAMPLE, '--peer', dir], cwd)
      assert.equal(add.code, 0, add.stderr)
      assert.ok(await exists(join(dir, 'plugins', 'hello', 'package.json')))
      assert.deepEqual(JSON.parse(await readFile(join(dir, 'goop.json'), 'utf8')).plugins.hello, { enabled: false, from: './plugins/hello' })
      assert.equal((await api(dir, '/x/hello/')).status, 404)

      // enable without --yes, with no TTY to ask on: refused, says why, changes nothing.
      const refused = await goop(['plugins', 'enable', 'hello', '--peer', dir], cwd)
      assert.notEqual(refused.code, 0)
      assert.match(refused.stderr, /full rights/)
      assert.equal((await api(dir, '/x/hello/')).status, 404)
      assert.equal(JSON.parse(await readFile(join(dir, 'goop.json'), 'utf8')).plugins.hello.trusted, undefined)

      // enable --yes: running at once, its route answers.
      const enable = await goop(['plugins', 'enable', 'hello', '--yes', '--peer', dir], cwd)
      assert.equal(enable.code, 0, enable.stderr)
      assert.match(enable.stdout, /hello: running/)
      const route = await api(dir, '/x/hello/')
      assert.equal(route.status, 200)
      assert.deepEqual(await route.json(), { greeted: 0, waves: 0 })

      const list = await goop(['plugins', 'list', '--peer', dir], cwd)
      assert.equal(list.code, 0, list.stderr)
      assert.match(list.stdout, /^hello\s+1\.0\.0\s+running\s+installed/m)

      // The plugin's own subcommand: ask another peer (connected to this one) for its greeting.
      const other = await startTestPeer({ plugins: [hello], config: { plugins: { hello: { config: { greeting: 'howdy' } } } } })
      peers.push(other)
      await other.node.dial(multiaddr(addr))
      const greet = await goop(['hello', other.id, '--peer', dir], cwd)
      assert.equal(greet.code, 0, greet.stderr)
      assert.equal(greet.stdout.trim(), `howdy, ${id.slice(-6)}`)
      assert.deepEqual(await (await other.api('GET', '/api/x/hello/')).json(), { greeted: 1, waves: 0 })

      // disable: the route is gone at once, without a restart.
      const disable = await goop(['plugins', 'disable', 'hello', '--peer', dir], cwd)
      assert.equal(disable.code, 0, disable.stderr)
      assert.equal((await api(dir, '/x/hello/')).status, 404)
      assert.equal(peer.child.exitCode, null)
      assert.equal((await viewerState(dir)).pid, pid)
      assert.match((await goop(['plugins', 'list', '--peer', dir], cwd)).stdout, /^hello\s+1\.0\.0\s+stopped/m)
      // …and so is its subcommand.
      const gone = await goop(['hello', other.id, '--peer', dir], cwd)
      assert.equal(gone.code, 2)
      assert.match(gone.stderr, /unknown command 'hello'/)

      peer.child.kill('SIGTERM')
      assert.deepEqual(await peer.exitWithin(5000), { code: 0, signal: null }, peer.stderr)
    } finally { peer.kill() }
  })
})
