import { ERROR_STATUS, GoopError } from '@goop/sdk'

/**
 * The HTTP statuses of this plugin's error codes, beyond the SDK's `ERROR_STATUS` (the data codes,
 * the stream layer's, `internal`), the same over every way in (the admin API, `POST /.goop/call`, the
 * CLI): pass it to `errorResponse` and `httpStatusOf`. Codes from elsewhere (the runtimes, the data
 * plugin) are here too, because an error that crossed the wire from the owner is a code and a message
 * only. `internal` is the SDK's 500 (a local failure); from another peer it is 502 (calls.ts).
 */
export const TEMPLATE_STATUS: Readonly<Record<string, number>> = Object.freeze({
  // ours
  bad_template: 400, // the template was refused (the message names file and line)
  bad_logic: 400, // from a runtime: the logic does not compile (file and line)
  confirm_needed: 409, // applying would remove another template: ask, then send force
  table_conflict: 409, // the template declares a table the owner (or something else) made
  no_template: 404, // no template applied, or it has no logic
  not_exported: 404, // the function is not one the logic exports
  apply_failed: 500,
  // the logic call's outcome (from the runtimes)
  logic_error: 500,
  bad_result: 500,
  too_many_calls: 500, // the logic made more host calls than a call may: the template's fault, not the caller's
  not_allowed: 403,
  memory: 500,
  unavailable: 503, // the runtime is stopping, or the logic was unloaded (a switch): try again
  busy: 503,
  // the data plugin's own (a host call's error can surface as the call's error)
  destructive: 409
})

export function fail (code: string, message: string): never {
  throw new GoopError(code, message, TEMPLATE_STATUS[code] ?? ERROR_STATUS[code] ?? 400)
}

/** A value quoted for a message, bounded (a message never echoes a megabyte back). */
export function q (value: unknown, max = 80): string {
  let text: string
  try { text = JSON.stringify(value) ?? String(value) } catch { text = String(value) }
  return text.length > max ? `${text.slice(0, max - 3)}...` : text
}
