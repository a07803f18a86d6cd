import { randomBytes } from 'node:crypto'
import type { WebSocket } from 'ws'
import {
  ClientMessageSchema, fromBase64Url, MAX_PRESENCE_BYTES, PresenceRecordSchema, presenceSigningBytes, RENDEZVOUS_MAX_MESSAGE,
  rendezvousAuthBytes, toBase64Url, type ClientMessage, type Logger, type PresenceRecord
} from '@goop/sdk'

/** Why a message was dropped: the keys of `dropped` in GET /healthz. */
export const DROP_REASONS = [
  'too_large', // a WebSocket message over RENDEZVOUS_MAX_MESSAGE bytes (the connection is closed)
  'rate_limited', // over the per-connection token bucket
  'malformed', // not JSON
  'bad_message', // JSON, but not one of the client messages (unknown type, wrong fields)
  'unauthenticated', // publish/ping/connect before a proven hello
  'bad_auth', // hello whose signature does not verify (the connection is closed)
  'oversize', // a presence record over MAX_PRESENCE_BYTES
  'bad_record', // a record that is not JSON or not a presence record
  'wrong_peer', // a record for another peer ID than the connection proved
  'replay', // seq not above the last one stored for that peer
  'bad_signature', // a record whose signature does not verify
  'punch_refused' // connect to a peer that is not here, to itself, or again within the cooldown
] as const
export type DropReason = typeof DROP_REASONS[number]

/** WebSocket close codes the server uses (README, "Closing"). */
export const CLOSE = {
  policy: 1008, // protocol violation: bad hello, flooding
  tooBig: 1009, // a message over RENDEZVOUS_MAX_MESSAGE
  full: 1013, // maxConnections reached
  replaced: 4001, // the same peer ID proved its key on a newer connection
  timeout: 4002, // no hello in time, or no ping/publish within the TTL
  slow: 4003 // the client does not read: too much is buffered for it
} as const

export interface ServerOptions {
  ttlMs: number
  helloTimeoutMs: number
  maxConnections: number
  maxConnectionsPerIp: number
  rateLimitPerSecond: number
  rateLimitBurst: number
  maxBufferedBytes: number
  punchCooldownMs: number
  /** Deltas are collected for this long and written to each connection together. */
  batchMs: number
}

export interface Verifier {
  verify(peerId: string, data: Uint8Array, sig: Uint8Array): Promise<boolean>
}

/** One WebSocket connection. */
interface Client {
  readonly ws: WebSocket
  readonly ip: string
  readonly nonce: string
  /** Set once hello verified. */
  peerId?: string
  lastSeen: number
  tokens: number
  refilledAt: number
  /** Messages dropped for the rate since the last one accepted. */
  overLimit: number
  helloTimer?: ReturnType<typeof setTimeout>
  /** Messages wait here while an earlier one (hello, publish) is being verified: order per connection holds. */
  busy: boolean
  pending: ClientMessage[]
  detached: boolean
  /** The first delta this connection gets: earlier ones are already in its snapshot. */
  since: number
}

/** One delta, framed once for every connection. */
interface Delta {
  id: number
  /** The JSON text, encoded. */
  payload: Uint8Array
  /** The same as a complete WebSocket text frame (server frames are unmasked, so identical for all). */
  frame: Buffer
  /** The connection that caused it, which does not get it. */
  except?: Client
}

/** One peer's current record. */
interface Entry {
  peerId: string
  record: PresenceRecord
  seq: number
  /** Everything but seq, to tell an update from a heartbeat. */
  content: string
  /** `{"record":…,"sig":…}`, serialized once: the snapshot and every delta reuse it. */
  wire: string
  client: Client
}

const enc = new TextEncoder()

function contentKey (r: PresenceRecord): string {
  return JSON.stringify([r.v, r.name, r.addrs, Object.entries(r.fields).toSorted(([a], [b]) => a < b ? -1 : a > b ? 1 : 0), r.bye === true])
}

/** An unmasked, unfragmented WebSocket text frame (RFC 6455 §5.2), as a server sends it. */
export function textFrame (payload: Uint8Array): Buffer {
  const n = payload.byteLength
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10
  const frame = Buffer.allocUnsafe(head + n)
  frame[0] = 0x81 // FIN, opcode 1 (text)
  if (n < 126) frame[1] = n
  else if (n < 65536) { frame[1] = 126; frame.writeUInt16BE(n, 2) } else { frame[1] = 127; frame.writeBigUInt64BE(BigInt(n), 2) }
  frame.set(payload, head)
  return frame
}

