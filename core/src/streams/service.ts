import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { GoopError, isGoopError, type Channel, type Logger, type RequestOptions, type StreamHandler, type StreamLimits, type StreamReply } from '@goop/sdk'
import { FrameError, FrameReader, FrameWriter, type Frame } from './frame.js'

export const DEFAULT_LIMITS: Required<StreamLimits> = {
  maxFrameBytes: 1024 * 1024,
  readTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  handlerTimeoutMs: 30_000,
  maxInflight: 64,
  allowLimited: false
}

/** JSON bodies nested deeper than this are refused: handlers (and JSON.stringify) recurse over them. */
const MAX_BODY_DEPTH = 64

function nestedDeeperThan (value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false
  if (limit === 0) return true
  for (const v of Array.isArray(value) ? value : Object.values(value)) {
    if (nestedDeeperThan(v, limit - 1)) return true
  }
  return false
}

interface Registration {
  protocol: string
  handler: StreamHandler
  limits: Required<StreamLimits>
  active: Set<Stream>
}

/**
 * The kernel's stream service: framed, multiplexed request/response over libp2p (see frame.ts).
 * `handle` serves a protocol; `open` returns the one shared channel per peer and protocol.
 */
export class StreamService {
  private readonly registrations = new Map<string, Registration>()
  private readonly channels = new Map<string, ClientChannel>()
  /** Set by presence (issue 3): streams from a blocked peer are refused. */
  isBlocked: (peer: string) => boolean = () => false
  /** Set by presence: where a peer's signed record says it can be reached. */
  addressesOf: (peer: string) => string[] = () => []

  constructor (private readonly node: Libp2p, private readonly log: Logger) {}

  async handle (protocol: string, handler: StreamHandler, limits: StreamLimits = {}): Promise<() => Promise<void>> {
    if (this.registrations.has(protocol)) throw new GoopError('protocol_taken', `protocol ${protocol} already has a handler`)
    const reg: Registration = { protocol, handler, limits: { ...DEFAULT_LIMITS, ...limits }, active: new Set() }
    this.registrations.set(protocol, reg)
    await this.node.handle(protocol, (stream, connection) => { void this.serve(reg, stream, connection) }, {
      runOnLimitedConnection: reg.limits.allowLimited,
      maxInboundStreams: 256
    })
    return async () => {
      if (this.registrations.get(protocol) !== reg) return
      this.registrations.delete(protocol)
      await this.node.unhandle(protocol)
      // Streams already open stop too: a disabled plugin must stop answering at once.
      for (const s of reg.active) s.abort(new Error(`protocol ${protocol} is no longer served`))
      reg.active.clear()
    }
  }

  private async serve (reg: Registration, stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    if (this.isBlocked(peer)) { stream.abort(new Error('blocked')); return }
    reg.active.add(stream)
    const { limits } = reg
    const reader = new FrameReader(stream, limits.maxFrameBytes)
    const writer = new FrameWriter(stream, limits.maxFrameBytes)
    const aborts = new Set<AbortController>()
    let inflight = 0
    let waiters: Array<() => void> = []
    const limited = connection.limits != null
    const reply = (frame: Frame): void => {
      writer.write(frame).catch((err: unknown) => {
        if (err instanceof FrameError && frame.header.k === 'r') {
          writer.write({ header: { i: frame.header.i, k: 'e', c: 'reply_too_large', m: err.message } }).catch(() => {})
        }
      })
    }
    const run = async (frame: Frame): Promise<void> => {
      const id = frame.header.i
      // Most handlers never look at their signal: make the AbortController only for those that do
      // (aborting one builds a DOMException with a stack, a measurable cost per request).
      let controller: AbortController | undefined
      const signalOf = (): AbortSignal => {
        if (controller == null) { controller = new AbortController(); aborts.add(controller) }
        return controller.signal
      }
      let timer: NodeJS.Timeout | undefined
      try {
        const result = await Promise.race([
          Promise.resolve().then(() => reg.handler({ peer, body: frame.header.b, bytes: frame.bytes, limited, get signal () { return signalOf() } })),
          new Promise<never>((_resolve, reject) => {
            timer = setTimeout(() => { reject(new GoopError('timeout', `handler did not answer within ${limits.handlerTimeoutMs} ms`)) }, limits.handlerTimeoutMs)
            timer.unref()
          })
        ])
        reply({ header: { i: id, k: 'r', b: result?.body ?? null }, bytes: result?.bytes })
      } catch (err) {
        if (isGoopError(err)) {
          reply({ header: { i: id, k: 'e', c: err.code, m: err.message } })
        } else {
          this.log.warn('handler failed', { protocol: reg.protocol, peer, error: (err as Error)?.message ?? String(err) })
          reply({ header: { i: id, k: 'e', c: 'internal', m: 'the handler failed' } })
        }
      } finally {
        clearTimeout(timer)
        if (controller != null) {
          controller.abort()
          aborts.delete(controller)
        }
      }
    }
    try {
      for (;;) {
        const frame = await reader.read({ idleMs: limits.idleTimeoutMs, frameMs: limits.readTimeoutMs, keepWaiting: () => inflight > 0 })
        if (frame == null) break
        if (frame.header.k !== 'q' || frame.header.i == null) {
          reply({ header: { i: frame.header.i ?? null, k: 'e', c: 'bad_frame', m: 'expected a request frame ("k": "q") with an integer id' } })
          continue
        }
        if (nestedDeeperThan(frame.header.b, MAX_BODY_DEPTH)) {
          reply({ header: { i: frame.header.i, k: 'e', c: 'bad_request', m: `request body is nested deeper than ${MAX_BODY_DEPTH} levels` } })
          continue
        }
        while (inflight >= limits.maxInflight) await new Promise<void>(resolve => waiters.push(resolve))
        inflight++
        void run(frame).finally(() => {
          inflight--
          const w = waiters; waiters = []
          w.forEach(fn => { fn() })
        })
      }
      while (inflight > 0) await new Promise<void>(resolve => waiters.push(resolve))
      await stream.close().catch(() => {})
    } catch (err) {
      if (err instanceof FrameError) {
        // The framing can no longer be trusted: say why, then close this stream only.
        this.log.debug('bad frame', { protocol: reg.protocol, peer, code: err.code, error: err.message })
        await writer.write({ header: { i: null, k: 'e', c: err.code, m: err.message } }).catch(() => {})
        await stream.close({ signal: AbortSignal.timeout(2000) }).catch(() => { stream.abort(err) })
      } else {
        stream.abort(err as Error)
      }
    } finally {
      for (const c of aborts) c.abort()
      reg.active.delete(stream)
    }
  }

