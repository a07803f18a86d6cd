import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { GoopError, type Logger, type MessageMeta, type StreamReply, type StreamRequest } from '@goop/sdk'
import type { StreamService } from '../streams/service.js'
import { LocalBus } from './bus.js'
import { EventLog } from './event-log.js'
import { patternCovers, topicMatches } from './pattern.js'

export const MQ_PROTOCOL = '/goop/mq/1.0.0'
const MAX_FRAME = 1024 * 1024
const MAX_BATCH_ITEMS = 256
const MAX_BATCH_BYTES = 512 * 1024
const SEEN_PER_SENDER = 10_000
const MAX_SENDERS = 4096
const MAX_SUBS_PER_PEER = 64

const Topic = z.string().min(1).max(256).regex(/^[^\s]+$/, 'topics have no spaces')
const Item = z.strictObject({
  id: z.string().min(1).max(128),
  topic: Topic,
  payload: z.unknown(),
  at: z.number().int().nonnegative(),
  pub: z.boolean().optional()
})
const Request = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('msg'), items: z.array(Item).min(1).max(MAX_BATCH_ITEMS) }),
  z.strictObject({ op: z.literal('sub'), topic: Topic }),
  z.strictObject({ op: z.literal('unsub'), topic: Topic })
])
type Item = z.infer<typeof Item>

type Handler = (payload: any, meta: MessageMeta) => void | Promise<void>

interface Outgoing {
  item: Item
  size: number
  deadline: number
  resolve: () => void
  reject: (err: Error) => void
}

/**
 * The kernel's message queue: the local bus, the SSE event log, and `/goop/mq/1.0.0`.
 *
 * Delivery to another peer: one outbox per peer sends batches stop-and-wait (the next batch leaves
 * only after the previous one was acknowledged), so order per sender holds without reordering at the
 * receiver. The receiver acknowledges how many items of the batch it delivered; the sender retries the
 * rest with backoff until each item's deadline. Receivers de-duplicate by message id, remembering for
 * a message that failed half-way which handlers already had it, so a retry reaches only the others.
 */
export class MqService {
  readonly bus: LocalBus
  readonly events: EventLog
  private readonly receivers = new Set<{ pattern: string, handler: Handler }>()
  /** Shared patterns, counted: two plugins may share the same one, and one unsharing leaves the other's. */
  private readonly shared = new Map<string, number>()
  private readonly subscribers = new Map<string, Set<string>>() // peer -> patterns it follows here
  private readonly remoteSubs = new Map<string, Set<{ pattern: string, handler: Handler }>>() // publisher -> our handlers
  private readonly outboxes = new Map<string, Outgoing[]>()
  private readonly sending = new Set<string>()
  private readonly seen = new Map<string, Set<string>>()
  private readonly partial = new Map<string, Set<object>>()
  private stopped = false

  constructor (
    private readonly self: string,
    private readonly streams: StreamService,
    private readonly log: Logger,
    private readonly opts: { sendDeadlineMs: number, eventBuffer: number }
  ) {
    this.bus = new LocalBus(log)
    this.events = new EventLog(opts.eventBuffer)
  }

  async start (): Promise<void> {
    await this.streams.handle(MQ_PROTOCOL, async (req) => await this.onRequest(req), {
      maxFrameBytes: MAX_FRAME, maxInflight: 8, allowLimited: true
    })
  }

  stop (): void {
    this.stopped = true
    for (const [, box] of this.outboxes) for (const o of box) o.reject(new GoopError('stopped', 'the peer is stopping'))
    this.outboxes.clear()
  }

  // ---- local side -------------------------------------------------------------------------------

  publish (topic: string, payload: unknown): void {
    const meta: MessageMeta = { id: randomUUID(), topic, from: this.self, at: Date.now() }
    this.events.append(topic, payload)
    this.bus.emit(payload, meta)
    for (const [peer, patterns] of this.subscribers) {
      if (![...patterns].some(p => topicMatches(p, topic))) continue
      const item: Item = { id: meta.id, topic, payload, at: meta.at, pub: true }
      this.enqueue(peer, item, 10_000).catch(() => {
        // It went away: stop pushing to it.
        if (this.subscribers.delete(peer)) this.log.info('dropped a remote subscriber that stopped answering', { peer })
      })
    }
  }

