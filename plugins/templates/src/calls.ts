import { GoopError, httpStatusOf, isGoopError, type Channel, type PluginContext } from '@goop/sdk'
import { fail, q, TEMPLATE_STATUS } from './errors.js'

/** The protocol visitors' peers call an owner's template logic on. */
export const CALL_PROTOCOL = '/goop/call/1.0.0'

export const CALL_LIMITS = Object.freeze({
  /** A call's `{ fn, args }`, serialised (bytes). */
  requestBytes: 256 * 1024,
  /** A call's result, serialised (bytes). */
  resultBytes: 1024 * 1024,
  /** How long a visitor's peer waits for the owner: past the longest deadline a template may have (60 s). */
  forwardTimeoutMs: 65_000
})

/** The frame limit of the protocol in both directions: the largest result plus room for the header. */
export const CALL_MAX_FRAME = CALL_LIMITS.resultBytes + 64 * 1024

/** An exported function's name as a caller may give it. */
const FN = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/

/** Channels kept open to other peers, at most (the oldest is forgotten first). */
const MAX_CHANNELS = 256

export interface CallRequest { fn: string, args: unknown }

/** Check a call's body (from a page, or from another peer): `{ fn, args }` and nothing else, bounded. */
export function parseCall (body: unknown): CallRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) fail('bad_request', 'a call is { "fn": NAME, "args": JSON }')
  const extra = Object.keys(body).filter(k => k !== 'fn' && k !== 'args')
  if (extra.length > 0) fail('bad_request', `a call is { "fn", "args" } only, not ${q(extra.slice(0, 3))}`)
  const { fn, args } = body as { fn?: unknown, args?: unknown }
  if (typeof fn !== 'string' || !FN.test(fn)) fail('bad_request', `fn must name an exported function (letters, digits, _ and $), not ${q(fn)}`)
  sizeOf(args ?? null, CALL_LIMITS.requestBytes, 'the call\'s arguments')
  return { fn, args: args ?? null }
}

/** The JSON size of `value`, refused over `max`. */
export function sizeOf (value: unknown, max: number, what: string): number {
  let text: string | undefined
  try { text = JSON.stringify(value) } catch { fail('bad_request', `${what}: not JSON`) }
  const bytes = text === undefined ? 4 : Buffer.byteLength(text)
  if (bytes > max) fail('too_large', `${what}: over ${max} bytes of JSON`)
  return bytes
}

export type RunCall = (caller: string, call: CallRequest) => Promise<unknown>

/**
 * Serve `/goop/call/1.0.0`: `{ fn, args }` → `{ result }`. The caller is `req.peer`, authenticated by
 * the libp2p connection; nothing in the body can name anyone else.
 */
export function serveCalls (ctx: PluginContext, run: RunCall, handlerTimeoutMs: number): void {
  ctx.streams.handle(CALL_PROTOCOL, async (req) => {
    const call = parseCall(req.body)
    // req.signal is not read: the runtime's own deadline ends a call, and reading it costs an
    // AbortController (and a DOMException when the request ends) per call.
    const result = await run(req.peer, call)
    return { body: { result } }
  }, {
    allowLimited: true, // a site's logic must work over relays, like the site itself
    maxFrameBytes: CALL_MAX_FRAME,
    handlerTimeoutMs,
    maxInflight: 32
  })
}

/** An error from the owner (or the way there) as this side sees it: the status comes from the code. */
function remoteError (err: unknown): unknown {
  if (!isGoopError(err)) return err
  if (err.code === 'reply_too_large') return new GoopError('too_large', `the result is over ${CALL_LIMITS.resultBytes} bytes`, 413)
  // The owner's handler failed: for this side, a bad gateway.
  if (err.code === 'internal') return new GoopError('internal', err.message, 502)
  return new GoopError(err.code, err.message, httpStatusOf(err, TEMPLATE_STATUS))
}

/** The visitor's side: one shared channel per owner peer. */
export class CallClient {
  private readonly channels = new Map<string, Channel>()

  constructor (private readonly ctx: PluginContext) {}

  private channelTo (peer: string): Channel {
    let ch = this.channels.get(peer)
    if (ch == null) {
      ch = this.ctx.streams.open(peer, CALL_PROTOCOL, { maxFrameBytes: CALL_MAX_FRAME })
      this.channels.set(peer, ch)
      if (this.channels.size > MAX_CHANNELS) this.channels.delete(this.channels.keys().next().value!)
    }
    return ch
  }

  async call (peer: string, call: CallRequest, opts: { signal?: AbortSignal } = {}): Promise<unknown> {
    const req = { timeoutMs: CALL_LIMITS.forwardTimeoutMs, signal: opts.signal }
    let reply
    try {
      try {
        reply = await this.channelTo(peer).request(call, req)
      } catch (err) {
        if (!isGoopError(err) || err.code !== 'channel_closed') throw err
        // Closed under us (the peer's stream service was reset): forget it and try once more.
        this.channels.delete(peer)
        reply = await this.channelTo(peer).request(call, req)
      }
    } catch (err) {
      throw remoteError(err)
    }
    const body = reply.body
    if (typeof body !== 'object' || body === null || !('result' in body)) throw new GoopError('bad_reply', `${peer} answered a call with something that is not { result }`, 502)
    return (body as { result: unknown }).result
  }
}
