import { readFile, writeFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { PeerId, PeerInfo, PrivateKey } from '@libp2p/interface'
import type { GoopNode } from '../net/node.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { GoopError, type Logger, type PeerEntry, type PresenceRecord, type PresenceSource, type SignedPresence } from '@goop/sdk'
import type { HookRegistry } from '../hooks.js'
import type { MqService } from '../mq/service.js'
import type { StreamService } from '../streams/service.js'
import { PresenceDrop, signPresence, verifyPresence, type DropReason } from './record.js'
import { RendezvousClient } from './rendezvous-client.js'

export const PRESENCE_TOPIC = 'goop.presence.v1'
export const PRESENCE_PROTOCOL = '/goop/presence/1.0.0'

export interface PresenceOptions {
  name: string
  heartbeatMs: number
  ttlMs: number
  graceMs: number
  /** Announce over gossipsub (topic goop.presence.v1) on the LAN. */
  lan: boolean
  rendezvous: string[]
  /** Dial peers that mDNS finds. */
  dialDiscovered: boolean
}

interface Entry {
  peerId: string
  record?: PresenceRecord
  signed?: SignedPresence
  seq: number
  online: boolean
  lastSeen: number
  lastRecordAt: number
  sources: Set<PresenceSource>
  /** Rendezvous servers that currently list this peer: while one does, it is online. */
  vouchedBy: Set<string>
  connected: boolean
  /** What was last announced as an event, to tell `updated` from noise. */
  shown?: string
}

/**
 * Signed presence: this peer's own announcements and the live table of everyone else's.
 *
 * A peer is online while it has a valid record and either a rendezvous server lists it, a direct
 * connection to it is open, or its last record is younger than the TTL. A goodbye record takes it
 * offline at once; after the grace period offline it is forgotten. Every record is verified against
 * the peer ID it names (and its sender, where the sender is known) before it counts; replays of
 * older sequence numbers are dropped. All of that is counted in `stats`.
 */
export class PresenceService {
  private readonly table = new Map<string, Entry>()
  private readonly blocked = new Set<string>()
  private readonly mdnsSeen = new Set<string>()
  private readonly dropped: Record<DropReason, number> = { malformed: 0, oversize: 0, bad_signature: 0, wrong_peer: 0, replay: 0, blocked: 0 }
  private accepted = 0
  private seq = 0
  private own?: SignedPresence
  private ownContent = ''
  private timers: NodeJS.Timeout[] = []
  private readonly clients: RendezvousClient[] = []
  private readonly dialing = new Set<string>()
  private stopped = false
  private initialized = false
  private started = false
  /** Peers mDNS found before `start` (while plugins load): handled once presence runs. */
  private readonly foundEarly = new Set<string>()
  private readonly onMessage = (evt: CustomEvent<Message>): void => { this.onGossip(evt.detail) }
  private readonly onDiscovery = (evt: CustomEvent<PeerInfo>): void => {
    const id = evt.detail.id.toString()
    if (this.started) this.onDiscovered(id)
    else this.foundEarly.add(id)
  }
  private readonly onConnect = (evt: CustomEvent<PeerId>): void => { void this.onConnected(evt.detail.toString()) }
  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => { this.onDisconnected(evt.detail.toString()) }

  constructor (
    private readonly self: string,
    private readonly key: PrivateKey,
    private readonly node: GoopNode,
    private readonly streams: StreamService,
    private readonly mq: MqService,
    private readonly hooks: HookRegistry,
    private readonly log: Logger,
    private readonly dir: string,
    private readonly opts: PresenceOptions
  ) {
    // From the start, before the node does: mDNS answers come within milliseconds of it starting, long
    // before `start` (after the plugins load), and the next query is 10 s away.
    this.node.services.mdns?.addEventListener('peer', this.onDiscovery)
  }

  private get pubsub (): GossipSub | undefined { return this.opts.lan ? this.node.services.pubsub : undefined }

  /** Load the block list and guard streams with it: call before the node starts, so no blocked peer gets in meanwhile. */
  async init (): Promise<void> {
    if (this.initialized) return
    this.initialized = true
    await this.loadBlocked()
    this.streams.isBlocked = (peer) => this.blocked.has(peer)
    this.streams.addressesOf = (peer) => this.table.get(peer)?.record?.addrs ?? []
  }

  async start (): Promise<void> {
    await this.init()
    await this.streams.handle(PRESENCE_PROTOCOL, async () => ({ body: this.own ?? await this.refreshOwn() }), {
      maxFrameBytes: 8192, allowLimited: true, maxInflight: 4
    })
    this.node.addEventListener('peer:connect', this.onConnect)
    this.node.addEventListener('peer:disconnect', this.onDisconnect)
    this.started = true
    for (const id of this.foundEarly) this.onDiscovered(id)
    this.foundEarly.clear()
    // Peers that connected while the plugins loaded: ask them for their records too.
    for (const p of this.node.getPeers()) void this.onConnected(p.toString())
    const pubsub = this.pubsub
    if (pubsub != null) {
      pubsub.subscribe(PRESENCE_TOPIC)
      pubsub.addEventListener('message', this.onMessage)
    }
    await this.refreshOwn()
    for (const url of this.opts.rendezvous) {
      const client = new RendezvousClient(url, {
        self: this.self,
        key: this.key,
        log: this.log,
        heartbeatMs: this.opts.heartbeatMs,
        own: () => this.own,
        ownContent: () => this.ownContent,
        onRecord: (env) => { void this.accept(env, 'rendezvous', { via: url }) },
        onLeave: (peerId) => { this.unvouch(peerId, url) },
        onDisconnected: () => { this.forgetServer(url) },
        onRelays: (addrs) => { void this.useRelays(addrs) },
        onPunch: (peerId, addrs) => { void this.punch(peerId, addrs) }
      })
      this.clients.push(client)
      client.start()
    }
    this.timers.push(setInterval(() => { void this.heartbeat() }, this.opts.heartbeatMs))
    this.timers.push(setInterval(() => { this.sweep() }, Math.min(1000, this.opts.heartbeatMs)))
    for (const t of this.timers) t.unref()
    void this.heartbeat()
  }

  /** Say goodbye (LAN and rendezvous) so others mark this peer offline at once, then stop. */
  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    for (const t of this.timers) clearInterval(t)
    try {
      const bye = await this.makeRecord(true)
      await this.pubsub?.publish(PRESENCE_TOPIC, new TextEncoder().encode(JSON.stringify(bye))).catch(() => {})
      await Promise.all(this.clients.map(async c => { await c.stop(bye) }))
    } catch (err) {
      this.log.debug('goodbye failed', { error: (err as Error).message })
    }
    this.node.services.mdns?.removeEventListener('peer', this.onDiscovery)
    this.node.removeEventListener('peer:connect', this.onConnect)
    this.node.removeEventListener('peer:disconnect', this.onDisconnect)
    this.pubsub?.removeEventListener('message', this.onMessage)
  }

  // ---- this peer's own record ---------------------------------------------------------------------

  private async makeRecord (bye = false): Promise<SignedPresence> {
    let fields: Record<string, string | number | boolean> = {}
    try {
      fields = await this.hooks.call('presence.announce', {}) as Record<string, string | number | boolean> ?? {}
    } catch (err) {
      this.log.warn('presence.announce hook failed', { error: (err as Error).message })
    }
    this.seq = Math.max(this.seq + 1, Date.now())
    const addrs = this.node.getMultiaddrs().map(a => a.toString()).slice(0, 16)
    const record: PresenceRecord = { v: 1, peerId: this.self, name: this.opts.name, addrs, seq: this.seq, fields, ...(bye ? { bye: true } : {}) }
    const signed = await signPresence(this.key, record)
    if (!bye) {
      this.own = signed
      this.ownContent = JSON.stringify({ ...record, seq: 0 })
    }
    return signed
  }

  private async refreshOwn (): Promise<SignedPresence> {
    return await this.makeRecord()
  }

  private async heartbeat (): Promise<void> {
    if (this.stopped) return
    try {
      const own = await this.refreshOwn()
      const pubsub = this.pubsub
      if (pubsub != null && pubsub.getSubscribers(PRESENCE_TOPIC).length > 0) {
        await pubsub.publish(PRESENCE_TOPIC, new TextEncoder().encode(JSON.stringify(own))).catch((err: Error) => {
          this.log.debug('presence publish failed', { error: err.message })
        })
      }
      for (const c of this.clients) c.heartbeat()
    } catch (err) {
      this.log.warn('presence heartbeat failed', { error: (err as Error).message })
    }
  }

  // ---- receiving ------------------------------------------------------------------------------------

  private onGossip (msg: Message): void {
    if (msg.topic !== PRESENCE_TOPIC) return
    let env: unknown
    if (msg.data.length > 8192) {
      this.dropped.oversize++
      return
    }
    try {
      env = JSON.parse(new TextDecoder().decode(msg.data))
    } catch {
      this.dropped.malformed++
      return
    }
    const source: PresenceSource = 'mdns'
    void this.accept(env, source)
  }

  /** Take a signed record from any source; returns why it was dropped, if it was. */
  async accept (envelope: unknown, source: PresenceSource, opts: { via?: string, from?: string } = {}): Promise<DropReason | undefined> {
    let record: PresenceRecord
    let signed: SignedPresence
    try {
      ({ record, signed } = await verifyPresence(envelope, opts.from))
      if (this.blocked.has(record.peerId)) throw new PresenceDrop('blocked', `${record.peerId} is blocked`)
    } catch (err) {
      const reason: DropReason = err instanceof PresenceDrop ? err.reason : 'malformed'
      this.dropped[reason]++
      this.log.debug('presence record dropped', { reason, source, error: (err as Error).message })
      return reason
    }
    if (record.peerId === this.self) return undefined
    const now = Date.now()
    const e = this.entry(record.peerId)
    if (e.record != null && record.seq <= e.seq) {
      if (record.seq === e.seq && signed.record === e.signed?.record) {
        // The same record again (a snapshot after a reconnect, a second path): a sign of life only.
        e.lastSeen = now
        e.sources.add(this.label(source, record.peerId))
        if (opts.via != null) e.vouchedBy.add(opts.via)
        this.evaluate(e)
        return undefined
      }
      this.dropped.replay++
      this.log.debug('presence replay dropped', { peer: record.peerId, seq: record.seq, known: e.seq })
      return 'replay'
    }
    this.accepted++
    e.record = record
    e.signed = signed
    e.seq = record.seq
    e.lastSeen = now
    e.lastRecordAt = now
    e.sources.add(this.label(source, record.peerId))
    if (opts.via != null) e.vouchedBy.add(opts.via)
    if (record.bye === true) e.vouchedBy.clear()
    this.evaluate(e)
    return undefined
  }

  /** Gossip reaches us over any connection: call it `mdns` only for peers mDNS really found. */
  private label (source: PresenceSource, peerId: string): PresenceSource {
    return source === 'mdns' && !this.mdnsSeen.has(peerId) ? 'direct' : source
  }

  private entry (peerId: string): Entry {
    let e = this.table.get(peerId)
    if (e == null) {
      e = { peerId, seq: 0, online: false, lastSeen: 0, lastRecordAt: 0, sources: new Set(), vouchedBy: new Set(), connected: false }
      this.table.set(peerId, e)
    }
    return e
  }

  private unvouch (peerId: string, url: string): void {
    const e = this.table.get(peerId)
    if (e == null) return
    e.vouchedBy.delete(url)
    // The server saw it leave: do not wait for the TTL unless another path still shows it alive.
    e.lastRecordAt = 0
    this.evaluate(e)
  }

  private forgetServer (url: string): void {
    const now = Date.now()
    for (const e of this.table.values()) {
      if (e.vouchedBy.delete(url)) e.lastRecordAt = Math.max(e.lastRecordAt, now)
    }
  }

  private isAlive (e: Entry, now: number): boolean {
    if (e.record == null || e.record.bye === true) return false
    return e.vouchedBy.size > 0 || e.connected || now - e.lastRecordAt < this.opts.ttlMs
  }

  /** Work out whether `e` is online now, and publish what changed. */
  private evaluate (e: Entry): void {
    const was = e.online
    const online = this.isAlive(e, Date.now())
    e.online = online // before the view is made: the event must say what the peer is now
    const view = this.view(e)
    const shown = JSON.stringify({ ...view, lastSeen: 0 })
    if (online && !was) {
      e.shown = shown
      this.mq.publish('presence.online', view)
    } else if (!online && was) {
      e.shown = shown
      this.mq.publish('presence.offline', view)
    } else if (online && shown !== e.shown) {
      e.shown = shown
      this.mq.publish('presence.updated', view)
    }
  }

  private sweep (): void {
    const now = Date.now()
    for (const e of this.table.values()) {
      this.evaluate(e)
      if (!e.online && !e.connected && now - e.lastSeen > this.opts.graceMs) this.table.delete(e.peerId)
    }
  }

  // ---- connections and discovery ----------------------------------------------------------------

  private onDiscovered (peerId: string): void {
    if (peerId === this.self || this.blocked.has(peerId)) return
    this.mdnsSeen.add(peerId)
    const e = this.table.get(peerId)
    if (e != null) { e.sources.add('mdns'); this.evaluate(e) }
    if (!this.opts.dialDiscovered || this.dialing.has(peerId) || this.dialing.size >= 16) return
    if (this.node.getConnections(peerIdFromString(peerId)).length > 0) return
    this.dialing.add(peerId)
    this.node.dial(peerIdFromString(peerId), { signal: AbortSignal.timeout(5000) })
      .catch((err: Error) => { this.log.debug('could not dial a discovered peer', { peer: peerId, error: err.message }) })
      .finally(() => { this.dialing.delete(peerId) })
  }

  private async onConnected (peerId: string): Promise<void> {
    if (this.blocked.has(peerId)) { await this.node.hangUp(peerIdFromString(peerId)).catch(() => {}); return }
    const e = this.entry(peerId)
    e.connected = true
    if (e.record != null) this.evaluate(e)
    // Met through a relay: DCUtR tries to upgrade the connection by itself; ask the rendezvous to
    // send both sides a punch hint too, so each dials the other's direct addresses at once.
    const conns = this.node.getConnections(peerIdFromString(peerId))
    if (conns.length > 0 && conns.every(c => c.limits != null)) this.requestPunch(peerId)
    try {
      // Ask it for its record over the connection: that also proves the record is its own.
      const reply = await this.streams.open(peerId, PRESENCE_PROTOCOL, { allowLimited: true, maxFrameBytes: 8192 }).request({ op: 'get' }, { timeoutMs: 5000 })
      await this.accept(reply.body, 'direct', { from: peerId })
    } catch (err) {
      // Not every peer speaks goop (a relay, for one); it simply stays out of the table.
      this.log.debug('no presence record from a connected peer', { peer: peerId, error: (err as Error).message })
    }
  }

  private onDisconnected (peerId: string): void {
    const e = this.table.get(peerId)
    if (e == null) return
    e.connected = this.node.getConnections(peerIdFromString(peerId)).length > 0
    if (!e.connected && e.record == null) { this.table.delete(peerId); return }
    this.evaluate(e)
  }

  private async useRelays (addrs: string[]): Promise<void> {
    for (const a of addrs) {
      try {
        await this.node.dial(multiaddr(a), { signal: AbortSignal.timeout(10_000) })
      } catch (err) {
        this.log.warn('cannot reach a relay', { relay: a, error: (err as Error).message })
      }
    }
  }

  private async punch (peerId: string, addrs: string[]): Promise<void> {
    if (this.blocked.has(peerId)) return
    // A punch is about a direct path: relayed addresses would only open another relayed connection.
    for (const a of addrs.filter(addr => !addr.includes('/p2p-circuit'))) {
      try {
        await this.node.dial(multiaddr(a), { signal: AbortSignal.timeout(5000) })
        return
      } catch { /* try the next address */ }
    }
  }

  /** Ask the rendezvous servers to tell `peerId` and us to dial each other now (hole punching). */
  requestPunch (peerId: string): void {
    for (const c of this.clients) c.requestPunch(peerId)
  }

  // ---- blocking ------------------------------------------------------------------------------------

  private get blockFile (): string { return join(this.dir, 'state', 'blocked.json') }

  private async loadBlocked (): Promise<void> {
    try {
      const list = JSON.parse(await readFile(this.blockFile, 'utf8'))
      if (Array.isArray(list)) for (const p of list) if (typeof p === 'string') this.blocked.add(p)
    } catch { /* none blocked yet */ }
  }

  private async saveBlocked (): Promise<void> {
    const tmp = `${this.blockFile}.${process.pid}.tmp`
    await writeFile(tmp, JSON.stringify([...this.blocked], null, 2) + '\n')
    await rename(tmp, this.blockFile)
  }

  isBlocked (peerId: string): boolean { return this.blocked.has(peerId) }

  blockedList (): string[] { return [...this.blocked] }

  async block (peerId: string): Promise<void> {
    try { peerIdFromString(peerId) } catch { throw new GoopError('bad_request', `${JSON.stringify(peerId)} is not a peer ID`) }
    if (peerId === this.self) throw new GoopError('bad_request', 'a peer cannot block itself')
    this.blocked.add(peerId)
    await this.saveBlocked()
    const e = this.table.get(peerId)
    if (e?.online === true) this.mq.publish('presence.offline', { ...this.view(e), online: false })
    this.table.delete(peerId)
    this.mq.dropSubscriber(peerId)
    await this.node.hangUp(peerIdFromString(peerId)).catch(() => {})
    this.log.info('blocked a peer', { peer: peerId })
  }

  async unblock (peerId: string): Promise<void> {
    if (!this.blocked.delete(peerId)) return
    await this.saveBlocked()
    this.log.info('unblocked a peer', { peer: peerId })
  }

  // ---- the table as others see it -------------------------------------------------------------------

  private view (e: Entry): PeerEntry {
    return {
      peerId: e.peerId,
      name: e.record?.name ?? null,
      online: e.online,
      lastSeen: e.lastSeen,
      sources: [...e.sources].toSorted(),
      addrs: e.record?.addrs ?? [],
      fields: e.record?.fields ?? {}
    }
  }

  peers (): PeerEntry[] {
    return [...this.table.values()].filter(e => e.record != null).map(e => this.view(e))
  }

  get (peerId: string): PeerEntry | undefined {
    const e = this.table.get(peerId)
    return e?.record != null ? this.view(e) : undefined
  }

  stats (): { accepted: number, dropped: Record<DropReason, number>, rendezvous: Array<{ url: string, connected: boolean }> } {
    return { accepted: this.accepted, dropped: { ...this.dropped }, rendezvous: this.clients.map(c => ({ url: c.url, connected: c.connected })) }
  }
}
