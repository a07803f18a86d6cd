import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { definePlugin, type MqApi } from '@goop/sdk'
import { connect, startTestPeer, type TestPeer } from '@goop/core/testing'

/** Each libp2p service is switchable by goop.json's `network` section; the listen port is configurable. */

/** A plugin that hands its MQ api to the test (the only door into a peer is the SDK). */
function mqProbe () {
  let api!: MqApi
  const plugin = definePlugin({ name: 'probe', version: '1.0.0', sdk: '^1.0.0', setup (ctx) { api = ctx.mq } })
  return { plugin, mq: () => api }
}

/** Every optional service off (mDNS is off in the test kit anyway; said here so the config is complete). */
const ALL_OFF = { mdns: false, gossipsub: false, identify: false, ping: false, autonat: false, dcutr: false, relayClient: false }

/** What each switch adds to a node: its key in node.services (if it is a service) and a protocol it serves. */
const SWITCHES = {
  identify: { service: 'identify', protocol: '/ipfs/id/1.0.0' },
  ping: { service: 'ping', protocol: '/ipfs/ping/1.0.0' },
  autonat: { service: 'autonat', protocol: '/libp2p/autonat/1.0.0' },
  dcutr: { service: 'dcutr', protocol: '/libp2p/dcutr' },
  gossipsub: { service: 'pubsub', protocol: '/meshsub/1.1.0' },
  relayClient: { service: null, protocol: '/libp2p/circuit/relay/0.2.0/stop' } // a transport, not a service
} as const

const services = (p: TestPeer): string[] => Object.keys(p.node.services).toSorted()
const portsOf = (p: TestPeer): number[] => p.addrs().map(a => Number(/\/tcp\/(\d+)/.exec(a)?.[1]))

/** A TCP port that is free on 127.0.0.1 right now. */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve) })
  const port = (server.address() as { port: number }).port
  await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  return port
}

describe('libp2p services are switchable by config', () => {
  let bare: TestPeer, full: TestPeer
  const pBare = mqProbe()
  const pFull = mqProbe()
  before(async () => {
    bare = await startTestPeer({ plugins: [pBare.plugin], viewer: false, config: { network: ALL_OFF } })
    full = await startTestPeer({ plugins: [pFull.plugin], viewer: false })
  })
  after(async () => { await bare?.cleanup(); await full?.cleanup() })

  it('a peer with every optional service off has none of them', () => {
    assert.deepEqual(services(bare), [])
    const protocols = bare.node.getProtocols()
    for (const [name, { protocol }] of Object.entries(SWITCHES)) {
      assert.ok(!protocols.includes(protocol), `${name} is off but ${protocol} is served (protocols: ${protocols.join(', ')})`)
    }
    assert.ok(!bare.addrs().some(a => a.includes('p2p-circuit')), `no relay transport, yet: ${bare.addrs().join(', ')}`)
  })

  it('a default test peer has identify, ping, dcutr, pubsub and the relay client (autonat is off in the test kit)', () => {
    assert.deepEqual(services(full), ['dcutr', 'identify', 'ping', 'pubsub'])
    const protocols = full.node.getProtocols()
    for (const name of ['identify', 'ping', 'dcutr', 'gossipsub', 'relayClient'] as const) {
      assert.ok(protocols.includes(SWITCHES[name].protocol), `${name} is on but ${SWITCHES[name].protocol} is not served`)
    }
    assert.ok(!protocols.includes(SWITCHES.autonat.protocol))
  })

  it('the bare peer still exchanges mq messages with a default peer (TCP + Noise + Yamux are always on)', async () => {
    await connect(bare, full)
    const atFull: Array<{ payload: unknown, from: string }> = []
    const atBare: Array<{ payload: unknown, from: string }> = []
    const offFull = pFull.mq().receive('net.msg', (payload, meta) => { atFull.push({ payload, from: meta.from }) })
    const offBare = pBare.mq().receive('net.msg', (payload, meta) => { atBare.push({ payload, from: meta.from }) })
    try {
      await pBare.mq().send(full.id, 'net.msg', { text: 'from bare' })
      await pFull.mq().send(bare.id, 'net.msg', { text: 'from full' })
      assert.deepEqual(atFull, [{ payload: { text: 'from bare' }, from: bare.id }])
      assert.deepEqual(atBare, [{ payload: { text: 'from full' }, from: full.id }])
    } finally { offFull(); offBare() }
  })

  it('each switch turns exactly its own service off, and autonat can be turned on', async () => {
    const all = { identify: true, ping: true, autonat: false, dcutr: true, gossipsub: true, relayClient: true }
    const cases: Array<[string, Record<string, boolean>]> = [
      ['identify', { ...all, identify: false, gossipsub: false, dcutr: false, relayClient: false }], // those need identify
      ['ping', { ...all, ping: false }],
      ['dcutr', { ...all, dcutr: false }],
      ['gossipsub', { ...all, gossipsub: false }],
      ['relayClient', { ...all, relayClient: false }],
      ['autonat on', { ...all, autonat: true }]
    ]
    for (const [label, network] of cases) {
      const p = await startTestPeer({ viewer: false, config: { network } })
      try {
        const protocols = p.node.getProtocols()
        for (const [name, { service, protocol }] of Object.entries(SWITCHES)) {
          const on = network[name]
          if (service != null) assert.equal(services(p).includes(service), on, `${label}: service ${name} should be ${on ? 'on' : 'off'}`)
          assert.equal(protocols.includes(protocol), on, `${label}: ${protocol} should ${on ? '' : 'not '}be served`)
        }
      } finally { await p.cleanup() }
    }
  })
})

