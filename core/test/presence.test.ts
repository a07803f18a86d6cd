import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PrivateKey, Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import {
  definePlugin, fromBase64Url, presenceSigningBytes, toBase64Url,
  type PeerEntry, type PluginContext, type PresenceRecord, type SignedPresence
} from '@goop/sdk'
import { encodeFrame, FrameReader, MQ_PROTOCOL, PRESENCE_PROTOCOL, PRESENCE_TOPIC, signPresence, verifyPresence } from '@goop/core'
import { connect, probe, startTestPeer, waitFor, type TestPeer } from '@goop/core/testing'

/**
 * Signed presence (issue 3): three real peers finding each other by mDNS in a network namespace of their
 * own, two peers connected directly, forged records from a real libp2p node, and blocking.
 */

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

interface Stats {
  accepted: number
  dropped: { malformed: number, oversize: number, bad_signature: number, wrong_peer: number, replay: number, blocked: number }
  blocked: string[]
}

const json = async <T>(res: Response, status = 200): Promise<T> => {
  const text = await res.text()
  assert.equal(res.status, status, text)
  return JSON.parse(text) as T
}
const peersOf = async (p: TestPeer): Promise<PeerEntry[]> => await json<PeerEntry[]>(await p.api('GET', '/api/peers'))
const statsOf = async (p: TestPeer): Promise<Stats> => await json<Stats>(await p.api('GET', '/api/presence'))

/** Poll `fn` until it returns something other than undefined; fail with `what` after `ms`. */
async function eventually<T> (fn: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > end) assert.fail(`${what}: not within ${ms} ms`)
    await sleep(50)
  }
}

/** A TCP port that is free on 127.0.0.1 right now. */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve) })
  const port = (server.address() as { port: number }).port
  await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  return port
}

/** A presence record as a peer would make it. */
const recordOf = (p: { id: string }, over: Partial<PresenceRecord> = {}): PresenceRecord =>
  ({ v: 1, peerId: p.id, name: 'someone', addrs: [], seq: Date.now(), fields: {}, ...over })

/** Sign any text at all (signPresence refuses oversize records; a forger does not). */
async function signRaw (key: PrivateKey, text: string): Promise<SignedPresence> {
  return { record: text, sig: toBase64Url(await key.sign(presenceSigningBytes(text))) }
}

// ---- 1. mDNS ------------------------------------------------------------------------------------------

