import { DATA_LIMITS, DATA_PROTOCOL, GoopError, httpStatusOf, isGoopError, type Channel, type DataRequest, type DataResult, type PluginContext } from '@goop/sdk'
import type { Caller } from './store/index.js'
import { STORE_STATUS } from './store/errors.js'
import type { RateLimiter } from './rate-limit.js'

/**
 * The frame limit of `/goop/data/1.0.0`, in both directions: the largest result plus room for the
 * frame's JSON header. The stream layer has one limit per stream for what it reads and what it
 * writes, and replies must fit a full result; so a request between DATA_LIMITS.requestBytes and this
 * is read and then refused by `checkRequestSize` (`too_large`, that request only), and only a frame
 * over this closes the stream.
 */
export const DATA_MAX_FRAME = DATA_LIMITS.resultBytes + 64 * 1024

/**
 * The data plugin's HTTP statuses beyond the SDK's `ERROR_STATUS` (for `errorResponse` and
 * `httpStatusOf`, the same on every way in): the engine's owner-side codes, and `internal` as 502: a
 * GoopError `internal` here always comes from another peer, whose handler failed (a local failure is
 * never a GoopError, and is answered 500).
 */
export const DATA_HTTP_STATUS: Readonly<Record<string, number>> = Object.freeze({ ...STORE_STATUS, internal: 502 })

/** Channels kept open to other peers, at most (the oldest is forgotten first). */
const MAX_CHANNELS = 256

/** Refuse a request whose JSON is over DATA_LIMITS.requestBytes (the same bound on every way in). */
export function checkRequestSize (request: unknown): void {
  let text: string | undefined
  try { text = JSON.stringify(request) } catch { throw new GoopError('bad_request', 'the request is not JSON', 400) }
  // Characters first: it is a lower bound on the UTF-8 length, and most requests are far below.
  if (text != null && (text.length > DATA_LIMITS.requestBytes || Buffer.byteLength(text) > DATA_LIMITS.requestBytes)) {
    throw new GoopError('too_large', `a data request is at most ${DATA_LIMITS.requestBytes} bytes of JSON`, 413)
  }
}

/** Runs one request for a caller; checks its size (checkRequestSize) and everything else. */
export type Execute = (request: unknown, caller: Caller) => unknown

/**
 * Serve `/goop/data/1.0.0`. The caller is `req.peer`, as authenticated by the libp2p connection;
 * nothing in the body can name anyone else (the SDK's request schema is strict: a body with `caller`,
 * `as` or `peer` is not a valid request). Each caller peer has its own token bucket.
 */
export function serveData (ctx: PluginContext, execute: Execute, limiter: RateLimiter): void {
  ctx.streams.handle(DATA_PROTOCOL, (req) => {
    limiter.take(req.peer)
    return { body: execute(req.body, { peer: req.peer, owner: req.peer === ctx.peerId }) }
  }, {
    allowLimited: true, // a site's data must work over relays, like the site itself
    maxFrameBytes: DATA_MAX_FRAME,
    // Operations run synchronously, so few are ever in flight; this bounds the frames read ahead.
    maxInflight: 32
  })
}

/** What each operation's reply must look like, at least, before it is handed on (a peer's reply is untrusted). */
const SHAPE: Record<DataRequest['op'], (b: Record<string, unknown>) => boolean> = {
  describe: b => (b.role === 'visitor' || b.role === 'owner') && Array.isArray(b.tables),
  query: b => Array.isArray(b.rows) && (b.cursor === undefined || typeof b.cursor === 'string'),
  get: b => b.row === null || isObject(b.row),
  count: b => typeof b.count === 'number',
  insert: b => isObject(b.row),
  update: b => isObject(b.row),
  delete: b => typeof b.deleted === 'number'
}

/**
 * An error from the owner (or the way there) as the caller sees it: the wire carries a code and a
 * message only, so the HTTP status comes from the code; a result too big for a frame is `too_large`.
 */
function remoteError (err: unknown): unknown {
  if (!isGoopError(err)) return err
  if (err.code === 'reply_too_large') return new GoopError('too_large', `the result is too large to send (at most ${DATA_LIMITS.resultBytes} bytes): ask for fewer rows or columns`, 413)
  return new GoopError(err.code, err.message, httpStatusOf(err, DATA_HTTP_STATUS))
}

function isObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export interface RemoteOptions { timeoutMs?: number, signal?: AbortSignal }

/** The caller's side: one shared channel per owner peer, many requests in flight on it. */
export class DataClient {
  private readonly channels = new Map<string, Channel>()

  constructor (private readonly ctx: PluginContext) {}

  private channelTo (peer: string): Channel {
    let ch = this.channels.get(peer)
    if (ch == null) {
      ch = this.ctx.streams.open(peer, DATA_PROTOCOL, { maxFrameBytes: DATA_MAX_FRAME })
      this.channels.set(peer, ch)
      if (this.channels.size > MAX_CHANNELS) this.channels.delete(this.channels.keys().next().value!)
    }
    return ch
  }

  async request<R extends DataRequest> (peer: string, request: R, opts: RemoteOptions = {}): Promise<DataResult<R['op']>> {
    if (typeof peer !== 'string' || peer === '') throw new GoopError('bad_request', 'a peer ID is required', 400)
    checkRequestSize(request)
    let reply
    try {
      try {
        reply = await this.channelTo(peer).request(request, opts)
      } catch (err) {
        if (!isGoopError(err) || err.code !== 'channel_closed') throw err
        // Closed under us (the peer's stream service was reset): forget it and try once more.
        this.channels.delete(peer)
        reply = await this.channelTo(peer).request(request, opts)
      }
    } catch (err) {
      throw remoteError(err)
    }
    const body = reply.body
    const check = SHAPE[request.op]
    if (!isObject(body) || check == null || !check(body)) throw new GoopError('bad_reply', `${peer} answered ${request.op} with something that is not a ${request.op} result`, 502)
    return body as DataResult<R['op']>
  }
}