describe('the listen port', () => {
  it('is the port from network.port', async () => {
    const port = await freePort()
    const p = await startTestPeer({ viewer: false, config: { network: { port } } })
    try {
      assert.ok(p.addrs().length > 0)
      assert.deepEqual([...new Set(portsOf(p))], [port], `addrs: ${p.addrs().join(', ')}`)
      assert.ok(p.addrs().every(a => a.startsWith(`/ip4/127.0.0.1/tcp/${port}/p2p/${p.id}`)), p.addrs().join(', '))
      // …and something really listens there.
      await new Promise<void>((resolve, reject) => {
        const s = createConnection({ host: '127.0.0.1', port }, () => { s.destroy(); resolve() })
        s.once('error', reject)
      })
    } finally { await p.cleanup() }
  })

  it('port 0 gives some free port', async () => {
    const a = await startTestPeer({ viewer: false, config: { network: { port: 0 } } })
    const b = await startTestPeer({ viewer: false, config: { network: { port: 0 } } })
    try {
      const [pa] = portsOf(a)
      const [pb] = portsOf(b)
      assert.ok(Number.isInteger(pa) && pa! > 0, `addrs: ${a.addrs().join(', ')}`)
      assert.ok(Number.isInteger(pb) && pb! > 0, `addrs: ${b.addrs().join(', ')}`)
      assert.notEqual(pa, pb)
      await connect(a, b)
      assert.ok(a.node.getPeers().some(id => id.equals(b.node.peerId)))
    } finally { await a.cleanup(); await b.cleanup() }
  })
})

describe('services that need identify', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'goop-network-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  const refused = (dep: string) => (err: unknown): boolean => {
    const msg = (err as Error).message
    assert.equal((err as { code?: string }).code, 'config_invalid')
    assert.match(msg, /goop\.json/)
    assert.ok(msg.includes(`"network.${dep}"`), msg)
    assert.match(msg, /identify/)
    return true
  }

  it('autonat on with identify off is refused at start, naming goop.json, network.autonat and identify', async () => {
    await assert.rejects(startTestPeer({ dir, viewer: false, config: { network: { autonat: true, identify: false } } }), refused('autonat'))
  })

  it('so are gossipsub, dcutr and the relay client (libp2p would refuse them with an error that names no file)', async () => {
    for (const dep of ['gossipsub', 'dcutr', 'relayClient']) {
      const network = { ...ALL_OFF, [dep]: true }
      await assert.rejects(startTestPeer({ dir, viewer: false, config: { network } }), refused(dep))
    }
  })
})