describe('presence over mDNS: three peers as processes in a network namespace of their own', () => {
  interface Result {
    error?: string
    heartbeatMs: number
    ttlMs: number
    pollMs: number
    ids: Record<string, string>
    found: Record<string, number | null>
    foundTables?: unknown
    charlieOnlineBeforeKill: Record<string, boolean>
    killed?: Record<string, number | null>
    killedTables?: unknown
    bravoOnlineBeforeTerm: boolean
    termed?: Record<string, number | null>
    termedTables?: unknown
    bravoExit: { code: number | null, signal: string | null } | null
    logs: Record<string, string>
  }

  const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'presence-mdns.ts')
  const SH = `ip link set lo up && exec "${process.execPath}" --no-node-snapshot --import tsx --conditions=development "${FIXTURE}"`

  /** Run the fixture in `unshare --net`; a missing or forbidden unshare is a failure, not a skip. */
  async function runInNamespace (): Promise<Result> {
    const { code, stdout, stderr, spawnError } = await new Promise<{ code: number | null, stdout: string, stderr: string, spawnError?: NodeJS.ErrnoException }>((resolve) => {
      // Its own process group: on a timeout the whole group goes, the peers the fixture started too.
      const child = spawn('unshare', ['--net', 'sh', '-c', SH], { cwd: join(dirname(FIXTURE), '..', '..'), stdio: ['ignore', 'pipe', 'pipe'], detached: true })
      let out = ''
      let err = ''
      child.stdout.on('data', (d: Buffer) => { out += d.toString() })
      child.stderr.on('data', (d: Buffer) => { err += d.toString() })
      const killGroup = (): void => { try { if (child.pid != null) process.kill(-child.pid, 'SIGKILL') } catch { /* gone */ } }
      const timer = setTimeout(killGroup, 45_000)
      child.on('error', (e) => { clearTimeout(timer); resolve({ code: null, stdout: out, stderr: err, spawnError: e }) })
      child.on('close', (exit) => { clearTimeout(timer); killGroup(); resolve({ code: exit, stdout: out, stderr: err }) })
    })
    if (spawnError?.code === 'ENOENT') assert.fail('`unshare` is not installed: this test needs it (apt-get install util-linux) to run peers in their own network namespace')
    if (spawnError != null) assert.fail(`cannot run unshare: ${spawnError.message}`)
    if (/operation not permitted|EPERM/i.test(stderr) && !stdout.includes('{')) {
      assert.fail(`\`unshare --net\` was refused (EPERM): this test must run as root (or with CAP_SYS_ADMIN) to get its own network namespace.\n${stderr}`)
    }
    if (/\bip\b.*not found/i.test(stderr)) assert.fail(`\`ip\` is not installed: this test needs it (apt-get install iproute2).\n${stderr}`)
    const line = stdout.split('\n').find(l => l.startsWith('{'))
    if (line == null) assert.fail(`the presence fixture printed no result (exit code ${code}).\nstdout: ${stdout}\nstderr: ${stderr}`)
    const result = JSON.parse(line) as Result
    if (result.error != null) assert.fail(`the presence fixture failed: ${result.error}\nlogs: ${JSON.stringify(result.logs, null, 2)}\nstderr: ${stderr}`)
    assert.equal(code, 0, stderr)
    return result
  }

  let run: Promise<Result> | undefined
  const result = async (): Promise<Result> => await (run ??= runInNamespace())
  const explain = (r: Result, tables: unknown): string => `\ntables: ${JSON.stringify(tables, null, 1)}\nids: ${JSON.stringify(r.ids)}\nlogs: ${JSON.stringify(r.logs, null, 1)}`

  it('each lists the other two by name, online, with mdns among the sources, within 10 s of being started', async () => {
    const r = await result()
    for (const [name, ms] of Object.entries(r.found)) {
      assert.ok(ms != null && ms <= 10_000, `${name} did not list both others (by name, online, via mdns) within 10 s (${ms} ms)${explain(r, r.foundTables)}`)
    }
  })

  it('a SIGKILLed peer (no goodbye) goes offline at the others within TTL + one heartbeat', async () => {
    const r = await result()
    assert.deepEqual(r.charlieOnlineBeforeKill, { alpha: true, bravo: true }, 'charlie must be online before it is killed')
    // Observed by polling GET /api/peers every pollMs: the bound gets one poll (plus the request) of slack.
    const bound = r.ttlMs + r.heartbeatMs
    for (const [name, ms] of Object.entries(r.killed ?? {})) {
      assert.ok(ms != null, `${name} still shows the killed charlie online after ${r.ttlMs + r.heartbeatMs + 3000} ms${explain(r, r.killedTables)}`)
      assert.ok(ms <= bound + 2 * r.pollMs, `${name} showed the killed charlie offline after ${ms} ms, over TTL ${r.ttlMs} + heartbeat ${r.heartbeatMs}`)
    }
    assert.equal(Object.keys(r.killed ?? {}).length, 2)
  })

  it('a cleanly stopped (SIGTERM) peer goes offline at once (its goodbye), well under the TTL', async () => {
    const r = await result()
    assert.ok(r.bravoOnlineBeforeTerm, 'bravo must be online at alpha before it is stopped')
    const ms = r.termed?.alpha
    assert.ok(ms != null && ms <= 1500, `alpha showed the stopped bravo offline after ${ms} ms (TTL ${r.ttlMs})${explain(r, r.termedTables)}`)
    assert.deepEqual(r.bravoExit, { code: 0, signal: null }, 'bravo stops cleanly on SIGTERM')
  })
})

// ---- 2. direct --------------------------------------------------------------------------------------