  open (peer: string, protocol: string, opts: { allowLimited?: boolean, maxFrameBytes?: number } = {}): ClientChannel {
    const key = `${peer}\n${protocol}`
    let channel = this.channels.get(key)
    if (channel == null || channel.closed) {
      channel = new ClientChannel(this.node, peer, protocol, {
        allowLimited: opts.allowLimited ?? true, // the serving side decides: its handler says whether it runs over relays
        maxFrameBytes: opts.maxFrameBytes ?? DEFAULT_LIMITS.maxFrameBytes,
        idleMs: DEFAULT_LIMITS.idleTimeoutMs / 2,
        addressesOf: (p) => this.addressesOf(p)
      }, () => { if (this.channels.get(key) === channel) this.channels.delete(key) })
      this.channels.set(key, channel)
    }
    return channel
  }

  async request<R = unknown>(peer: string, protocol: string, body: unknown, opts?: RequestOptions): Promise<StreamReply<R>> {
    return await this.open(peer, protocol).request<R>(body, opts)
  }

  /** The peer is stopping: close our channels and the streams we serve. */
  closeAll (): void {
    for (const c of this.channels.values()) c.close()
    this.channels.clear()
    for (const reg of this.registrations.values()) {
      for (const s of reg.active) s.abort(new Error('the peer is stopping'))
      reg.active.clear()
    }
  }
}

interface Pending {
  resolve: (reply: StreamReply<any>) => void
  reject: (err: Error) => void
}

/**
 * The caller's side: one stream, many requests in flight, matched to replies by id. A broken stream
 * fails what was in flight and is reopened by the next request. Closed after `idleMs` unused
 * (sooner than the server's idle limit, so the server rarely closes a stream the client still uses).
 */
export class ClientChannel implements Channel {
  closed = false
  private stream?: Promise<{ stream: Stream, writer: FrameWriter }>
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private idleTimer?: NodeJS.Timeout
  private lastUsed = 0

  constructor (
    private readonly node: Libp2p,
    readonly peer: string,
    readonly protocol: string,
    private readonly opts: { allowLimited: boolean, maxFrameBytes: number, idleMs: number, addressesOf: (peer: string) => string[] },
    private readonly onClose: () => void
  ) {}

  private connect (): Promise<{ stream: Stream, writer: FrameWriter }> {
    if (this.stream == null) {
      const opening: Promise<{ stream: Stream, writer: FrameWriter }> = (async () => {
        const id = peerIdFromString(this.peer)
        const signal = AbortSignal.timeout(10_000)
        // With no connection open, dial where the peer's own signed presence record says it is; the
        // peer store only learns addresses of peers we actually connected to, so that a record can
        // never make this peer dial addresses it was not asked to reach.
        let target: PeerId | Multiaddr[] = id
        if (this.node.getConnections(id).length === 0) {
          const addrs: Multiaddr[] = []
          for (const a of this.opts.addressesOf(this.peer)) {
            try { addrs.push(multiaddr(a)) } catch { /* not a multiaddr */ }
          }
          if (addrs.length > 0) target = addrs
        }
        const connection = await this.node.dial(target, { signal })
        const stream = await connection.newStream(this.protocol, { runOnLimitedConnection: this.opts.allowLimited, signal })
        void this.readLoop(stream, () => opening)
        return { stream, writer: new FrameWriter(stream, this.opts.maxFrameBytes) }
      })()
      this.stream = opening
      opening.catch(() => { if (this.stream === opening) this.stream = undefined })
    }
    return this.stream
  }