/**
 * The socket under a `ws` connection, to write pre-framed deltas to it in one call. Only when no
 * extension (permessage-deflate) is in use: then `ws` writes every frame synchronously and whole, so
 * frames written here never interleave with its own. Otherwise undefined, and `ws.send` is used.
 */
function rawSocket (ws: WebSocket): { write(buf: Uint8Array): boolean } | undefined {
  const socket = (ws as unknown as { _socket?: { write?: unknown } })._socket
  return ws.extensions === '' && typeof socket?.write === 'function' ? socket as { write(buf: Uint8Array): boolean } : undefined
}

function byteLength (text: string): number {
  // A UTF-16 unit is at most 3 UTF-8 bytes: skip the count for short texts.
  return text.length * 3 <= RENDEZVOUS_MAX_MESSAGE ? text.length : Buffer.byteLength(text)
}

/**
 * The rendezvous state and protocol: connections, proven peer IDs, the current signed records, and
 * the deltas between them. Transport-agnostic: the listener hands it opened sockets and text messages.
 */
export class RendezvousServer {
  private readonly clients = new Set<Client>()
  /** Proven connections by peer ID: at most one per peer. These get the deltas. */
  private readonly proven = new Map<string, Client>()
  private readonly entries = new Map<string, Entry>()
  private readonly perIp = new Map<string, number>()
  private readonly punches = new Map<string, number>()
  readonly dropped: Record<DropReason, number> = Object.fromEntries(DROP_REASONS.map(r => [r, 0])) as Record<DropReason, number>
  private outbox: Delta[] = []
  private nextDelta = 0
  private flushTimer?: ReturnType<typeof setTimeout>
  private snapshotCache?: Uint8Array
  private snapshotRelay?: string
  private peersCache?: string
  private readonly sweeper: ReturnType<typeof setInterval>
  relayAddrs: () => string[] = () => []

  constructor (private readonly opts: ServerOptions, private readonly verifier: Verifier, private readonly log: Logger) {
    this.sweeper = setInterval(() => { this.sweep() }, Math.max(50, Math.min(1000, Math.floor(opts.ttlMs / 4))))
    this.sweeper.unref()
  }

  get connections (): number { return this.clients.size }
  get peers (): number { return this.entries.size }
  get authenticated (): number { return this.proven.size }

  /** Whether a new connection from `ip` may be accepted now (checked before the upgrade, and again on open). */
  admits (ip: string): boolean {
    if (this.clients.size >= this.opts.maxConnections) return false
    return this.opts.maxConnectionsPerIp <= 0 || (this.perIp.get(ip) ?? 0) < this.opts.maxConnectionsPerIp
  }