describe('presence between two peers connected directly', () => {
  let a: TestPeer, b: TestPeer
  const pa = probe('probe-a')
  let title = 'B site'
  const announcer = definePlugin({
    name: 'site-title',
    version: '1.0.0',
    sdk: '^1.0.0',
    setup (ctx: PluginContext) { ctx.hooks.on('presence.announce', f => ({ ...f, siteTitle: title })) }
  })
  const sse: Array<{ event: string, data: any }> = []
  const seen: Record<string, PeerEntry[]> = { 'presence.online': [], 'presence.updated': [] }
  const stopSse = new AbortController()

  before(async () => {
    a = await startTestPeer({ plugins: [pa.plugin], config: { name: 'peer A' } })
    b = await startTestPeer({ plugins: [announcer], config: { name: 'peer B', presence: { heartbeatMs: 500, ttlMs: 4000 } } })
    for (const topic of ['presence.online', 'presence.updated'] as const) pa.mq().subscribe(topic, (entry) => { seen[topic]!.push(entry) })
    // A's event stream, open (and ready) before the peers meet.
    const res = await fetch(`http://127.0.0.1:${a.viewer!.port}/api/events`, { headers: { authorization: `Bearer ${a.viewer!.token}` }, signal: stopSse.signal })
    assert.equal(res.status, 200)
    void (async () => {
      let buf = ''
      try {
        for await (const chunk of res.body!) {
          buf += Buffer.from(chunk).toString()
          let i: number
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i)
            buf = buf.slice(i + 2)
            const event = /^event: (.*)$/m.exec(block)?.[1]
            const data = /^data: (.*)$/m.exec(block)?.[1]
            if (event != null && data != null) sse.push({ event, data: JSON.parse(data) })
          }
        }
      } catch { /* aborted at the end */ }
    })()
    await waitFor(() => sse.some(e => e.event === 'ready'), 5000, 'the SSE stream is ready')
    await connect(a, b)
  })
  after(async () => { stopSse.abort(); await a?.cleanup(); await b?.cleanup() })

  it('A lists B by its configured name, online, from source direct, with its addresses', async () => {
    const entry = await eventually(async () => (await peersOf(a)).find(e => e.peerId === b.id && e.online), 5000, 'B in A\'s /api/peers')
    assert.equal(entry.name, 'peer B')
    assert.deepEqual(entry.sources, ['direct'])
    assert.deepEqual(entry.addrs, b.addrs())
    assert.ok(entry.addrs.length > 0)
    assert.ok(Math.abs(Date.now() - entry.lastSeen) < 10_000, `lastSeen ${entry.lastSeen}`)
    // And the other way round.
    const back = await eventually(async () => (await peersOf(b)).find(e => e.peerId === a.id && e.online), 5000, 'A in B\'s /api/peers')
    assert.equal(back.name, 'peer A')
    assert.deepEqual(back.sources, ['direct'])
  })

  it('B\'s presence.announce hook fields show up in A\'s entry', async () => {
    const entry = (await peersOf(a)).find(e => e.peerId === b.id)
    assert.deepEqual(entry?.fields, { siteTitle: 'B site' })
  })

  it('presence.online for B arrives once, on A\'s MQ and on A\'s GET /api/events', async () => {
    await waitFor(() => sse.some(e => e.event === 'presence.online' && e.data.peerId === b.id), 5000, 'presence.online on the SSE stream')
    const onSse = sse.filter(e => e.event === 'presence.online' && e.data.peerId === b.id)
    assert.equal(onSse.length, 1, JSON.stringify(onSse))
    assert.equal(onSse[0]!.data.name, 'peer B')
    assert.equal(onSse[0]!.data.online, true)
    assert.deepEqual(onSse[0]!.data.fields, { siteTitle: 'B site' })
    const onMq = seen['presence.online']!.filter(e => e.peerId === b.id)
    assert.equal(onMq.length, 1, JSON.stringify(onMq))
    assert.equal(onMq[0]!.name, 'peer B')
    assert.deepEqual(onMq[0]!.sources, ['direct'])
    assert.equal(onMq[0]!.online, true)
    // Nothing changed since: no presence.updated (B heartbeats every 500 ms, A re-evaluates every second).
    await sleep(1200)
    assert.deepEqual(seen['presence.updated']!.filter(e => e.peerId === b.id), [])
    assert.ok(!sse.some(e => e.event === 'presence.updated'), JSON.stringify(sse.filter(e => e.event === 'presence.updated')))
  })

  it('a changed field goes out as presence.updated with B\'s next heartbeat', async () => {
    title = 'B site, renamed'
    await waitFor(() => seen['presence.updated']!.some(e => e.peerId === b.id && e.fields.siteTitle === title), 5000, 'presence.updated with the new title')
    await waitFor(() => sse.some(e => e.event === 'presence.updated' && e.data.peerId === b.id && e.data.fields.siteTitle === title), 5000, 'presence.updated on SSE')
    assert.deepEqual((await peersOf(a)).find(e => e.peerId === b.id)?.fields, { siteTitle: title })
    // Heartbeats that change nothing are no events.
    const n = seen['presence.updated']!.length
    await sleep(1200)
    assert.equal(seen['presence.updated']!.length, n, 'unchanged heartbeats must not publish presence.updated')
  })
})

