import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PeerEntry } from '@goop/sdk'
import { probe, startTestPeer, type TestPeer } from '@goop/core/testing'
import { freePort, initPeerDir, PeerProcess, RendezvousProcess, sleep } from './helpers/processes.js'

/**
 * Issue 3, end to end with real processes: peers joined only through a rendezvous server (mDNS off)
 * find each other and find each other again after the rendezvous restarts; two peers that can reach
 * each other only through the rendezvous' circuit relay talk over it and keep their reservation
 * across a relay restart. The rendezvous is always its own `goop rendezvous` process, so that it
 * really stops and starts again (on the same ports, with the same relay key).
 */

const HEARTBEAT_MS = 1000
const TTL_MS = 4000
const PRESENCE = { heartbeatMs: HEARTBEAT_MS, ttlMs: TTL_MS }

/** Poll `fn` until it returns something other than undefined; fail with `what()` after `ms`. */
async function eventually<T> (fn: () => Promise<T | undefined> | T | undefined, ms: number, what: () => string): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > end) assert.fail(`not within ${ms} ms: ${what()}`)
    await sleep(50)
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`

// ---- 1. five (then six) peer processes and one rendezvous process ----------------------------------

describe('rendezvous: peer processes joined only through a rendezvous process (mDNS off)', () => {
  /*
   * These peers are `network.reachability: "public"`: they do not look for a relay slot. A peer that
   * does ("auto", the default) lets libp2p's relay discovery dial every peer it learns of (here: every
   * record the rendezvous hands it) until it holds a reservation, to ask whether that peer is a relay;
   * peers started together then end up connected directly, pull each other's records over those
   * connections and stay online for each other without the rendezvous, which would hide whether the
   * rendezvous did its job. With "public", the rendezvous is the only path between them: the test
   * checks that (sources is exactly ["rendezvous"]) and that they all go offline while it is down.
   * Relay reservations are the subject of the second group below.
   */
  let root: string
  let httpPort: number
  let relayPort: number
  let rdv: RendezvousProcess | undefined
  const peers: PeerProcess[] = []
  let rdvDir: string

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'goop-rdv-e2e-'))
    httpPort = await freePort()
    relayPort = await freePort()
    rdvDir = join(root, 'rdv')
  })
  after(async () => {
    for (const p of peers) p.proc.kill()
    rdv?.proc.kill()
    await Promise.all([...peers.map(async p => await p.proc.exited), rdv?.proc.exited])
    await rm(root, { recursive: true, force: true })
  })

  /** What `p` lists: the peer IDs it shows online, found through the rendezvous and nothing else. */
  async function onlineAt (p: PeerProcess): Promise<Set<string>> {
    const list = await p.api<PeerEntry[]>('/peers')
    for (const e of list) assert.deepEqual(e.sources, ['rendezvous'], `${p.dir.slice(-2)} knows ${e.name ?? e.peerId} only through the rendezvous`)
    return new Set(list.filter(e => e.online).map(e => e.peerId))
  }

  /** Who is missing from whose list (empty once every peer lists every other online via the rendezvous). */
  async function missing (group: PeerProcess[]): Promise<string[]> {
    const out: string[] = []
    await Promise.all(group.map(async (p) => {
      const seen = await onlineAt(p)
      for (const q of group) if (q !== p && !seen.has(q.peerId)) out.push(`${p.dir.slice(-2)} misses ${q.dir.slice(-2)}`)
    }))
    return out.toSorted()
  }

  async function converge (group: PeerProcess[], ms: number): Promise<void> {
    let last: string[] = []
    await eventually(async () => { last = await missing(group); return last.length === 0 ? true : undefined }, ms,
      () => `${last.join(', ')}\n${rdv?.proc.output() ?? ''}`)
  }

  async function startPeer (name: string): Promise<PeerProcess> {
    const dir = join(root, name)
    await initPeerDir(dir, name, root, { presence: PRESENCE, network: { reachability: 'public' } })
    const p = await PeerProcess.start(dir, root, ['--rendezvous', rdv!.url])
    peers.push(p)
    return p
  }

  it('five peers list each other online, found through the rendezvous, within 10 s', async (t) => {
    rdv = await RendezvousProcess.start(rdvDir, root, httpPort, relayPort)
    assert.equal(rdv.url, `http://127.0.0.1:${httpPort}`)
    assert.ok(rdv.listen.relay.some(a => a.startsWith(`/ip4/127.0.0.1/tcp/${relayPort}/p2p/`)), rdv.listen.relay.join(', '))

    const spawned = Date.now()
    const five = await Promise.all(['p1', 'p2', 'p3', 'p4', 'p5'].map(startPeer))
    const running = Date.now()
    await converge(five, 10_000)
    const converged = Date.now()
    t.diagnostic(`5 peers: processes up in ${seconds(running - spawned)}, all list all online ${seconds(converged - running)} later (heartbeat ${HEARTBEAT_MS} ms)`)
    assert.ok(converged - running <= 10_000)

    // The rendezvous' public list agrees, and holds no addresses.
    const listed = await rdv.get<Array<Record<string, unknown>>>('/peers')
    assert.deepEqual(listed.map(e => e.peerId).toSorted(), five.map(p => p.peerId).toSorted())
    for (const e of listed) assert.equal(e.addrs, undefined)
  })

  it('after the rendezvous restarts on the same ports they reconnect and converge again; a sixth peer that joins afterwards is seen by all', async (t) => {
    const five = [...peers]
    assert.equal(five.length, 5, 'the previous test started five peers')
    const stopped = Date.now()
    assert.deepEqual(await rdv!.proc.stop(), { code: 0, signal: null }, 'the rendezvous stops cleanly on SIGTERM')

    // Every peer notices at once; with no other path between them, all go offline for all once the
    // TTL runs out. The server stays down that long, so the clients also go through several failed
    // attempts (the backoff grows) before it is back. Whatever is online later was learned afresh.
    await eventually(async () => {
      const stats = await Promise.all(five.map(async p => await p.api<{ rendezvous: Array<{ connected: boolean }> }>('/presence')))
      return stats.every(s => s.rendezvous.length === 1 && !s.rendezvous[0].connected) ? true : undefined
    }, 5000, () => 'every peer notices that the rendezvous is gone')
    let still: string[] = []
    await eventually(async () => {
      still = (await Promise.all(five.map(async p => [...await onlineAt(p)].map(id => `${p.dir.slice(-2)} sees ${id.slice(-6)}`)))).flat()
      return still.length === 0 ? true : undefined
    }, TTL_MS + 3 * HEARTBEAT_MS, () => `peers still online without the rendezvous: ${still.join(', ')}`)
    const allOffline = Date.now()

    rdv = await RendezvousProcess.start(rdvDir, root, httpPort, relayPort)
    const restarted = Date.now()
    assert.equal(rdv.url, `http://127.0.0.1:${httpPort}`)
    // The new server starts empty: every peer must reconnect (backoff), prove its key and publish again.
    await eventually(async () => ((await rdv!.get<unknown[]>('/peers')).length === 5 ? true : undefined), 20_000,
      () => 'all five peers reconnect to the restarted rendezvous')
    const reconnected = Date.now()
    await converge(five, 10_000)
    const reconverged = Date.now()
    for (const p of five) {
      const s = await p.api<{ rendezvous: Array<{ url: string, connected: boolean }> }>('/presence')
      assert.deepEqual(s.rendezvous, [{ url: rdv.url, connected: true }])
    }
    t.diagnostic(`rendezvous down ${seconds(restarted - stopped)} (all offline for all ${seconds(allOffline - stopped)} after SIGTERM); ` +
      `after the restart all five reconnected in ${seconds(reconnected - restarted)} and all list all online again in ${seconds(reconverged - restarted)}`)

    // A peer that exists only after the restart: if the others see it, their table is live, not left over.
    const joining = Date.now()
    const sixth = await startPeer('p6')
    await converge([...five, sixth], 10_000)
    t.diagnostic(`a sixth peer, started after the restart, is listed by all and lists all ${seconds(Date.now() - joining)} after its start`)
    assert.equal((await rdv.get<unknown[]>('/peers')).length, 6)
  })
})