  /** A WebSocket opened: send the challenge; the client has helloTimeoutMs to answer it. */
  open (ws: WebSocket, ip: string): Client | undefined {
    if (!this.admits(ip)) {
      this.sendText(ws, JSON.stringify({ t: 'error', code: 'full', message: 'this rendezvous has no room for more connections' }))
      ws.close(CLOSE.full, 'full')
      return undefined
    }
    const now = Date.now()
    const client: Client = {
      ws, ip, nonce: toBase64Url(randomBytes(32)), lastSeen: now, tokens: this.opts.rateLimitBurst, refilledAt: now,
      overLimit: 0, busy: false, pending: [], detached: false, since: Number.MAX_SAFE_INTEGER
    }
    this.clients.add(client)
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1)
    client.helloTimer = setTimeout(() => {
      if (client.peerId == null) this.fail(client, 'timeout', `no valid hello within ${this.opts.helloTimeoutMs} ms`, CLOSE.timeout)
    }, this.opts.helloTimeoutMs)
    client.helloTimer.unref()
    this.sendText(ws, `{"t":"challenge","nonce":"${client.nonce}"}`)
    return client
  }

  /** The socket closed (either side): forget the connection; if it carried a peer's record, that peer leaves. */
  closed (client: Client): void {
    this.detach(client)
  }

  /** One WebSocket message from a client (text or, leniently, binary; UTF-8 JSON either way). */
  message (client: Client, data: Buffer | string): void {
    if (client.detached) return
    if ((typeof data === 'string' ? byteLength(data) : data.byteLength) > RENDEZVOUS_MAX_MESSAGE) {
      this.drop('too_large')
      this.fail(client, 'too_large', `messages are limited to ${RENDEZVOUS_MAX_MESSAGE} bytes`, CLOSE.tooBig)
      return
    }
    if (!this.take(client)) {
      this.drop('rate_limited')
      client.overLimit++
      if (client.overLimit === 1) this.error(client, 'rate_limited', `more than ${this.opts.rateLimitPerSecond} messages/s: messages are being dropped`)
      else if (client.overLimit > this.opts.rateLimitBurst) this.fail(client, 'rate_limited', 'too many messages', CLOSE.policy)
      return
    }
    client.overLimit = 0
    let raw: unknown
    try {
      raw = JSON.parse(typeof data === 'string' ? data : data.toString())
    } catch {
      this.drop('malformed')
      this.error(client, 'malformed', 'not JSON')
      return
    }
    // Count an oversize record as such (the schema would only call it a bad message).
    const rec = (raw as { t?: unknown, record?: unknown } | null)
    if (rec?.t === 'publish' && typeof rec.record === 'string' && Buffer.byteLength(rec.record) > MAX_PRESENCE_BYTES) {
      this.drop('oversize')
      this.error(client, 'oversize', `presence records are limited to ${MAX_PRESENCE_BYTES} bytes`)
      return
    }
    const parsed = ClientMessageSchema.safeParse(raw)
    if (!parsed.success) {
      this.drop('bad_message')
      const t = typeof rec?.t === 'string' ? rec.t.slice(0, 32) : undefined
      this.error(client, 'bad_message', t != null && !['hello', 'publish', 'ping', 'connect'].includes(t) ? `unknown message type "${t}"` : 'not a valid client message')
      return
    }
    this.dispatch(client, parsed.data)
  }

  /**
   * The snapshot a client gets after its hello: every current record, and the relay's addresses. Built
   * once per change and shared by every client that arrives meanwhile (a replacing connection, whose
   * own record is left out, gets its own).
   */
  private welcome (client: Client): Uint8Array {
    const relay = JSON.stringify(this.relayAddrs())
    const own = this.entries.get(client.peerId!)
    if (own != null) return enc.encode(this.buildWelcome(relay, own))
    if (this.snapshotCache == null || this.snapshotRelay !== relay) {
      this.snapshotCache = enc.encode(this.buildWelcome(relay))
      this.snapshotRelay = relay
    }
    return this.snapshotCache
  }

  private buildWelcome (relay: string, except?: Entry): string {
    const wires: string[] = []
    for (const e of this.entries.values()) if (e !== except) wires.push(e.wire)
    return `{"t":"welcome","peers":[${wires.join(',')}],"relay":${relay}}`
  }

  /** GET /peers: public fields only, never addresses. */
  peersJson (): string {
    this.peersCache ??= JSON.stringify([...this.entries.values()].map(e => ({ peerId: e.peerId, name: e.record.name, fields: e.record.fields, online: true })))
    return this.peersCache
  }

  /** Stop: close every connection (the listener is closed by the host). */
  stop (): void {
    clearInterval(this.sweeper)
    clearTimeout(this.flushTimer)
    this.outbox = []
    for (const c of [...this.clients]) {
      this.detach(c, false)
      c.ws.terminate()
    }
  }

  // ---- handling ----

  private dispatch (client: Client, msg: ClientMessage): void {
    if (client.busy) { client.pending.push(msg); return }
    const work = this.handle(client, msg)
    if (work == null) return
    client.busy = true
    work.catch((err: Error) => { this.log.error('rendezvous message failed', { error: err.message }) }).finally(() => {
      client.busy = false
      while (!client.busy && !client.detached && client.pending.length > 0) this.dispatch(client, client.pending.shift()!)
    })
  }

  /** Handle one valid message; returns a promise only for the ones that verify a signature. */
  private handle (client: Client, msg: ClientMessage): Promise<void> | undefined {
    if (msg.t === 'hello') return this.hello(client, msg.peerId, msg.sig)
    if (client.peerId == null) {
      this.drop('unauthenticated')
      this.error(client, 'unauthenticated', 'say hello (prove your key) first')
      return undefined
    }
    if (msg.t === 'ping') {
      client.lastSeen = Date.now()
      this.sendText(client.ws, '{"t":"pong"}')
      return undefined
    }
    if (msg.t === 'publish') return this.publish(client, msg.record, msg.sig)
    this.connect(client, msg.peerId)
    return undefined
  }

  private async hello (client: Client, peerId: string, sig: string): Promise<void> {
    if (client.peerId != null) {
      this.drop('bad_message')
      this.error(client, 'bad_message', 'already authenticated')
      return
    }
    let ok = false
    try {
      ok = await this.verifier.verify(peerId, rendezvousAuthBytes(client.nonce), fromBase64Url(sig))
    } catch { ok = false }
    if (client.detached) return
    if (!ok) {
      this.drop('bad_auth')
      this.fail(client, 'bad_auth', 'the signature does not prove that key', CLOSE.policy)
      return
    }
    clearTimeout(client.helloTimer)
    // Only a connection that proved the key can take over the peer ID's slot.
    const previous = this.proven.get(peerId)
    client.peerId = peerId
    client.lastSeen = Date.now()
    this.proven.set(peerId, client)
    const entry = this.entries.get(peerId)
    if (entry != null) entry.client = client
    if (previous != null) this.fail(previous, 'replaced', 'a newer connection proved this peer ID', CLOSE.replaced)
    // The snapshot already holds every change queued so far; the client gets the deltas after it.
    client.since = this.nextDelta
    client.ws.send(this.welcome(client), { binary: false })
  }

  private async publish (client: Client, recordJson: string, sig: string): Promise<void> {
    const peerId = client.peerId!
    let record: PresenceRecord
    try {
      const parsed = PresenceRecordSchema.safeParse(JSON.parse(recordJson))
      if (!parsed.success) throw new Error('not a presence record')
      record = parsed.data
    } catch {
      this.drop('bad_record')
      this.error(client, 'bad_record', 'record is not a valid presence record')
      return
    }
    if (record.peerId !== peerId) {
      this.drop('wrong_peer')
      this.error(client, 'wrong_peer', 'a connection may only publish the record of the peer ID it proved')
      return
    }
    if (!this.fresh(peerId, record.seq)) {
      this.drop('replay')
      this.error(client, 'replay', `seq ${record.seq} is not above the last one seen`)
      return
    }
    let ok = false
    try {
      ok = await this.verifier.verify(peerId, presenceSigningBytes(recordJson), fromBase64Url(sig))
    } catch { ok = false }
    if (client.detached || this.proven.get(peerId) !== client) return
    if (!ok) {
      this.drop('bad_signature')
      this.error(client, 'bad_signature', 'the record signature does not verify')
      return
    }
    if (!this.fresh(peerId, record.seq)) { // a replacing connection published meanwhile
      this.drop('replay')
      this.error(client, 'replay', `seq ${record.seq} is not above the last one seen`)
      return
    }
    client.lastSeen = Date.now()
    const previous = this.entries.get(peerId)
    if (record.bye === true) {
      if (previous != null) this.remove(previous)
      return
    }
    const content = contentKey(record)
    const wire = JSON.stringify({ record: recordJson, sig })
    this.entries.set(peerId, { peerId, record, seq: record.seq, content, wire, client })
    this.snapshotCache = undefined
    if (previous == null) {
      this.peersCache = undefined
      this.broadcast(`{"t":"join",${wire.slice(1)}`, client)
    } else if (previous.content !== content) {
      this.peersCache = undefined
      this.broadcast(`{"t":"update",${wire.slice(1)}`, client)
    } // else: a heartbeat with a new seq; refreshes the TTL, nothing to tell anyone
  }

  private fresh (peerId: string, seq: number): boolean {
    const previous = this.entries.get(peerId)
    return previous == null || seq > previous.seq
  }

  private connect (client: Client, target: string): void {
    const me = client.peerId!
    const mine = this.entries.get(me)
    const theirs = this.entries.get(target)
    const other = this.proven.get(target)
    let refusal: string | undefined
    if (target === me) refusal = 'that is your own peer ID'
    else if (mine == null) refusal = 'publish your record before asking for a punch'
    else if (theirs == null || other == null) refusal = 'that peer is not connected to this rendezvous'
    const pair = me < target ? `${me} ${target}` : `${target} ${me}`
    const now = Date.now()
    const last = this.punches.get(pair)
    if (refusal == null && last != null && now - last < this.opts.punchCooldownMs) refusal = `a punch for this pair was sent less than ${this.opts.punchCooldownMs} ms ago`
    if (refusal != null) {
      this.drop('punch_refused')
      this.error(client, 'punch_refused', refusal)
      return
    }
    this.punches.set(pair, now)
    this.sendText(client.ws, JSON.stringify({ t: 'punch', peerId: target, addrs: theirs!.record.addrs }))
    this.sendText(other!.ws, JSON.stringify({ t: 'punch', peerId: me, addrs: mine!.record.addrs }))
  }

  // ---- state ----

  private remove (entry: Entry): void {
    this.entries.delete(entry.peerId)
    this.snapshotCache = undefined
    this.peersCache = undefined
    this.broadcast(`{"t":"leave","peerId":${JSON.stringify(entry.peerId)}}`, entry.client)
  }

  private detach (client: Client, announce = true): void {
    if (client.detached) return
    client.detached = true
    client.pending.length = 0
    clearTimeout(client.helloTimer)
    this.clients.delete(client)
    const n = (this.perIp.get(client.ip) ?? 1) - 1
    if (n <= 0) this.perIp.delete(client.ip)
    else this.perIp.set(client.ip, n)
    const peerId = client.peerId
    if (peerId == null || this.proven.get(peerId) !== client) return
    this.proven.delete(peerId)
    const entry = this.entries.get(peerId)
    if (entry != null && entry.client === client) {
      if (announce) this.remove(entry)
      else this.entries.delete(peerId)
    }
  }

  /** TTL: a proven connection that has not pinged or published within ttlMs is closed, and its peer leaves. */
  private sweep (): void {
    const now = Date.now()
    for (const c of this.proven.values()) {
      if (now - c.lastSeen > this.opts.ttlMs) this.fail(c, 'timeout', `no ping or publish within ${this.opts.ttlMs} ms`, CLOSE.timeout)
    }
    for (const [pair, at] of this.punches) if (now - at >= this.opts.punchCooldownMs) this.punches.delete(pair)
  }

  // ---- sending ----

  private take (client: Client): boolean {
    const now = Date.now()
    const { rateLimitPerSecond: rate, rateLimitBurst: burst } = this.opts
    client.tokens = Math.min(burst, client.tokens + (now - client.refilledAt) * rate / 1000)
    client.refilledAt = now
    if (client.tokens < 1) return false
    client.tokens -= 1
    return true
  }

  /**
   * Queue one delta for every proven connection but `except`. It is serialized and framed once; the
   * deltas of one batch window go out together, one write per connection.
   */
  private broadcast (text: string, except?: Client): void {
    const payload = enc.encode(text)
    this.outbox.push({ id: this.nextDelta++, payload, frame: textFrame(payload), except })
    if (this.flushTimer == null) {
      this.flushTimer = setTimeout(() => { this.flush() }, this.opts.batchMs)
      this.flushTimer.unref()
    }
  }

  private flush (): void {
    this.flushTimer = undefined
    const batch = this.outbox
    this.outbox = []
    if (batch.length === 0) return
    const first = batch[0].id
    const causes = new Set<Client>()
    for (const d of batch) if (d.except != null) causes.add(d.except)
    const all = batch.length === 1 ? batch[0].frame : Buffer.concat(batch.map(d => d.frame))
    for (const c of this.proven.values()) {
      if (c.since <= first && !causes.has(c)) { this.write(c, all, batch); continue }
      // A newcomer (part of the batch is in its snapshot) or a publisher (not its own deltas).
      const own = batch.filter(d => d.id >= c.since && d.except !== c)
      if (own.length > 0) this.write(c, Buffer.concat(own.map(d => d.frame)), own)
    }
  }

  private write (client: Client, frames: Buffer, batch: Delta[]): void {
    if (client.detached || client.ws.readyState !== 1) return
    const socket = rawSocket(client.ws)
    if (socket != null) socket.write(frames)
    else for (const d of batch) client.ws.send(d.payload, { binary: false })
    // Room for one snapshot (a newcomer may still be receiving it) plus maxBufferedBytes of deltas.
    if (client.ws.bufferedAmount > this.opts.maxBufferedBytes + (this.snapshotCache?.byteLength ?? 0)) {
      this.fail(client, 'slow', 'too much is waiting to be sent to this client: it does not read', CLOSE.slow)
    }
  }

  private sendText (ws: WebSocket, text: string): void {
    if (ws.readyState === 1) ws.send(text)
  }

  private error (client: Client, code: string, message: string): void {
    if (!client.detached) this.sendText(client.ws, JSON.stringify({ t: 'error', code, message }))
  }

  /** Tell the client why, close its connection, and forget it at once (not when the close handshake ends). */
  private fail (client: Client, code: string, message: string, closeCode: number): void {
    if (client.detached) return
    this.error(client, code, message)
    this.detach(client)
    const ws = client.ws
    try { ws.close(closeCode, code) } catch { ws.terminate() }
    // A client that does not answer the close frame is cut off.
    setTimeout(() => { ws.terminate() }, 2000).unref()
  }

  private drop (reason: DropReason): void {
    this.dropped[reason]++
  }
}