// ---- 3. forged presence ------------------------------------------------------------------------------

describe('forged presence is dropped and counted', () => {
  // Slow heartbeats: the only records in flight are the ones this test sends.
  const slow = { heartbeatMs: 60_000, ttlMs: 120_000 }
  let a: TestPeer, b: TestPeer, c: TestPeer
  const rogues: TestPeer[] = []

  before(async () => {
    a = await startTestPeer({ config: { name: 'peer A', presence: slow } })
    b = await startTestPeer({ config: { name: 'peer B', presence: slow } })
    // A key and an ID, connected to no one. The records forged for it carry no addresses, so
    // nothing ever tries to reach it.
    c = await startTestPeer({ viewer: false, config: { name: 'peer C', presence: slow } })
    await connect(a, b)
    const pubsub = a.node.services.pubsub!
    await waitFor(() => pubsub.getSubscribers(PRESENCE_TOPIC).some(p => p.toString() === b.id), 10_000, 'B subscribed to goop.presence.v1 as A sees it')
    await eventually(async () => (await peersOf(b)).find(e => e.peerId === a.id && e.online), 5000, 'A in B\'s table')
  })
  after(async () => { for (const p of [a, b, c, ...rogues]) await p?.cleanup() })

  /** Publish raw bytes on the presence topic from A's libp2p node. */
  const publish = async (bytes: Uint8Array): Promise<void> => {
    const { recipients } = await a.node.services.pubsub!.publish(PRESENCE_TOPIC, bytes)
    assert.ok(recipients.some(p => p.toString() === b.id), 'the message went to B')
  }
  const publishEnv = async (env: unknown): Promise<void> => { await publish(new TextEncoder().encode(JSON.stringify(env))) }

  /** Run `send`, then expect B's counter `reason` (and nothing else) to go up by exactly one. */
  async function expectDrop (reason: keyof Stats['dropped'], send: () => Promise<void>): Promise<void> {
    const was = await statsOf(b)
    await send()
    await eventually(async () => {
      const s = await statsOf(b)
      return s.dropped[reason] > was.dropped[reason] ? s : undefined
    }, 5000, `B counts a ${reason} drop`)
    await sleep(100) // anything counted twice would show now
    const now = await statsOf(b)
    assert.deepEqual(now.dropped, { ...was.dropped, [reason]: was.dropped[reason] + 1 }, `expected exactly one more ${reason} than ${JSON.stringify(was.dropped)}`)
    assert.equal(now.accepted, was.accepted, `a dropped record must not count as accepted; B's table: ${JSON.stringify(await peersOf(b))}`)
  }

  /** B still lists A as A really is, and no one else but `others`. */
  async function tableIntact (others: Record<string, string> = {}): Promise<void> {
    const table = await peersOf(b)
    const byId = Object.fromEntries(table.map(e => [e.peerId, e.name]))
    assert.deepEqual(byId, { [a.id]: 'peer A', ...others })
    assert.deepEqual(table.find(e => e.peerId === a.id)?.fields, {})
  }

  it('a record signed by A\'s key with one bit of the signature flipped: bad_signature', async () => {
    const env = await signPresence(a.key, recordOf(a, { name: 'forged A', seq: Date.now() + 1e9 }))
    const sig = fromBase64Url(env.sig)
    sig[5]! ^= 0x01
    await expectDrop('bad_signature', async () => { await publishEnv({ record: env.record, sig: toBase64Url(sig) }) })
    // The record text changed after signing (the name), signature intact: bad_signature too.
    const real = await signPresence(a.key, recordOf(a, { name: 'peer A', seq: Date.now() + 1e9 }))
    await expectDrop('bad_signature', async () => { await publishEnv({ record: real.record.replace('"peer A"', '"forged A"'), sig: real.sig }) })
    await tableIntact()
  })

  it('a record for another peer\'s ID signed with A\'s key: bad_signature, and that peer stays out of the table', async () => {
    const env = await signPresence(a.key, recordOf(c, { name: 'not really C' }))
    await expectDrop('bad_signature', async () => { await publishEnv(env) })
    await tableIntact()
  })

  it('an older sequence number of a real record: replay, and the newer record stays', async () => {
    const ten = await signPresence(c.key, recordOf(c, { name: 'C ten', seq: 10 }))
    const five = await signPresence(c.key, recordOf(c, { name: 'C five', seq: 5 }))
    const tenAgain = await signPresence(c.key, recordOf(c, { name: 'C ten again', seq: 10 }))
    // The newer one, validly signed by C: accepted (relayed by A — gossip is not where a record is from).
    const { accepted } = await statsOf(b)
    await publishEnv(ten)
    await eventually(async () => (await peersOf(b)).find(e => e.peerId === c.id && e.name === 'C ten'), 5000, 'C (seq 10) in B\'s table')
    assert.equal((await statsOf(b)).accepted, accepted + 1)
    await expectDrop('replay', async () => { await publishEnv(five) })
    // The same sequence number with other contents is a replay too…
    await expectDrop('replay', async () => { await publishEnv(tenAgain) })
    // …but the very same record again is only a sign of life: neither dropped nor accepted anew.
    const mid = await statsOf(b)
    await publishEnv(ten)
    await sleep(300)
    const end = await statsOf(b)
    assert.deepEqual(end.dropped, mid.dropped)
    assert.equal(end.accepted, mid.accepted)
    await tableIntact({ [c.id]: 'C ten' })
  })

  it('an oversize record (validly signed, over 4096 bytes): oversize; so is a gossip message over 8 KiB', async () => {
    const fields = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, 'x'.repeat(250)]))
    const text = JSON.stringify(recordOf(a, { name: 'big A', seq: Date.now() + 2e9, fields }))
    assert.ok(text.length > 4096 && text.length < 8000, `record of ${text.length} bytes`)
    await expectDrop('oversize', async () => { await publishEnv(await signRaw(a.key, text)) })
    const huge = JSON.stringify(recordOf(a, { name: 'huge A', seq: Date.now() + 3e9, fields: { ...fields, ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`g${i}`, 'y'.repeat(250)])) } }))
    assert.ok(huge.length > 8192)
    await expectDrop('oversize', async () => { await publishEnv(await signRaw(a.key, huge)) })
    await tableIntact({ [c.id]: 'C ten' })
  })

  it('malformed JSON and malformed envelopes: malformed', async () => {
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
    await expectDrop('malformed', async () => { await publish(enc('{"record": "this is not json')) })
    await expectDrop('malformed', async () => { await publish(Uint8Array.from([0xff, 0xfe, 0x00, 0x7b])) })
    await expectDrop('malformed', async () => { await publish(enc('[1,2,3]')) })
    await expectDrop('malformed', async () => { await publishEnv({ record: 'not json {', sig: 'AAAA' }) })
    // JSON that is not a valid record (no peerId), validly signed.
    await expectDrop('malformed', async () => { await publishEnv(await signRaw(a.key, JSON.stringify({ v: 1, name: 'x', addrs: [], seq: 1 }))) })
    await tableIntact({ [c.id]: 'C ten' })
  })

  it('a peer answering /goop/presence/1.0.0 with another peer\'s (validly signed) record: wrong_peer', async () => {
    // X is a real peer whose presence protocol answers with C's record, newer than the one B holds.
    const x = await startTestPeer({ viewer: false, config: { name: 'peer X', presence: slow } }); rogues.push(x)
    const cs = await signPresence(c.key, recordOf(c, { name: 'C via X', seq: 20 }))
    await x.node.unhandle(PRESENCE_PROTOCOL)
    await x.node.handle(PRESENCE_PROTOCOL, async (stream: Stream) => {
      try {
        const reader = new FrameReader(stream, 65_536)
        const frame = await reader.read({ idleMs: 5000, frameMs: 5000 })
        if (frame != null) stream.send(encodeFrame({ header: { i: frame.header.i, k: 'r', b: cs } }, 65_536))
        await stream.close()
      } catch (err) { stream.abort(err as Error) }
    })
    // The record itself is fine: it is C's, signed by C.
    assert.equal((await verifyPresence(cs, c.id)).record.name, 'C via X')
    await assert.rejects(verifyPresence(cs, x.id), (err: any) => err.reason === 'wrong_peer')
    // B asks X for its record when they connect, and gets C's.
    await expectDrop('wrong_peer', async () => { await connect(x, b) })
    await tableIntact({ [c.id]: 'C ten' })
  })
})

