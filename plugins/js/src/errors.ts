import { GoopError } from '@goop/sdk'

/**
 * The GoopError codes the JS runtime answers with. The first six are logic.ts's contract; the rest
 * are refinements documented in the README: `too_large` (an argument or result over JS_LIMITS),
 * `bad_request` (a call whose argument is not JSON), `rate_limited` (too many calls waiting), `unavailable` (the module was disposed, or node
 * was started without --no-node-snapshot), `internal` (isolated-vm failed in a way it should not).
 */
export type JsErrorCode = 'bad_logic' | 'not_exported' | 'timeout' | 'memory' | 'logic_error' | 'bad_result' |
  'too_large' | 'bad_request' | 'rate_limited' | 'unavailable' | 'internal'

export function jsError (code: JsErrorCode, message: string): GoopError {
  return new GoopError(code, message, statusOf(code))
}

/** Codes that speak for the runtime itself: a host refusal never passes one of these on. */
const RESERVED = new Set(['timeout', 'memory', 'not_exported', 'bad_logic', 'bad_result', 'internal', 'unavailable'])
const CODE = /^[a-z][a-z0-9_]{0,63}$/

/**
 * A host refusal the logic did not catch (e.g. `forbidden` from a data policy), passed on with its own
 * code as the Lua runtime does, so a visitor is told the same thing whichever runtime the template
 * uses. Undefined for a code that is not a plain code or that belongs to the runtime.
 */
export function hostRefusal (code: string, message: string): GoopError | undefined {
  if (!CODE.test(code) || RESERVED.has(code)) return undefined
  const status = { forbidden: 403, not_found: 404, unknown_table: 404, conflict: 409, rate_limited: 429, too_large: 413 }[code] ?? 400
  return new GoopError(code, message, status)
}

function statusOf (code: JsErrorCode): number {
  switch (code) {
    case 'not_exported': return 404
    case 'timeout': return 504
    case 'too_large': return 413
    case 'rate_limited': return 429
    case 'unavailable': return 503
    case 'memory': case 'internal': case 'bad_result': return 500
    default: return 400
  }
}

/** Why isolated-vm rejected an operation, from the host's point of view. */
export type IsolateFailure = 'timeout' | 'memory' | 'disposed' | 'other'

/**
 * isolated-vm reports its limits as plain Errors with fixed messages: "Script execution timed out."
 * when `timeout` ends synchronous work (microtasks included), "Isolate was disposed during execution
 * due to memory limit" when the heap cap is hit, "Isolate was disposed during execution" (or "Isolate
 * is disposed") when we disposed of it. `disposedByUs` tells the last two apart when the message is
 * ambiguous.
 */
export function classifyIvmError (err: unknown, isolateDisposed: boolean, disposedByUs: boolean): IsolateFailure {
  const message = err instanceof Error ? err.message : String(err)
  if (/memory limit/i.test(message)) return 'memory'
  if (/timed out/i.test(message)) return 'timeout'
  if (isolateDisposed || /disposed/i.test(message)) return disposedByUs ? 'disposed' : 'memory'
  return 'other'
}

/** What the prelude reports when logic throws (see prelude.ts, `describeError`). */
export interface ThrownByLogic {
  code: 'logic_error' | 'bad_result' | 'too_large' | 'not_exported'
  name?: string
  message: string
  stack?: string
  /** Set when the error came from a host call the logic did not catch (e.g. `forbidden`). */
  hostCode?: string
}

/** The message of a `logic_error`: the error's name and message, then where it was thrown in the template's own files. */
export function formatThrown (t: ThrownByLogic, where: string | undefined): string {
  let text = t.message
  if (t.hostCode != null) text = `${t.hostCode}: ${text}`
  else if (t.name != null && t.name !== '' && t.name !== 'Error') text = `${t.name}: ${text}`
  // V8 rejects import() in an isolate with a bare "Not supported"; say what it means here.
  if (t.name === 'Error' && t.message === 'Not supported') text += ' (import() is not available in goop logic: import files statically)'
  return where != null ? `${text} (at ${where})` : text
}
