import { GoopError, isGoopError } from '@goop/sdk'

/**
 * The error codes of this plugin, each with one HTTP status, the same over every way in (the admin
 * API, `POST /.goop/call`, the CLI). Codes that come from elsewhere (the data plugin, the runtimes,
 * the stream layer) are mapped here too, because an error that crossed the wire from the owner is a
 * code and a message only.
 */
const STATUS: Record<string, number> = {
  // ours
  bad_template: 400, // the template was refused (the message names file and line)
  bad_logic: 400, // from a runtime: the logic does not compile (file and line)
  confirm_needed: 409, // applying would remove another template: ask, then send force
  table_conflict: 409, // the template declares a table the owner (or something else) made
  not_found: 404,
  no_template: 404, // no template applied, or it has no logic
  not_exported: 404, // the function is not one the logic exports
  apply_failed: 500,
  // the logic call's outcome (from the runtimes)
  logic_error: 500,
  bad_result: 500,
  too_many_calls: 500, // the logic made more host calls than a call may: the template's fault, not the caller's
  not_allowed: 403,
  timeout: 504,
  memory: 500,
  unavailable: 503, // the runtime is stopping, or the logic was unloaded (a switch): try again
  busy: 503,
  // the data plugin's (a host call's error can surface as the call's error)
  bad_request: 400,
  bad_value: 400,
  unknown_column: 400,
  forbidden: 403,
  unknown_table: 404,
  conflict: 409,
  destructive: 409,
  too_large: 413,
  reply_too_large: 413,
  frame_too_large: 413,
  rate_limited: 429,
  // the way to another peer
  unreachable: 502,
  stream_closed: 502,
  channel_closed: 502,
  internal: 500, // a local failure; from another peer it is 502 (calls.ts)
  bad_reply: 502
}

export function statusOf (err: GoopError): number {
  return STATUS[err.code] ?? (err.status >= 400 && err.status <= 599 ? err.status : 400)
}

export function fail (code: string, message: string): never {
  throw new GoopError(code, message, STATUS[code] ?? 400)
}

/** `{ error: { code, message } }` with the code's status; anything that is not a GoopError is `internal` with no details. */
export function errorResponse (err: unknown): Response {
  const headers = { 'cache-control': 'no-store' }
  if (!isGoopError(err)) return Response.json({ error: { code: 'internal', message: 'internal error' } }, { status: 500, headers })
  const extra: Record<string, string> = {}
  const wait = err.code === 'rate_limited' ? /retry after (\d+) ms/.exec(err.message)?.[1] : undefined
  if (wait != null) extra['retry-after'] = String(Math.max(1, Math.ceil(Number(wait) / 1000)))
  return Response.json({ error: { code: err.code, message: err.message } }, { status: statusOf(err), headers: { ...headers, ...extra } })
}

/** A value quoted for a message, bounded (a message never echoes a megabyte back). */
export function q (value: unknown, max = 80): string {
  let text: string
  try { text = JSON.stringify(value) ?? String(value) } catch { text = String(value) }
  return text.length > max ? `${text.slice(0, max - 3)}...` : text
}
