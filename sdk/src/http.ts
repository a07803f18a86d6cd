import type { DataErrorCode } from './data.js'
import { GoopError, isGoopError } from './errors.js'

/**
 * HTTP helpers for a plugin's routes (`ctx.http.router`, `ctx.http.site`): read a JSON body with a
 * bound, and answer an error as `{ error: { code, message } }` with the status of its code. Web
 * standard `Request`/`Response` only (what Hono hands a route), so nothing here is Node's.
 */

/** The codes the stream layer (`ctx.streams`) rejects a request with, on the caller's side. */
type StreamErrorCode = 'unreachable' | 'stream_closed' | 'channel_closed' | 'bad_reply' | 'reply_too_large' | 'frame_too_large' | 'timeout'

/**
 * The HTTP status of each error code every plugin meets: the data operations' codes
 * (`DataErrorCode`), the stream layer's, and `internal`.
 *
 * Why a table and not `err.status`: a GoopError that crossed the wire from another peer is a code and
 * a message only (its status stays behind), so whoever answers HTTP derives the status from the code,
 * and every way in (the admin API, a site route, the CLI) answers the same code with the same status.
 * A plugin adds its own codes, or answers one differently, with an `extra` map (see `httpStatusOf`).
 */
export const ERROR_STATUS: Readonly<Record<string, number>> = Object.freeze({
  // the data operations' (sdk data.ts)
  bad_request: 400,
  bad_value: 400,
  unknown_column: 400,
  forbidden: 403,
  unknown_table: 404,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  // the way to another peer (the stream layer)
  reply_too_large: 413,
  frame_too_large: 413,
  unreachable: 502,
  stream_closed: 502,
  channel_closed: 502,
  bad_reply: 502,
  timeout: 504,
  // a failure here. From another peer it is that peer's failure: a plugin that forwards may say 502.
  internal: 500
} satisfies Record<DataErrorCode | StreamErrorCode | 'internal', number>)

/**
 * The HTTP status of `err`: from `extra` (a plugin's own codes, or its own answer to a shared one),
 * else from `ERROR_STATUS`, else the error's own status when it is one (4xx/5xx), else 400.
 */
export function httpStatusOf (err: GoopError, extra?: Readonly<Record<string, number>>): number {
  return extra?.[err.code] ?? ERROR_STATUS[err.code] ?? (err.status >= 400 && err.status <= 599 ? err.status : 400)
}

/** The wait a `rate_limited` message names ("… retry after N ms"), in ms, if it names one. */
function retryAfterMs (message: string): number | undefined {
  const m = /retry after (\d+) ms/.exec(message)
  return m == null ? undefined : Number(m[1])
}

/**
 * `{ error: { code, message } }` with the code's status (`httpStatusOf(err, extra)`), never cached.
 * A `rate_limited` error whose message says "retry after N ms" also gets `Retry-After` (whole
 * seconds, at least 1). Anything that is not a GoopError is `internal` (500) with no details: its
 * message may hold the plugin's internals.
 */
export function errorResponse (err: unknown, extra?: Readonly<Record<string, number>>): Response {
  const headers: Record<string, string> = { 'cache-control': 'no-store' }
  if (!isGoopError(err)) return Response.json({ error: { code: 'internal', message: 'internal error' } }, { status: 500, headers })
  const wait = err.code === 'rate_limited' ? retryAfterMs(err.message) : undefined
  if (wait != null) headers['retry-after'] = String(Math.max(1, Math.ceil(wait / 1000)))
  return Response.json({ error: { code: err.code, message: err.message } }, { status: httpStatusOf(err, extra), headers })
}

/**
 * The request's body as JSON, read up to `maxBytes`: a bigger one is refused (`too_large`, 413) as
 * soon as that is known, by its Content-Length or else while reading, so an oversize body is never
 * held whole. An empty body or one that is not JSON is `bad_request` (400).
 */
export async function readJsonBody (req: Request, maxBytes: number): Promise<unknown> {
  const tooLarge = (): GoopError => new GoopError('too_large', `the request body is over ${maxBytes} bytes`, 413)
  const declared = req.headers.get('content-length')
  if (declared != null && Number(declared) > maxBytes) throw tooLarge()
  const parts: Uint8Array[] = []
  let size = 0
  const reader = req.body?.getReader()
  if (reader != null) {
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        size += value.byteLength
        if (size > maxBytes) throw tooLarge()
        parts.push(value)
      }
    } finally {
      await reader.cancel().catch(() => {})
    }
  }
  if (size === 0) throw new GoopError('bad_request', 'the request body is empty: send JSON', 400)
  const bytes = new Uint8Array(size)
  let at = 0
  for (const part of parts) { bytes.set(part, at); at += part.byteLength }
  // ignoreBOM: a leading byte order mark is kept, so JSON.parse refuses it like any other stray byte.
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes)
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new GoopError('bad_request', `the request body is not JSON: ${(err as Error).message}`, 400)
  }
}