// ---- 2. two peers that can reach each other only through the relay ---------------------------------

describe('rendezvous: two peers that reach each other only through the relay', () => {
  /*
   * Both peers run in this process (so the test can look at their libp2p connections and peer stores)
   * with network.reachability 'relayed': they listen on 127.0.0.1 but announce ONLY their relayed
   * addresses (<relay>/p2p-circuit/p2p/<id>), in their presence records and over identify alike. The
   * rendezvous (and its relay) is a separate `goop rendezvous` process, so it can really restart.
   *
   * DCUtR stays ON (the default): it could upgrade a relayed connection to a direct one, which would
   * defeat the point. It cannot here, and the test checks that it did not: DCUtR only dials addresses
   * the other side announces or observes that are public and not relayed — these peers announce no
   * direct address at all, and loopback is private anyway. So no extra gater or `dcutr: false` is
   * needed; every check below asserts that each connection between the two is limited (relayed) and
   * that neither peer store holds a direct address of the other.
   */
  const BULK = '/goop-test/bulk/1.0.0'
  const CHUNK = 512 * 1024
  const CHUNKS = 20 // 10 MiB
  let root: string
  let httpPort: number
  let relayPort: number
  let rdv: RendezvousProcess | undefined
  const pa = probe('pa')
  const pb = probe('pb')
  let a: TestPeer
  let b: TestPeer
  const inbox: Record<string, Array<{ payload: unknown, from: string }>> = { a: [], b: [] }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'goop-relay-e2e-'))
    httpPort = await freePort()
    relayPort = await freePort()
    rdv = await RendezvousProcess.start(join(root, 'rdv'), root, httpPort, relayPort)
    const config = (name: string): Record<string, unknown> => ({
      name,
      presence: { rendezvous: [rdv!.url], ...PRESENCE },
      network: { reachability: 'relayed' }
    })
    ;[a, b] = await Promise.all([
      startTestPeer({ plugins: [pa.plugin], config: config('relay-a') }),
      startTestPeer({ plugins: [pb.plugin], config: config('relay-b') })
    ])
    pa.mq().receive('test.relay.*', (payload, meta) => { inbox.a.push({ payload, from: meta.from }) })
    pb.mq().receive('test.relay.*', (payload, meta) => { inbox.b.push({ payload, from: meta.from }) })
    // The bulk protocol, through the kernel's stream service: allowed over limited (relayed) connections.
    pb.ctx().streams.handle(BULK, (req) => {
      const bytes = req.bytes ?? new Uint8Array(0)
      return { body: { n: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), limited: req.limited } }
    }, { allowLimited: true })
  })
  after(async () => {
    await Promise.all([a?.cleanup(), b?.cleanup()])
    if (rdv?.proc.running === true) await rdv.proc.stop().catch(() => { rdv?.proc.kill() })
    await rm(root, { recursive: true, force: true })
  })

  const circuit = (addrs: string[]): boolean => addrs.length > 0 && addrs.every(s => s.includes('/p2p-circuit'))
  const own = (p: TestPeer): string[] => p.node.getMultiaddrs().map(String)

  /** Every connection between the two is relayed and limited; the other's peer store entry holds only relayed addresses. */
  async function assertRelayedOnly (): Promise<void> {
    for (const [x, y] of [[a, b], [b, a]] as const) {
      const conns = x.node.getConnections(y.node.peerId)
      assert.ok(conns.length > 0, `${x.config.name} has a connection to ${y.config.name}`)
      for (const c of conns) {
        assert.ok(c.remoteAddr.toString().includes('/p2p-circuit'), `${x.config.name} → ${y.config.name} is relayed: ${c.remoteAddr.toString()}`)
        assert.notEqual(c.limits, undefined, `${x.config.name} → ${y.config.name} (${c.remoteAddr.toString()}) is a limited connection`)
      }
      const stored = (await x.node.peerStore.get(y.node.peerId)).addresses.map(s => s.multiaddr.toString())
      assert.ok(circuit(stored), `${x.config.name}'s peer store has only relayed addresses of ${y.config.name}: ${stored.join(', ')}`)
    }
  }

  /** Both peers hold a reservation on the relay (and so announce a relayed address), and see each other's current record. */
  async function reserved (ms: number): Promise<void> {
    await eventually(() => circuit(own(a)) && circuit(own(b)) ? true : undefined, ms,
      () => `both peers hold a reservation: a ${own(a).join(', ')}; b ${own(b).join(', ')}`)
    await eventually(() => {
      const ab = a.presence.get(b.id)
      const ba = b.presence.get(a.id)
      return ab?.online === true && ba?.online === true && circuit(ab.addrs) && circuit(ba.addrs) ? true : undefined
    }, ms, () => `each lists the other online with its relayed addresses: ${JSON.stringify([a.presence.get(b.id), b.presence.get(a.id)])}`)
  }

  /** A message each way over the MQ; resolves once both arrived. */
  async function exchange (tag: string): Promise<void> {
    await Promise.all([
      pa.mq().send(b.id, `test.relay.${tag}`, { from: 'a', tag }, { deadlineMs: 15_000 }),
      pb.mq().send(a.id, `test.relay.${tag}`, { from: 'b', tag }, { deadlineMs: 15_000 })
    ])
    assert.deepEqual(inbox.b.filter(m => (m.payload as { tag: string }).tag === tag), [{ payload: { from: 'a', tag }, from: a.id }])
    assert.deepEqual(inbox.a.filter(m => (m.payload as { tag: string }).tag === tag), [{ payload: { from: 'b', tag }, from: b.id }])
  }

  it('announce no direct address, find each other through the rendezvous and exchange MQ messages over a relayed connection', async (t) => {
    const start = Date.now()
    await reserved(10_000)
    t.diagnostic(`reservations held and records exchanged ${seconds(Date.now() - start)} after start`)
    // Nothing but relayed addresses leaves either peer, although both listen on 127.0.0.1.
    assert.ok(circuit(own(a)) && circuit(own(b)))
    await exchange('first')
    await assertRelayedOnly()
  })

  it('move 10 MB over a stream through the relay (and DCUtR did not make it direct)', async (t) => {
    const channel = pa.ctx().streams.open(b.id, BULK)
    const chunks = Array.from({ length: CHUNKS }, () => randomBytes(CHUNK))
    const start = Date.now()
    const replies = []
    for (const bytes of chunks) replies.push((await channel.request<{ n: number, sha256: string, limited: boolean }>({}, { bytes, timeoutMs: 30_000 })).body)
    const ms = Date.now() - start
    const total = replies.reduce((n, r) => n + r.n, 0)
    assert.equal(total, CHUNK * CHUNKS)
    for (const [i, r] of replies.entries()) {
      assert.equal(r.sha256, createHash('sha256').update(chunks[i]).digest('hex'), `chunk ${i} arrived intact`)
      assert.equal(r.limited, true, `chunk ${i} came over a limited (relayed) connection`)
    }
    t.diagnostic(`${(total / 1024 / 1024).toFixed(0)} MiB through the relay in ${seconds(ms)} (${(total / 1024 / 1024 / (ms / 1000)).toFixed(1)} MiB/s)`)
    channel.close()
    await assertRelayedOnly()
  })

  it('after the relay process restarts, both reservations come back without restarting the peers, and MQ works through it again', async (t) => {
    const stopping = Date.now()
    assert.deepEqual(await rdv!.proc.stop(), { code: 0, signal: null })
    // The reservation goes with the relay: the relayed addresses disappear.
    await eventually(() => !own(a).some(s => s.includes('/p2p-circuit')) && !own(b).some(s => s.includes('/p2p-circuit')) ? true : undefined,
      10_000, () => `relayed addresses gone after the relay stopped: a ${own(a).join(', ')}; b ${own(b).join(', ')}`)
    const gone = Date.now()
    assert.equal(a.node.getConnections(b.node.peerId).length, 0, 'no connection between them without the relay')

    rdv = await RendezvousProcess.start(rdv!.dir, root, httpPort, relayPort)
    const restarted = Date.now()
    await reserved(20_000)
    const back = Date.now()
    await exchange('after-restart')
    const delivered = Date.now()
    await assertRelayedOnly()
    t.diagnostic(`relayed addresses gone ${seconds(gone - stopping)} after SIGTERM; after the restart both reserved again in ${seconds(back - restarted)}, ` +
      `MQ both ways ${seconds(delivered - back)} later`)
  })
})