  share (pattern: string): () => void {
    Topic.parse(pattern)
    this.shared.set(pattern, (this.shared.get(pattern) ?? 0) + 1)
    let undone = false
    return () => {
      if (undone) return
      undone = true
      const left = (this.shared.get(pattern) ?? 1) - 1
      if (left > 0) { this.shared.set(pattern, left); return }
      this.shared.delete(pattern)
      // Subscriptions that only this share allowed end with it: an unshared topic must not keep leaking.
      for (const [peer, patterns] of this.subscribers) {
        for (const p of patterns) if (![...this.shared.keys()].some(s => patternCovers(s, p))) patterns.delete(p)
        if (patterns.size === 0) this.subscribers.delete(peer)
      }
    }
  }

  /** Would another peer be allowed to follow `topic` (a topic or pattern) here? */
  isShared (topic: string): boolean {
    return [...this.shared.keys()].some(s => patternCovers(s, topic))
  }

  receive (pattern: string, handler: Handler): () => void {
    const r = { pattern, handler }
    this.receivers.add(r)
    return () => { this.receivers.delete(r) }
  }

  async send (peer: string, topic: string, payload: unknown, opts: { deadlineMs?: number, id?: string } = {}): Promise<{ id: string }> {
    const parsed = Topic.safeParse(topic)
    if (!parsed.success) throw new GoopError('bad_topic', `topic ${JSON.stringify(topic)}: ${parsed.error.issues[0]?.message}`)
    if (peer === this.self) throw new GoopError('bad_peer', 'cannot mq.send to this peer itself; use publish')
    const id = opts.id ?? randomUUID()
    await this.enqueue(peer, { id, topic, payload: payload ?? null, at: Date.now() }, opts.deadlineMs ?? this.opts.sendDeadlineMs)
    return { id }
  }

  async subscribeRemote (peer: string, pattern: string, handler: Handler): Promise<() => void> {
    const entry = { pattern, handler }
    let set = this.remoteSubs.get(peer)
    if (set == null) { set = new Set(); this.remoteSubs.set(peer, set) }
    set.add(entry)
    try {
      await this.request(peer, { op: 'sub', topic: pattern }, { timeoutMs: 10_000 })
    } catch (err) {
      set.delete(entry)
      throw err
    }
    return () => {
      set.delete(entry)
      if (![...set].some(e => e.pattern === pattern)) {
        this.request(peer, { op: 'unsub', topic: pattern }, { timeoutMs: 5_000 }).catch(() => {})
      }
    }
  }

  /** The MQ may run over relayed connections: peers that meet only through a relay still talk. */
  private async request<R = unknown>(peer: string, body: unknown, opts: { timeoutMs: number }): Promise<StreamReply<R>> {
    return await this.streams.open(peer, MQ_PROTOCOL, { allowLimited: true, maxFrameBytes: MAX_FRAME }).request<R>(body, opts)
  }

  /** The topics `peer` follows on this peer. */
  subscriptionsOf (peer: string): string[] {
    return [...(this.subscribers.get(peer) ?? [])]
  }

  /** How many of this peer's handlers follow topics at `publisher`. */
  followingAt (publisher: string): number {
    return this.remoteSubs.get(publisher)?.size ?? 0
  }

  /** Forget everything a peer subscribed to here (it disconnected for good, or was blocked). */
  dropSubscriber (peer: string): void { this.subscribers.delete(peer) }

  // ---- sending ----------------------------------------------------------------------------------

  private enqueue (peer: string, item: Item, deadlineMs: number): Promise<void> {
    if (this.stopped) return Promise.reject(new GoopError('stopped', 'the peer is stopping'))
    const size = JSON.stringify(item).length
    if (size > MAX_BATCH_BYTES) {
      return Promise.reject(new GoopError('too_large', `message of ${size} bytes is over the limit of ${MAX_BATCH_BYTES}`))
    }
    return new Promise<void>((resolve, reject) => {
      let box = this.outboxes.get(peer)
      if (box == null) { box = []; this.outboxes.set(peer, box) }
      box.push({ item, size, deadline: Date.now() + deadlineMs, resolve, reject })
      if (!this.sending.has(peer)) void this.drain(peer)
    })
  }