// ---- 4. blocking -------------------------------------------------------------------------------------

describe('blocking a peer', () => {
  let a: TestPeer, b: TestPeer, c: TestPeer
  let bDir: string, bPort: number
  const pa = probe('probe-a')
  const got: Array<{ payload: unknown, from: string }> = []
  const receiver = (name: string, gate?: { reached: () => void, open: Promise<void> }) => definePlugin({
    name,
    version: '1.0.0',
    sdk: '^1.0.0',
    async setup (ctx: PluginContext) {
      ctx.mq.receive('hello', (payload, meta) => { got.push({ payload, from: meta.from }) })
      if (gate != null) { gate.reached(); await gate.open }
    }
  })
  const blockedFile = async (): Promise<unknown> => JSON.parse(await readFile(join(bDir, 'state', 'blocked.json'), 'utf8'))
  const bAddr = (): string => `/ip4/127.0.0.1/tcp/${bPort}/p2p/${b.id}`
  /**
   * libp2p refuses more than 5 inbound connections a second from one host, and every peer here is
   * 127.0.0.1: wait that window out before a dial whose outcome means something, so a refusal is B's
   * doing and not the rate limiter's.
   */
  const quiet = async (): Promise<void> => { await sleep(1100) }
  const dialB = async (from: TestPeer): Promise<unknown> => await from.node.dial(multiaddr(bAddr()), { signal: AbortSignal.timeout(3000) })
  /**
   * `from` cannot get through to B. Its dial may still resolve: with Noise the dialer finishes the
   * handshake before the listener learns who it is, so B can only drop the connection right after, which
   * it must do at once. And no stream opens.
   */
  const refused = async (from: TestPeer, what: string): Promise<void> => {
    await quiet()
    await dialB(from).catch(() => {})
    await waitFor(() => from.node.getConnections(b.node.peerId).length === 0, 2000, `${what}: B dropped the connection`)
    await assert.rejects(from.node.dialProtocol(multiaddr(bAddr()), MQ_PROTOCOL, { signal: AbortSignal.timeout(3000) }), `${what}: a stream to B opened`)
    await waitFor(() => from.node.getConnections(b.node.peerId).length === 0, 2000, `${what}: B dropped the connection`)
  }

  before(async () => {
    bDir = await mkdtemp(join(tmpdir(), 'goop-block-'))
    bPort = await freePort()
    a = await startTestPeer({ plugins: [pa.plugin], config: { name: 'peer A', presence: { heartbeatMs: 500, ttlMs: 4000 } } })
    b = await startTestPeer({ dir: bDir, plugins: [receiver('recv')], config: { name: 'peer B', network: { port: bPort } } })
    // C sits between A and B (and relays A's gossip); its own heartbeat is slow, so only a direct fetch brings its record.
    c = await startTestPeer({ config: { name: 'peer C', presence: { heartbeatMs: 60_000, ttlMs: 120_000 } } })
    await connect(a, b)
    await connect(a, c)
    await connect(c, b)
    await eventually(async () => (await peersOf(b)).find(e => e.peerId === a.id && e.online), 5000, 'A in B\'s table')
    await pa.mq().send(b.id, 'hello', { n: 0 }, { deadlineMs: 5000 })
    assert.deepEqual(got, [{ payload: { n: 0 }, from: a.id }])
  })
  after(async () => {
    for (const p of [a, b, c]) await p?.cleanup()
    await rm(bDir, { recursive: true, force: true })
  })

  it('B blocks A: A leaves B\'s table, B hangs up, A cannot reconnect nor send, and the block is saved', async () => {
    const res = await json<{ peerId: string, blocked: boolean }>(await b.api('POST', `/api/peers/${a.id}/block`))
    assert.deepEqual(res, { peerId: a.id, blocked: true })
    assert.ok(!(await peersOf(b)).some(e => e.peerId === a.id), 'A is still in B\'s /api/peers')
    await waitFor(() => a.node.getConnections(b.node.peerId).length === 0, 5000, 'B hung up on A')
    await refused(a, 'A reconnecting')
    assert.equal(b.node.getConnections(a.node.peerId).length, 0)
    await assert.rejects(pa.mq().send(b.id, 'hello', { n: 1 }, { deadlineMs: 1500 }), 'A\'s mq.send to B went through')
    assert.deepEqual(got.map(g => g.payload), [{ n: 0 }])
    assert.deepEqual(await blockedFile(), [a.id])
    assert.deepEqual((await statsOf(b)).blocked, [a.id])
    // C still talks to B (only A is blocked).
    assert.ok(b.node.getConnections(c.node.peerId).length > 0)
  })

  it('A\'s records still relayed to B by C are dropped as blocked; A stays hidden', async () => {
    const was = (await statsOf(b)).dropped.blocked
    await eventually(async () => (await statsOf(b)).dropped.blocked > was ? true : undefined, 5000, 'a blocked drop at B (A\'s heartbeat through C)')
    assert.ok(!(await peersOf(b)).some(e => e.peerId === a.id))
    // C sees A as usual.
    assert.ok((await peersOf(c)).some(e => e.peerId === a.id && e.online))
  })

  it('the block survives a restart, and holds from the moment B\'s node is up (while plugins still load)', async () => {
    await b.stop()
    let reached!: () => void
    let open!: () => void
    const isReached = new Promise<void>(resolve => { reached = resolve })
    const gate = { reached, open: new Promise<void>(resolve => { open = resolve }) }
    const starting = startTestPeer({ dir: bDir, plugins: [receiver('recv2', gate)] })
    try {
      await Promise.race([isReached, starting.then(() => { throw new Error('B started without running its plugin') })])
      // B's node listens; its plugins are not done yet. A must not get in, C may.
      await refused(a, 'A while B was starting')
      await c.node.dial(multiaddr(bAddr()), { signal: AbortSignal.timeout(3000) })
      await sleep(500) // B has taken C's connection in fully, still before presence starts
      assert.ok(c.node.getConnections(b.node.peerId).length > 0, 'B (starting) dropped C')
    } finally {
      open()
      b = await starting
    }
    assert.deepEqual((await statsOf(b)).blocked, [a.id])
    assert.ok(!(await peersOf(b)).some(e => e.peerId === a.id))
    assert.equal(b.node.getConnections(a.node.peerId).length, 0)
    await refused(a, 'A after B restarted')
    // C connected while B's plugins loaded: B still asked it for its record (C's own heartbeat is a minute away).
    const entry = await eventually(async () => (await peersOf(b)).find(e => e.peerId === c.id && e.online), 5000, 'C in the restarted B\'s table')
    assert.equal(entry.name, 'peer C')
    assert.deepEqual(entry.sources, ['direct'])
  })

  it('after unblock, A connects again, shows up again and its messages arrive', async () => {
    const res = await json<{ peerId: string, blocked: boolean }>(await b.api('POST', `/api/peers/${a.id}/unblock`))
    assert.deepEqual(res, { peerId: a.id, blocked: false })
    assert.deepEqual(await blockedFile(), [])
    assert.deepEqual((await statsOf(b)).blocked, [])
    await quiet()
    await dialB(a)
    await sleep(300)
    assert.ok(a.node.getConnections(b.node.peerId).length > 0, 'B dropped A\'s connection after the unblock')
    const entry = await eventually(async () => (await peersOf(b)).find(e => e.peerId === a.id && e.online), 5000, 'A back in B\'s table')
    assert.equal(entry.name, 'peer A')
    await pa.mq().send(b.id, 'hello', { n: 2 }, { deadlineMs: 5000 })
    assert.deepEqual(got.at(-1), { payload: { n: 2 }, from: a.id })
  })

  it('blocking itself or something that is not a peer ID: 400 with a message', async () => {
    for (const [target, message] of [[b.id, /itself/], ['not-a-peer-id', /not a peer ID/], ['12D3KooWnotreally', /not a peer ID/]] as const) {
      const body = await json<{ error: { code: string, message: string } }>(await b.api('POST', `/api/peers/${target}/block`), 400)
      assert.equal(body.error.code, 'bad_request')
      assert.match(body.error.message, message)
    }
    assert.deepEqual((await statsOf(b)).blocked, [])
    assert.deepEqual(await blockedFile(), [])
  })
})
