import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { connect as connectTcp } from 'node:net'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestPeer, waitFor, type TestPeer } from '@goop/core/testing'
import rendezvous from '@goop/plugin-rendezvous'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey, Stream } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import WebSocket from 'ws'
import { presenceSigningBytes, rendezvousAuthBytes, toBase64Url } from '@goop/sdk'

/**
 * The rendezvous plugin on a real test peer: real WebSocket clients with real Ed25519 keys speaking
 * the protocol of sdk/src/rendezvous.ts, real HTTP, and real libp2p nodes through the relay.
 */

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

interface Msg { t: string, [k: string]: any }

interface Id { key: PrivateKey, peerId: string, seq: number }

async function newId (): Promise<Id> {
  const key = await generateKeyPair('Ed25519')
  return { key, peerId: peerIdFromPrivateKey(key).toString(), seq: Date.now() }
}

async function sign (id: Id, bytes: Uint8Array): Promise<string> {
  return toBase64Url(await id.key.sign(bytes))
}

/** A signed presence envelope for `id` (a fresh seq unless given). */
async function envelope (id: Id, rec: Record<string, unknown> = {}, signer: Id = id): Promise<{ record: string, sig: string, seq: number }> {
  const seq = typeof rec.seq === 'number' ? rec.seq : ++id.seq
  const record = JSON.stringify({ v: 1, peerId: id.peerId, name: `peer-${id.peerId.slice(-4)}`, addrs: ['/ip4/192.0.2.7/tcp/4001'], seq, fields: {}, ...rec })
  return { record, sig: await sign(signer, presenceSigningBytes(record)), seq }
}

/** A WebSocket client that keeps every server message (pongs only counted) until a test takes it. */
class Client {
  readonly msgs: Msg[] = []
  pongs = 0
  closed?: { code: number, reason: string }
  welcome?: Msg
  private wake: Array<() => void> = []
  private pinger?: ReturnType<typeof setInterval>

  private constructor (readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Msg
      if (m.t === 'pong') this.pongs++
      else this.msgs.push(m)
      this.notify()
    })
    ws.on('close', (code, reason) => { this.closed = { code, reason: reason.toString() }; this.stopPing(); this.notify() })
    ws.on('error', () => {})
  }

  static async open (url: string): Promise<Client> {
    const ws = new WebSocket(url)
    const c = new Client(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => { resolve() })
      ws.once('unexpected-response', (_req, res) => { reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })) })
      ws.once('error', reject)
    })
    return c
  }

  /** Open, answer the challenge with `id`'s key, wait for the welcome; ping every `pingMs` (0: never). */
  static async join (url: string, id: Id, pingMs = 400): Promise<Client> {
    const c = await Client.open(url)
    const challenge = await c.next(m => m.t === 'challenge')
    c.send({ t: 'hello', peerId: id.peerId, sig: await sign(id, rendezvousAuthBytes(challenge.nonce)) })
    c.welcome = await c.next(m => m.t === 'welcome')
    if (pingMs > 0) c.pinger = setInterval(() => { if (c.ws.readyState === WebSocket.OPEN) c.send({ t: 'ping' }) }, pingMs)
    return c
  }

  private notify (): void { for (const w of this.wake.splice(0)) w() }

  send (msg: unknown): void { this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg)) }

  stopPing (): void { clearInterval(this.pinger) }

  /** Take the first kept message matching `pred`, waiting up to `ms`. */
  async next (pred: (m: Msg) => boolean = () => true, ms = 5000): Promise<Msg> {
    const end = Date.now() + ms
    for (;;) {
      const i = this.msgs.findIndex(pred)
      if (i >= 0) return this.msgs.splice(i, 1)[0]
      if (this.closed != null) throw new Error(`closed (${this.closed.code} ${this.closed.reason}) while waiting; kept: ${JSON.stringify(this.msgs)}`)
      const left = end - Date.now()
      if (left <= 0) throw new Error(`no matching message within ${ms} ms; kept: ${JSON.stringify(this.msgs)}`)
      await new Promise<void>(resolve => { const t = setTimeout(resolve, left); this.wake.push(() => { clearTimeout(t); resolve() }) })
    }
  }

  async error (code: string): Promise<Msg> { return await this.next(m => m.t === 'error' && m.code === code) }

  async waitClosed (ms = 5000): Promise<{ code: number, reason: string }> {
    await waitFor(() => this.closed != null, ms, 'the connection to close')
    return this.closed!
  }

  async publish (id: Id, rec: Record<string, unknown> = {}): Promise<{ record: string, sig: string, seq: number }> {
    const env = await envelope(id, rec)
    this.send({ t: 'publish', record: env.record, sig: env.sig })
    return env
  }

  close (): void { this.stopPing(); this.ws.close() }
}