  private async readLoop (stream: Stream, opening: () => Promise<unknown>): Promise<void> {
    const reader = new FrameReader(stream, this.opts.maxFrameBytes)
    let failure: Error = new GoopError('stream_closed', `${this.protocol} stream to ${this.peer} closed`)
    try {
      for (;;) {
        const frame = await reader.read({ idleMs: Infinity, frameMs: DEFAULT_LIMITS.readTimeoutMs })
        if (frame == null) break
        const { header } = frame
        if (header.i == null) {
          // A stream-level error from the server (e.g. it found our framing bad): fail everything.
          failure = new GoopError(header.c ?? 'stream_error', header.m ?? 'the remote closed the stream')
          break
        }
        const p = this.pending.get(header.i)
        if (p == null) continue
        this.pending.delete(header.i)
        if (header.k === 'e') p.reject(new GoopError(String(header.c ?? 'error'), String(header.m ?? 'remote error')))
        else p.resolve({ body: header.b, bytes: frame.bytes })
        this.touch()
      }
    } catch (err) {
      failure = err instanceof FrameError ? new GoopError(err.code, err.message) : new GoopError('stream_closed', (err as Error)?.message ?? 'stream failed')
    }
    stream.abort(failure)
    if (this.stream === opening()) this.stream = undefined
    for (const p of this.pending.values()) p.reject(failure)
    this.pending.clear()
  }

  /**
   * Note activity; close the stream once it has been unused for `idleMs`. One timer per channel,
   * re-armed only when it fires (not on every reply), since replies are the hot path.
   */
  private touch (): void {
    this.lastUsed = Date.now()
    if (this.idleTimer != null) return
    const check = (): void => {
      const idle = Date.now() - this.lastUsed
      if (this.pending.size > 0 || idle < this.opts.idleMs) {
        this.idleTimer = setTimeout(check, Math.max(50, this.opts.idleMs - idle))
        this.idleTimer.unref()
        return
      }
      this.idleTimer = undefined
      // Forget it first, so a request made now opens a fresh stream instead of writing to a closing one.
      const idleStream = this.stream
      this.stream = undefined
      void idleStream?.then(s => s.stream.close()).catch(() => {})
    }
    this.idleTimer = setTimeout(check, this.opts.idleMs)
    this.idleTimer.unref()
  }

  async request<R = unknown>(body: unknown, opts: RequestOptions = {}): Promise<StreamReply<R>> {
    if (this.closed) throw new GoopError('channel_closed', 'this channel was closed')
    const timeoutMs = opts.timeoutMs ?? 15_000
    const id = this.nextId++
    let writer: FrameWriter
    try {
      writer = (await this.connect()).writer
    } catch (err: any) {
      throw new GoopError('unreachable', `cannot open ${this.protocol} to ${this.peer}: ${err?.message ?? err}`)
    }
    return await new Promise<StreamReply<R>>((resolve, reject) => {
      const timer = setTimeout(() => { done(); reject(new GoopError('timeout', `no reply from ${this.peer} on ${this.protocol} within ${timeoutMs} ms`)) }, timeoutMs)
      const onAbort = (): void => { done(); reject(new GoopError('aborted', 'request aborted')) }
      const done = (): void => {
        clearTimeout(timer)
        opts.signal?.removeEventListener('abort', onAbort)
        this.pending.delete(id)
        this.touch()
      }
      opts.signal?.addEventListener('abort', onAbort)
      this.pending.set(id, {
        resolve: (r) => { done(); resolve(r) },
        reject: (e) => { done(); reject(e) }
      })
      writer.write({ header: { i: id, k: 'q', b: body ?? null }, bytes: opts.bytes }).catch((err: unknown) => {
        this.pending.get(id)?.reject(err instanceof FrameError ? new GoopError(err.code, err.message) : new GoopError('stream_closed', (err as Error)?.message ?? 'write failed'))
      })
    })
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.idleTimer)
    void this.stream?.then(s => s.stream.close()).catch(() => {})
    for (const p of this.pending.values()) p.reject(new GoopError('channel_closed', 'channel closed'))
    this.pending.clear()
    this.onClose()
  }
}
