import { HOST_METHODS, isGoopError, type HostMethod, type LogicHost, type Logger } from '@goop/sdk'
import { JS_LIMITS } from './limits.js'

/**
 * The host's side of a host call made by logic: the bridge hands over `(method, argsJson)` exactly as
 * the prelude sent them, and this checks them again (the prelude's checks only save a crossing; these
 * are the ones that count), calls the template's LogicHost, and answers with an envelope string:
 * `R` + result JSON, or `E` + `{ code, message }`. Nothing but that string goes back: a host error
 * becomes its code and message, never an object the logic could inspect.
 */

const METHODS = new Set<string>(HOST_METHODS)

export function isHostMethod (m: string): m is HostMethod { return METHODS.has(m) }

export function errorEnvelope (code: string, message: string): string {
  return 'E' + JSON.stringify({ code, message })
}

/** Per-call accounting of host calls, kept on the host. */
export interface HostCallBudget { hostCalls: number, logs: number }

/** Answer one host call (not `log`). Never rejects. */
export async function answerHostCall (host: LogicHost, budget: HostCallBudget, method: string, argsJson: string, log?: Logger): Promise<string> {
  if (!isHostMethod(method) || method === 'log') return errorEnvelope('bad_request', `there is no host call ${JSON.stringify(method.slice(0, 40))}`)
  if (++budget.hostCalls > JS_LIMITS.hostCallsPerCall) return errorEnvelope('too_many_calls', `a call may make at most ${JS_LIMITS.hostCallsPerCall} host calls`)
  if (Buffer.byteLength(argsJson) > JS_LIMITS.hostArgsBytes) return errorEnvelope('too_large', `host call arguments are limited to ${JS_LIMITS.hostArgsBytes} bytes`)
  let args: unknown
  try { args = JSON.parse(argsJson) } catch { return errorEnvelope('bad_request', 'host call arguments are not JSON') }
  if (!Array.isArray(args)) return errorEnvelope('bad_request', 'host call arguments are not a list')
  let value: unknown
  try {
    value = await host(method, args)
  } catch (err) {
    if (isGoopError(err)) return errorEnvelope(err.code, err.message)
    log?.warn('a host call from js logic failed', { method, error: err instanceof Error ? err.message : String(err) })
    return errorEnvelope('internal', `${method} failed`)
  }
  let json: string | undefined
  try { json = JSON.stringify(value === undefined ? null : value) } catch { json = undefined }
  if (json === undefined) return errorEnvelope('internal', `${method} answered with something that is not JSON`)
  if (Buffer.byteLength(json) > JS_LIMITS.hostResultBytes) return errorEnvelope('too_large', `${method} answered with more than ${JS_LIMITS.hostResultBytes} bytes`)
  return 'R' + json
}

/** Pass a `goop.log` line on, within the caps; the logic does not wait for it and never hears of a failure. */
export function forwardLog (host: LogicHost, budget: HostCallBudget, argsJson: string, log?: Logger): void {
  // One more than the cap: the prelude's own "lines were dropped" note.
  if (++budget.logs > JS_LIMITS.logLinesPerCall + 1) return
  if (Buffer.byteLength(argsJson) > JS_LIMITS.logMessageChars * 6 + JS_LIMITS.logFieldsBytes + 64) return
  let args: unknown
  try { args = JSON.parse(argsJson) } catch { return }
  if (!Array.isArray(args) || typeof args[0] !== 'string' || args.length > 2) return
  const message = args[0].length > JS_LIMITS.logMessageChars + 1 ? args[0].slice(0, JS_LIMITS.logMessageChars) + '…' : args[0]
  const out = args.length === 2 ? [message, args[1]] : [message]
  void Promise.resolve().then(async () => await host('log', out)).catch((err: unknown) => {
    log?.debug('goop.log from js logic was not taken', { error: err instanceof Error ? err.message : String(err) })
  })
}