async function getJson<T = any> (url: string): Promise<T> {
  const res = await fetch(url)
  assert.equal(res.status, 200, url)
  return await res.json() as T
}

const testConfig = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  plugins: { rendezvous: { config: { httpPort: 0, relayPort: 0, relayHost: '127.0.0.1', host: '127.0.0.1', ...extra } } }
})

describe('rendezvous server', () => {
  let peer: TestPeer
  let base: string
  let ws: string
  let info: { httpUrl: string, relay: string[], relayPeerId: string }
  const clients: Client[] = []
  const enter = async (id: Id, pingMs?: number): Promise<Client> => { const c = await Client.join(ws, id, pingMs); clients.push(c); return c }
  const open = async (): Promise<Client> => { const c = await Client.open(ws); clients.push(c); return c }
  const dropped = async (): Promise<Record<string, number>> => (await getJson(`${base}/healthz`)).dropped
  /** Wait until GET /peers lists `peerId`; returns that list. */
  const listed = async (peerId: string): Promise<Array<Record<string, unknown>>> => {
    const end = Date.now() + 5000
    for (;;) {
      const peers = await getJson<Array<Record<string, unknown>>>(`${base}/peers`)
      if (peers.some(p => p.peerId === peerId)) return peers
      if (Date.now() > end) throw new Error(`${peerId} is not listed: ${JSON.stringify(peers)}`)
      await sleep(20)
    }
  }

  before(async () => {
    peer = await startTestPeer({ plugins: [rendezvous], config: testConfig({ ttlMs: 2000, punchCooldownMs: 0 }) })
    const res = await peer.api('GET', '/api/x/rendezvous/')
    assert.equal(res.status, 200, await res.clone().text())
    info = await res.json() as typeof info
    base = info.httpUrl
    ws = base.replace(/^http/, 'ws') + '/ws'
  })
  after(async () => {
    for (const c of clients) c.close()
    await peer?.cleanup()
  })

  it('exposes where it listens: the owner route and state/rendezvous/listen.json', async () => {
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.notEqual(base, 'http://127.0.0.1:0')
    const file = JSON.parse(await readFile(join(peer.dir, 'state', 'rendezvous', 'listen.json'), 'utf8'))
    assert.equal(file.httpUrl, base)
    assert.deepEqual(file.relay, info.relay)
    // The owner route is behind the viewer's token like every plugin route.
    const res = await fetch(`http://127.0.0.1:${peer.viewer!.port}/api/x/rendezvous/`)
    assert.equal(res.status, 401)
  })

  it('hello proves the key; the welcome carries every signed record and the relay', async () => {
    const a = await newId()
    const b = await newId()
    const ca = await enter(a)
    assert.deepEqual(ca.welcome!.relay, info.relay)
    const env = await ca.publish(a, { name: 'alice', fields: { siteTitle: 'Alice’s site' } })
    await listed(a.peerId)
    const cb = await enter(b)
    const mine = cb.welcome!.peers.find((p: { record: string }) => JSON.parse(p.record).peerId === a.peerId)
    assert.deepEqual(mine, { record: env.record, sig: env.sig }, 'the record exactly as signed')
    assert.deepEqual(cb.welcome!.relay, info.relay)
    ca.close()
    await cb.next(m => m.t === 'leave' && m.peerId === a.peerId)
    cb.close()
  })

  it('sends deltas only: join, update, leave; a heartbeat publish (only seq changed) is not broadcast', async () => {
    const a = await newId()
    const b = await newId()
    const ca = await enter(a)
    const cb = await enter(b)
    const first = await ca.publish(a, { name: 'alice' })
    const joined = await cb.next(m => m.t === 'join')
    assert.deepEqual(joined, { t: 'join', record: first.record, sig: first.sig })
    await ca.publish(a, { name: 'alice' }) // heartbeat: same content, higher seq
    const changed = await ca.publish(a, { name: 'alice two' })
    const next = await cb.next(m => m.t !== 'pong')
    assert.deepEqual(next, { t: 'update', record: changed.record, sig: changed.sig }, 'the heartbeat in between was not broadcast')
    assert.ok(!ca.msgs.some(m => m.t === 'join' || m.t === 'update'), 'a peer does not get its own deltas')
    const peers = await getJson<Array<{ peerId: string, name: string }>>(`${base}/peers`)
    assert.equal(peers.find(p => p.peerId === a.peerId)?.name, 'alice two')
    // b publishes too; a learns it as a join. A goodbye record is a leave at once.
    await cb.publish(b, { name: 'bob' })
    assert.equal(JSON.parse((await ca.next(m => m.t === 'join')).record).name, 'bob')
    await cb.publish(b, { name: 'bob', bye: true })
    assert.deepEqual(await ca.next(m => m.t !== 'pong'), { t: 'leave', peerId: b.peerId })
    await cb.publish(b, { name: 'bob' })
    assert.equal(JSON.parse((await ca.next(m => m.t !== 'pong')).record).name, 'bob', 'and back')
    ca.close()
    assert.deepEqual(await cb.next(m => m.t === 'leave'), { t: 'leave', peerId: a.peerId })
    const left = await getJson<Array<{ peerId: string }>>(`${base}/peers`)
    assert.ok(!left.some(p => p.peerId === a.peerId))
    cb.close()
  })

  it('a peer that neither pings nor publishes within the TTL leaves, and its connection is closed', async () => {
    const quiet = await newId()
    const watcher = await newId()
    const cw = await enter(watcher)
    const cq = await enter(quiet, 0)
    await cq.publish(quiet)
    await cw.next(m => m.t === 'join')
    const t0 = Date.now()
    await cw.next(m => m.t === 'leave' && m.peerId === quiet.peerId, 5000)
    const took = Date.now() - t0
    assert.ok(took >= 1500 && took < 5000, `left after ${took} ms (ttl 2000)`)
    assert.equal((await cq.waitClosed()).code, 4002)
    // ping keeps a peer alive and is answered with pong
    assert.ok(cw.pongs > 0)
    cw.close()
  })

  it('a client that has not proven its key cannot publish, ping or punch; a wrong hello is refused and closed', async () => {
    const a = await newId()
    const was = await dropped()
    const u = await open()
    const challenge = await u.next(m => m.t === 'challenge')
    assert.equal(Buffer.from(challenge.nonce, 'base64url').length, 32)
    const env = await envelope(a)
    u.send({ t: 'publish', record: env.record, sig: env.sig })
    await u.error('unauthenticated')
    u.send({ t: 'connect', peerId: a.peerId })
    await u.error('unauthenticated')
    const peers = await getJson<Array<{ peerId: string }>>(`${base}/peers`)
    assert.ok(!peers.some(p => p.peerId === a.peerId))
    // A hello signed over another nonce (a replayed hello) does not prove anything.
    u.send({ t: 'hello', peerId: a.peerId, sig: await sign(a, rendezvousAuthBytes('another-nonce-another-nonce')) })
    await u.error('bad_auth')
    assert.equal((await u.waitClosed()).code, 1008)
    const now = await dropped()
    assert.equal(now.unauthenticated - was.unauthenticated, 2)
    assert.equal(now.bad_auth - was.bad_auth, 1)
  })

  it('drops and counts forged presence: wrong signature, another peer ID, replayed seq, oversize record, malformed JSON, unknown type', async () => {
    const a = await newId()
    const other = await newId()
    const w = await newId()
    const cw = await enter(w)
    const ca = await enter(a)
    const was = await dropped()

    const forged = await envelope(a, {}, other) // a's record, signed by another key
    ca.send({ t: 'publish', record: forged.record, sig: forged.sig })
    await ca.error('bad_signature')

    const theirs = await envelope(other) // properly signed by its own key, but not the connection's peer
    ca.send({ t: 'publish', record: theirs.record, sig: theirs.sig })
    await ca.error('wrong_peer')

    const good = await ca.publish(a, { name: 'real' })
    assert.equal(JSON.parse((await cw.next(m => m.t === 'join')).record).name, 'real')
    ca.send({ t: 'publish', record: good.record, sig: good.sig }) // replay the same envelope
    await ca.error('replay')
    const older = await envelope(a, { name: 'old', seq: good.seq - 10 })
    ca.send({ t: 'publish', record: older.record, sig: older.sig })
    await ca.error('replay')

    const fields = Object.fromEntries(Array.from({ length: 24 }, (_, i) => [`k${i}`, 'x'.repeat(200)]))
    const big = await envelope(a, { fields })
    assert.ok(Buffer.byteLength(big.record) > 4096 && Buffer.byteLength(big.record) < 8000)
    ca.send({ t: 'publish', record: big.record, sig: big.sig })
    await ca.error('oversize')

    ca.send('{"t":"publish",')
    await ca.error('malformed')
    ca.send({ t: 'subscribe', topic: 'everything' })
    assert.match((await ca.error('bad_message')).message, /unknown message type "subscribe"/)

    const now = await dropped()
    for (const reason of ['bad_signature', 'wrong_peer', 'oversize', 'malformed', 'bad_message']) {
      assert.equal(now[reason] - was[reason], 1, reason)
    }
    assert.equal(now.replay - was.replay, 2)
    // The forged ones never reached anyone (deltas go out within batchMs, 100 ms); the connection still works.
    await sleep(300)
    assert.ok(!cw.msgs.some(m => m.t === 'join' || m.t === 'update'), JSON.stringify(cw.msgs))
    const peers = await getJson<Array<{ peerId: string, name: string }>>(`${base}/peers`)
    assert.equal(peers.find(p => p.peerId === a.peerId)?.name, 'real')
    assert.ok(!peers.some(p => p.peerId === other.peerId))
    const pongs = ca.pongs
    ca.send({ t: 'ping' })
    await waitFor(() => ca.pongs > pongs, 2000, 'a pong')
    ca.close()
    cw.close()
  })

  it('1,000 malformed messages from one client do not stop it serving a good client', async () => {
    const good = await newId()
    const watcher = await newId()
    const cw = await enter(watcher)
    const flood = await open()
    await flood.next(m => m.t === 'challenge')
    const was = await dropped()
    for (let i = 0; i < 1000; i++) flood.send(`not json ${i}`)
    const t0 = Date.now()
    const cg = await enter(good)
    await cg.publish(good, { name: 'good' })
    assert.equal(JSON.parse((await cw.next(m => m.t === 'join')).record).name, 'good')
    const pongs = cg.pongs
    cg.send({ t: 'ping' })
    await waitFor(() => cg.pongs > pongs, 2000, 'a pong')
    assert.ok(Date.now() - t0 < 5000, `the good client was served in ${Date.now() - t0} ms`)
    // The flooder was rate limited, then cut off.
    await flood.error('rate_limited')
    assert.equal((await flood.waitClosed()).code, 1008)
    const now = await dropped()
    assert.ok(now.malformed - was.malformed >= 20, `malformed +${now.malformed - was.malformed}`)
    assert.ok(now.rate_limited - was.rate_limited >= 1)
    const health = await getJson(`${base}/healthz`)
    assert.equal(health.ok, true)
    cg.close()
    cw.close()
  })

  it('a second connection for the same peer ID cannot evict the first without proving the key', async () => {
    const a = await newId()
    const w = await newId()
    const cw = await enter(w)
    const ca = await enter(a)
    await ca.publish(a, { name: 'first' })
    await cw.next(m => m.t === 'join')
    // Claims a's peer ID with a signature it cannot make.
    const imposter = await open()
    const ch = await imposter.next(m => m.t === 'challenge')
    const mallory = await newId()
    imposter.send({ t: 'hello', peerId: a.peerId, sig: await sign(mallory, rendezvousAuthBytes(ch.nonce)) })
    await imposter.error('bad_auth')
    await imposter.waitClosed()
    // Connects and never says hello.
    const silent = await open()
    await silent.next(m => m.t === 'challenge')
    await sleep(200)
    assert.equal(ca.closed, undefined)
    const pongs = ca.pongs
    ca.send({ t: 'ping' })
    await waitFor(() => ca.pongs > pongs, 2000, 'a pong on the first connection')
    assert.ok(!cw.msgs.some(m => m.t === 'leave'))
    assert.ok((await getJson<Array<{ peerId: string }>>(`${base}/peers`)).some(p => p.peerId === a.peerId))
    // The real key holder on a new connection does replace it, without a leave.
    const again = await enter(a)
    await ca.error('replaced')
    assert.equal((await ca.waitClosed()).code, 4001)
    const own = again.welcome!.peers.map((p: { record: string }) => JSON.parse(p.record).peerId)
    assert.ok(!own.includes(a.peerId), 'the welcome leaves out the peer’s own record')
    await again.publish(a, { name: 'first' })
    await sleep(300)
    assert.ok(!cw.msgs.some(m => m.t === 'leave' || m.t === 'update'), JSON.stringify(cw.msgs))
    assert.ok((await getJson<Array<{ peerId: string }>>(`${base}/peers`)).some(p => p.peerId === a.peerId))
    silent.close()
    again.close()
    await cw.next(m => m.t === 'leave' && m.peerId === a.peerId)
    cw.close()
  })

  it('connect sends a punch hint with the other side’s addresses to both peers', async () => {
    const a = await newId()
    const b = await newId()
    const ca = await enter(a)
    const cb = await enter(b)
    await ca.publish(a, { addrs: ['/ip4/198.51.100.1/tcp/4001'] })
    await cb.publish(b, { addrs: ['/ip4/203.0.113.9/tcp/4002'] })
    await ca.next(m => m.t === 'join')
    ca.send({ t: 'connect', peerId: b.peerId })
    assert.deepEqual(await ca.next(m => m.t === 'punch'), { t: 'punch', peerId: b.peerId, addrs: ['/ip4/203.0.113.9/tcp/4002'] })
    assert.deepEqual(await cb.next(m => m.t === 'punch'), { t: 'punch', peerId: a.peerId, addrs: ['/ip4/198.51.100.1/tcp/4001'] })
    ca.send({ t: 'connect', peerId: (await newId()).peerId })
    await ca.error('punch_refused')
    ca.close()
    cb.close()
  })

  it('closes a connection that sends a message over the size limit', async () => {
    const a = await newId()
    const ca = await enter(a)
    ca.send({ t: 'ping', pad: 'x'.repeat(9000) })
    await ca.error('too_large')
    assert.equal((await ca.waitClosed()).code, 1009)
  })

  it('GET /peers shows public fields only, never addresses', async () => {
    const a = await newId()
    const ca = await enter(a)
    await ca.publish(a, { name: 'carol', addrs: ['/ip4/198.51.100.77/tcp/4001', '/dns4/carol.example/tcp/1'], fields: { siteTitle: 'Carol' } })
    const peers = await listed(a.peerId)
    const row = peers.find(p => p.peerId === a.peerId)
    assert.deepEqual(row, { peerId: a.peerId, name: 'carol', fields: { siteTitle: 'Carol' }, online: true })
    for (const p of peers) assert.deepEqual(Object.keys(p).toSorted(), ['fields', 'name', 'online', 'peerId'])
    const text = JSON.stringify(peers)
    assert.ok(!text.includes('/ip4/') && !text.includes('/dns4/') && !text.includes('198.51.100.77'), text)
    ca.close()
  })

  it('GET /relay lists the relay with its peer ID; its key is kept in state (0600)', async () => {
    const relay = await getJson<{ addrs: string[] }>(`${base}/relay`)
    assert.ok(relay.addrs.length > 0)
    for (const a of relay.addrs) assert.ok(a.endsWith(`/p2p/${info.relayPeerId}`), a)
    assert.ok(relay.addrs.some(a => a.startsWith('/ip4/127.0.0.1/tcp/')))
    assert.notEqual(info.relayPeerId, peer.id, 'the relay is a node of its own')
    const st = await stat(join(peer.dir, 'state', 'rendezvous', 'relay.key'))
    assert.equal(st.mode & 0o777, 0o600)
  })

  it('GET / is a dashboard page (HTML, no inline script) and GET /healthz reports counts', async () => {
    const res = await fetch(`${base}/`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /text\/html/)
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/)
    const html = await res.text()
    assert.match(html, /<title>goop rendezvous<\/title>/)
    assert.match(html, /<script src="dashboard\.js"><\/script>/)
    const js = await fetch(`${base}/dashboard.js`)
    assert.equal(js.status, 200)
    assert.match(await js.text(), /fetch\('peers'/)
    assert.equal((await fetch(`${base}/ws`)).status, 426)
    const health = await getJson(`${base}/healthz`)
    assert.equal(health.ok, true)
    assert.equal(typeof health.peers, 'number')
    assert.equal(typeof health.connections, 'number')
    assert.equal(typeof health.dropped.malformed, 'number')
  })

  it('relays a libp2p connection between two nodes and moves more than the library default of 128 KiB', async () => {
    const relayAddr = multiaddr(info.relay.find(a => a.startsWith('/ip4/127.0.0.1/'))!)
    const mk = async (listen: string[]): Promise<Libp2p> => await createLibp2p({
      addresses: { listen },
      transports: [tcp(), circuitRelayTransport()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() }
    })
    // A is reachable only through the relay (no TCP listener of its own); B dials A's circuit address.
    const a = await mk(['/p2p-circuit'])
    const b = await mk([])
    try {
      await a.handle('/test/echo/1.0.0', async (stream: Stream) => {
        for await (const chunk of stream) { if (!stream.send(chunk.subarray())) await stream.onDrain() }
        await stream.close()
      }, { runOnLimitedConnection: true })
      await a.dial(relayAddr)
      await waitFor(() => a.getMultiaddrs().some(m => m.toString().includes('/p2p-circuit')), 10_000, 'a relay reservation')
      const circuit = a.getMultiaddrs().find(m => m.toString().includes('/p2p-circuit'))!
      const stream = await b.dialProtocol(circuit, '/test/echo/1.0.0', { runOnLimitedConnection: true })
      const conn = b.getConnections(a.peerId)[0]
      assert.ok(conn.remoteAddr.toString().includes('/p2p-circuit'), conn.remoteAddr.toString())
      const total = 1536 * 1024 // 1.5 MiB each way: 3 MiB through the relay
      const chunk = new Uint8Array(64 * 1024).map((_, i) => i % 251)
      const reading = (async () => {
        let got = 0
        for await (const c of stream) got += c.byteLength
        return got
      })()
      for (let sent = 0; sent < total; sent += chunk.length) { if (!stream.send(chunk)) await stream.onDrain() }
      await stream.close()
      assert.equal(await reading, total)
      const health = await getJson(`${base}/healthz`)
      assert.ok(health.relay.reservations >= 1)
    } finally {
      await a.stop()
      await b.stop()
    }
  })

  it('disabling the plugin closes its listener, connections and relay; enabling it again keeps the relay ID', async () => {
    const c = await enter(await newId())
    const res = await peer.api('POST', '/api/plugins/rendezvous/disable')
    assert.equal(res.status, 200, await res.text())
    await c.waitClosed(3000)
    await assert.rejects(fetch(`${base}/healthz`))
    const relayPort = Number(/\/tcp\/(\d+)\//.exec(info.relay[0])![1])
    await assert.rejects(new Promise((resolve, reject) => {
      const s = connectTcp(relayPort, '127.0.0.1', () => { s.destroy(); resolve(undefined) })
      s.on('error', reject)
    }), 'the relay no longer listens')
    assert.equal((await peer.api('POST', '/api/plugins/rendezvous/enable')).status, 200)
    const again = await (await peer.api('GET', '/api/x/rendezvous/')).json() as typeof info
    assert.equal(again.relayPeerId, info.relayPeerId)
    assert.equal((await getJson(`${again.httpUrl}/healthz`)).ok, true)
  })
})

describe('rendezvous limits', () => {
  let peer: TestPeer
  let ws: string
  before(async () => {
    peer = await startTestPeer({ plugins: [rendezvous], config: testConfig({ relay: false, maxConnections: 2, helloTimeoutMs: 300 }) })
    const info = await (await peer.api('GET', '/api/x/rendezvous/')).json() as { httpUrl: string, relay: string[] }
    assert.deepEqual(info.relay, [])
    ws = info.httpUrl.replace(/^http/, 'ws') + '/ws'
  })
  after(async () => { await peer?.cleanup() })

  it('closes a connection that does not prove its key in time', async () => {
    const c = await Client.open(ws)
    await c.next(m => m.t === 'challenge')
    await c.error('timeout')
    assert.equal((await c.waitClosed(2000)).code, 4002)
  })

  it('refuses connections over maxConnections with 503, and admits again when one closes', async () => {
    const a = await Client.join(ws, await newId())
    const b = await Client.join(ws, await newId())
    await assert.rejects(Client.open(ws), (err: Error & { status?: number }) => err.status === 503)
    a.close()
    await waitFor(() => a.closed != null, 2000)
    await sleep(50)
    const c = await Client.join(ws, await newId())
    b.close()
    c.close()
  })
})

describe('goop rendezvous DIR (the CLI command)', () => {
  const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'core', 'bin', 'goop.js')
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'goop-rdv-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  const run = async (args: string[], ms = 20_000): Promise<{ code: number | null, stderr: string }> => await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => { child.kill('SIGKILL') }, ms)
    child.on('error', reject)
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stderr }) })
  })

  it('rejects bad arguments with one line and exit 2', async () => {
    for (const args of [['rendezvous'], ['rendezvous', dir, '--http-port', 'abc'], ['rendezvous', dir, '--bogus']]) {
      const r = await run(args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
      assert.match(r.stderr, /^goop: /)
    }
  })

  it('runs a peer with the rendezvous on the given ports until SIGTERM', async () => {
    const peerDir = join(dir, 'rdv')
    assert.equal((await run(['init', peerDir])).code, 0)
    // Keep this test on loopback: the folder's own settings merge with the command's ports.
    const cfg = JSON.parse(await readFile(join(peerDir, 'goop.json'), 'utf8'))
    cfg.network = { ...cfg.network, host: '127.0.0.1' }
    cfg.plugins = { ...cfg.plugins, rendezvous: { enabled: false, config: { host: '127.0.0.1', relayHost: '127.0.0.1' } } }
    await writeFile(join(peerDir, 'goop.json'), JSON.stringify(cfg, null, 2))
    const child = spawn(process.execPath, ['--no-node-snapshot', CLI, 'rendezvous', peerDir, '--http-port', '0', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { out += d.toString() })
    const exited = new Promise<number | null>(resolve => { child.on('exit', code => { resolve(code) }) })
    try {
      const file = join(peerDir, 'state', 'rendezvous', 'listen.json')
      const end = Date.now() + 15_000
      let listen: { httpUrl: string, relay: string[] } | undefined
      while (listen == null) {
        listen = await readFile(file, 'utf8').then(t => JSON.parse(t), () => undefined)
        if (listen == null) {
          if (Date.now() > end || child.exitCode != null) throw new Error(`no listen.json: ${out}`)
          await sleep(50)
        }
      }
      const health = await getJson(`${listen.httpUrl}/healthz`)
      assert.equal(health.ok, true)
      assert.ok(listen.relay.length > 0)
      assert.equal(JSON.parse(await readFile(join(peerDir, 'goop.json'), 'utf8')).plugins.rendezvous.enabled, false, 'enabled for this run only')
    } finally {
      child.kill('SIGTERM')
    }
    assert.equal(await exited, 0, out)
  })
})
