import { GoopError, isGoopError } from '@goop/sdk'
import { retryAfterMs } from './rate-limit.js'

/**
 * HTTP statuses of the data error codes. An error that came from another peer crosses the wire as a
 * code and a message only, so the status is derived from the code here, the same for every way in
 * (the admin API, `/.goop/data`).
 */
const STATUS: Record<string, number> = {
  bad_request: 400,
  bad_value: 400,
  unknown_column: 400,
  forbidden: 403,
  unknown_table: 404,
  not_found: 404,
  conflict: 409,
  destructive: 409,
  bad_backup: 400,
  bad_database: 500,
  too_large: 413,
  reply_too_large: 413,
  frame_too_large: 413,
  rate_limited: 429,
  unreachable: 502,
  stream_closed: 502,
  channel_closed: 502,
  internal: 502, // from another peer: its handler failed (a local failure is never a GoopError)
  bad_reply: 502,
  timeout: 504
}

export function statusOf (err: GoopError): number {
  return STATUS[err.code] ?? (err.status >= 400 && err.status <= 599 ? err.status : 400)
}

/** `{ error: { code, message } }` with the code's status (and Retry-After for `rate_limited`). */
export function errorResponse (err: unknown): Response {
  if (!isGoopError(err)) return Response.json({ error: { code: 'internal', message: 'internal error' } }, { status: 500, headers: { 'cache-control': 'no-store' } })
  const headers: Record<string, string> = { 'cache-control': 'no-store' }
  const wait = err.code === 'rate_limited' ? retryAfterMs(err.message) : undefined
  if (wait != null) headers['retry-after'] = String(Math.max(1, Math.ceil(wait / 1000)))
  return Response.json({ error: { code: err.code, message: err.message } }, { status: statusOf(err), headers })
}

/**
 * The request's body as JSON, read up to `maxBytes` (a bigger one is refused as soon as it is known
 * to be: by its Content-Length, else while reading).
 */
export async function readJson (req: Request, maxBytes: number): Promise<unknown> {
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
  const text = Buffer.concat(parts).toString('utf8')
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new GoopError('bad_request', `the request body is not JSON: ${(err as Error).message}`, 400)
  }
}