describe('mDNS (in a network namespace of its own)', () => {
  interface Result {
    error?: string
    on: {
      aFoundB: number | null, bFoundA: number | null, waitedMs: number
      aAddrs: string[], addrsOfA: string[], dialed: { ok: boolean, remoteAddr?: string, error?: string }
    }
    off: Record<string, number | null | string[]>
  }

  const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'mdns-peers.ts')
  // Loopback is enough: multicast to 224.0.0.251 is delivered on lo without an extra route (tried).
  const SH = `ip link set lo up && exec "${process.execPath}" --no-node-snapshot --import tsx --conditions=development "${FIXTURE}"`

  /** Run the fixture in `unshare --net`; a missing or forbidden unshare is a failure, not a skip. */
  async function runInNamespace (): Promise<Result> {
    const { code, stdout, stderr, spawnError } = await new Promise<{ code: number | null, stdout: string, stderr: string, spawnError?: NodeJS.ErrnoException }>((resolve) => {
      const child = spawn('unshare', ['--net', 'sh', '-c', SH], { cwd: join(dirname(FIXTURE), '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      let err = ''
      child.stdout.on('data', (d: Buffer) => { out += d.toString() })
      child.stderr.on('data', (d: Buffer) => { err += d.toString() })
      const timer = setTimeout(() => { child.kill('SIGKILL') }, 40_000)
      child.on('error', (e) => { clearTimeout(timer); resolve({ code: null, stdout: out, stderr: err, spawnError: e }) })
      child.on('close', (exit) => { clearTimeout(timer); resolve({ code: exit, stdout: out, stderr: err }) })
    })
    if (spawnError?.code === 'ENOENT') assert.fail('`unshare` is not installed: the mDNS test needs it (apt-get install util-linux) to run peers in their own network namespace')
    if (spawnError != null) assert.fail(`cannot run unshare: ${spawnError.message}`)
    if (/operation not permitted|EPERM/i.test(stderr) && !stdout.includes('{')) {
      assert.fail(`\`unshare --net\` was refused (EPERM): the mDNS test must run as root (or with CAP_SYS_ADMIN) to get its own network namespace.\n${stderr}`)
    }
    if (/\bip\b.*not found/i.test(stderr)) assert.fail(`\`ip\` is not installed: the mDNS test needs it (apt-get install iproute2).\n${stderr}`)
    const line = stdout.split('\n').find(l => l.startsWith('{'))
    if (line == null) assert.fail(`the mDNS fixture printed no result (exit code ${code}).\nstdout: ${stdout}\nstderr: ${stderr}`)
    const result = JSON.parse(line) as Result
    if (result.error != null) assert.fail(`the mDNS fixture failed: ${result.error}\nstderr: ${stderr}`)
    assert.equal(code, 0, stderr)
    return result
  }

  // One run serves both tests; awaited inside them, so a missing or forbidden unshare fails them (not "cancelled").
  let run: Promise<Result> | undefined
  const result = async (): Promise<Result> => await (run ??= runInNamespace())

  it('two peers with network.mdns on find each other within 10 s, at addresses that can be dialed', async () => {
    const { on } = await result()
    assert.ok(on.aFoundB != null && on.aFoundB <= 10_000, `a did not find b by mDNS within ${on.waitedMs} ms`)
    assert.ok(on.bFoundA != null && on.bFoundA <= 10_000, `b did not find a by mDNS within ${on.waitedMs} ms`)
    assert.ok(on.addrsOfA.length > 0)
    for (const addr of on.addrsOfA) assert.ok(on.aAddrs.some(x => x.startsWith(addr + '/p2p/')), `mDNS gave ${addr}, a listens on ${on.aAddrs.join(', ')}`)
    assert.ok(on.dialed.ok, `b could not dial a at what mDNS told it: ${on.dialed.error ?? 'no connection seen on a'}`)
  })

  it('two peers with network.mdns off do not find each other (nor an mDNS peer beside them) in 3 s', async () => {
    const { off } = await result()
    for (const key of ['cFoundD', 'dFoundC', 'watcherFoundC', 'watcherFoundD', 'cFoundWatcher', 'dFoundWatcher']) {
      assert.equal(off[key], null, `${key} after ${String(off[key])} ms`)
    }
  })
})
