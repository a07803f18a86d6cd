import type { LogicLimits } from '@goop/sdk'

/**
 * Bounds of the JS runtime that do not depend on the template: what may cross the isolate boundary
 * and how much one call may ask of the host. They protect the peer's main thread and memory from
 * logic that means harm (the isolate's own heap is bounded by `memoryLimit`).
 */
export const JS_LIMITS = Object.freeze({
  /** A call's argument, serialised as JSON (bytes). */
  argsBytes: 256 * 1024,
  /** A call's result, serialised as JSON (bytes). */
  resultBytes: 1024 * 1024,
  /** One host call's arguments, serialised (bytes): as large as a data request may be (DATA_LIMITS.requestBytes). */
  hostArgsBytes: 256 * 1024,
  /** One host call's answer, serialised (bytes): a data result may be 4 MiB (DATA_LIMITS.resultBytes), plus room for its envelope. */
  hostResultBytes: 4 * 1024 * 1024 + 4096,
  /** Host calls one call may make in all (`goop.log` not counted). */
  hostCallsPerCall: 1000,
  /** Host calls one call may have pending at once: a loop firing calls without awaiting them is stopped here, not on the main thread. */
  hostPendingPerCall: 64,
  /** `goop.log` lines per call; one note says when later lines were dropped. */
  logLinesPerCall: 100,
  /** One log message (characters; longer ones are cut). */
  logMessageChars: 1000,
  /** One log line's `fields`, serialised (bytes; larger ones are replaced by a note). */
  logFieldsBytes: 4096,
  /** Calls of one module running at once; later ones wait (their deadline runs while they wait). */
  concurrentCalls: 32,
  /** Calls of one module waiting for a turn; more are refused (`rate_limited`) rather than held. */
  queuedCalls: 1000,
  /** A logic folder: files and their total size. */
  sourceFiles: 500,
  sourceBytes: 4 * 1024 * 1024,
  /** `caller` and `peer` in a call context (characters). */
  peerIdChars: 128,
  /** isolated-vm's smallest heap. */
  minMemoryBytes: 8 * 1024 * 1024
})

/** The limits a module really gets: what the template asked for, at most what the peer's owner allows. */
export function effectiveLimits (asked: LogicLimits, max: LogicLimits): LogicLimits {
  const memoryBytes = Math.max(JS_LIMITS.minMemoryBytes, Math.min(finite(asked.memoryBytes, max.memoryBytes), max.memoryBytes))
  const callTimeoutMs = Math.max(1, Math.min(finite(asked.callTimeoutMs, max.callTimeoutMs), max.callTimeoutMs))
  return { memoryBytes, callTimeoutMs }
}

function finite (n: number, fallback: number): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : fallback
}