  private async drain (peer: string): Promise<void> {
    this.sending.add(peer)
    let attempt = 0
    try {
      for (;;) {
        const box = this.outboxes.get(peer)
        if (box == null || box.length === 0 || this.stopped) break
        const now = Date.now()
        while (box.length > 0 && box[0].deadline < now) {
          box.shift()!.reject(new GoopError('undelivered', `${peer} did not acknowledge the message in time`))
        }
        if (box.length === 0) break
        const batch: Outgoing[] = []
        let bytes = 0
        for (const o of box) {
          if (batch.length >= MAX_BATCH_ITEMS || (batch.length > 0 && bytes + o.size > MAX_BATCH_BYTES)) break
          batch.push(o); bytes += o.size
        }
        let acked = 0
        let failure: string | undefined
        try {
          const timeoutMs = Math.max(1000, Math.min(10_000, batch[0].deadline - Date.now()))
          const reply = await this.request<{ acked: number, error?: string }>(peer,
            { op: 'msg', items: batch.map(o => o.item) }, { timeoutMs })
          acked = Math.max(0, Math.min(batch.length, Number(reply.body?.acked) | 0))
          failure = reply.body?.error
        } catch (err) {
          failure = (err as Error).message
        }
        box.splice(0, acked).forEach(o => { o.resolve() })
        if (acked === batch.length) { attempt = 0; continue }
        attempt++
        const delay = Math.min(5000, 100 * 2 ** Math.min(attempt, 6)) * (0.75 + Math.random() * 0.5)
        this.log.debug('mq delivery will be retried', { peer, attempt, delayMs: Math.round(delay), reason: failure })
        await new Promise(resolve => { setTimeout(resolve, delay).unref() })
      }
    } finally {
      this.sending.delete(peer)
      const box = this.outboxes.get(peer)
      if (box != null && box.length === 0) this.outboxes.delete(peer)
      else if (box != null && !this.stopped) void this.drain(peer)
    }
  }

  // ---- receiving --------------------------------------------------------------------------------

  private async onRequest (req: StreamRequest): Promise<{ body: unknown }> {
    const parsed = Request.safeParse(req.body)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw new GoopError('bad_request', `mq request: ${issue?.path.join('.') || 'body'}: ${issue?.message}`)
    }
    const body = parsed.data
    if (body.op === 'sub') {
      if (!this.isShared(body.topic)) {
        throw new GoopError('forbidden', `topic ${body.topic} is not shared by this peer`)
      }
      let set = this.subscribers.get(req.peer)
      if (set == null) { set = new Set(); this.subscribers.set(req.peer, set) }
      if (set.size >= MAX_SUBS_PER_PEER && !set.has(body.topic)) throw new GoopError('too_many', `at most ${MAX_SUBS_PER_PEER} subscriptions per peer`)
      set.add(body.topic)
      return { body: { ok: true } }
    }
    if (body.op === 'unsub') {
      this.subscribers.get(req.peer)?.delete(body.topic)
      return { body: { ok: true } }
    }
    let acked = 0
    for (const item of body.items) {
      const error = await this.deliver(req.peer, item)
      if (error != null) return { body: { acked, error } }
      acked++
    }
    return { body: { acked } }
  }

  /** Deliver one item; undefined when done (or already done before), else why it failed. */
  private async deliver (from: string, item: Item): Promise<string | undefined> {
    const seen = this.seenOf(from)
    if (seen.has(item.id)) return undefined
    const meta: MessageMeta = { id: item.id, topic: item.topic, from, at: item.at }
    const key = `${from}\n${item.id}`
    const done = this.partial.get(key) ?? new Set<object>()
    const targets = item.pub === true
      ? [...(this.remoteSubs.get(from) ?? [])].filter(s => topicMatches(s.pattern, item.topic))
      : [...this.receivers].filter(r => topicMatches(r.pattern, item.topic))
    if (item.pub === true && targets.length === 0) {
      // Nobody here follows it any more: tell the publisher to stop.
      this.request(from, { op: 'unsub', topic: item.topic }, { timeoutMs: 5_000 }).catch(() => {})
    }
    for (const t of targets) {
      if (done.has(t)) continue
      try {
        await t.handler(item.payload, meta)
        done.add(t)
      } catch (err) {
        this.partial.set(key, done)
        if (this.partial.size > 10_000) this.partial.delete(this.partial.keys().next().value!)
        this.log.warn('receiver failed; the sender will retry', { topic: item.topic, from, error: (err as Error)?.message ?? String(err) })
        return `a receiver of ${item.topic} failed`
      }
    }
    this.partial.delete(key)
    seen.add(item.id)
    if (seen.size > SEEN_PER_SENDER) seen.delete(seen.values().next().value!)
    if (item.pub !== true) {
      const event = { id: item.id, from, topic: item.topic, payload: item.payload }
      this.events.append('mq.received', event)
      this.bus.emit(event, { id: `${item.id}/received`, topic: 'mq.received', from: this.self, at: Date.now() })
    }
    return undefined
  }

  private seenOf (peer: string): Set<string> {
    let s = this.seen.get(peer)
    if (s == null) {
      s = new Set()
      this.seen.set(peer, s)
      if (this.seen.size > MAX_SENDERS) this.seen.delete(this.seen.keys().next().value!)
    }
    return s
  }
}
