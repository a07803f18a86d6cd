import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads'

/**
 * What crosses between the main thread and a Lua worker. Every value crosses as JSON text, never as
 * an object graph, so "only JSON crosses" holds by construction.
 *
 * Calls and results travel as ordinary messages. A host call cannot: Lua waits for its answer inside
 * a C function, so the worker's event loop is blocked. The worker posts the request, then sleeps on
 * `Atomics.wait` over a shared Int32 flag; the main thread runs the (async) host call, posts the
 * answer on a MessagePort of its own and flips the flag. The worker wakes and takes the answer off
 * that port with `receiveMessageOnPort` (synchronous, no size limit, no chunking of our own). This
 * is the pattern Node's off-thread module hooks use.
 */

/** Given to the worker at start (workerData). */
export interface WorkerInit {
  files: Record<string, string>
  entry: string
  memoryBytes: number
  /** Deadline of the top level's first run (listing the exports). */
  timeoutMs: number
  limits: WorkerLimits
  /** Int32Array over it: [0] = 1 when a host answer is waiting on `replies`. */
  signal: SharedArrayBuffer
  replies: MessagePort
}

export interface WorkerLimits {
  maxArgsBytes: number
  maxResultBytes: number
  maxHostArgsBytes: number
  maxHostCalls: number
  maxLogLines: number
  maxLogChars: number
  maxDepth: number
}

/** Main → worker. */
export interface CallMessage {
  t: 'call'
  id: number
  fn: string
  /** The argument, as JSON text. */
  args: string
  caller: string
  peer: string
  /** Time left until the call's deadline when it was sent. */
  timeoutMs: number
}

/** Worker → main. */
export type WorkerMessage =
  | { t: 'loaded', exports: string[] }
  | { t: 'load-failed', code: string, message: string }
  | { t: 'host', id: number, seq: number, method: string, args: string, oneway: boolean }
  | { t: 'done', id: number, outcome: Outcome }

/** How a call ended. `rebuild`: the worker must be replaced (its wasm memory grew to the cap, or its state is suspect). */
export type Outcome =
  | { ok: true, json: string }
  | { ok: false, code: string, message: string, rebuild: boolean }

/** Main → worker, on the replies port. */
export type HostReply =
  | { ok: true, seq: number, json: string }
  | { ok: false, seq: number, code: string, message: string }

const WAITING = 0
const ANSWERED = 1

/** Main side: hand a host answer to the worker that is waiting for it. */
export function answerHostCall (signal: Int32Array, port: MessagePort, reply: HostReply): void {
  port.postMessage(reply)
  Atomics.store(signal, 0, ANSWERED)
  Atomics.notify(signal, 0)
}

/** Worker side: post a host request and block until its answer, at most `waitMs`. */
export function blockingHostCall (
  signal: Int32Array, replies: MessagePort, post: (msg: WorkerMessage) => void,
  request: { id: number, seq: number, method: string, args: string }, waitMs: number
): HostReply {
  Atomics.store(signal, 0, WAITING)
  post({ t: 'host', ...request, oneway: false })
  const until = performance.now() + waitMs
  for (;;) {
    const left = until - performance.now()
    if (left <= 0) return { ok: false, seq: request.seq, code: 'timeout', message: `host call ${request.method} did not answer in time` }
    if (Atomics.load(signal, 0) === WAITING) {
      Atomics.wait(signal, 0, WAITING, left)
      continue
    }
    const got = receiveMessageOnPort(replies)
    if (got === undefined) {
      // Flagged but not visible yet (postMessage enqueues before the flag flips, so this should not
      // happen): look again shortly rather than sleep until the deadline.
      Atomics.wait(signal, 0, ANSWERED, 1)
      continue
    }
    const reply = got.message as HostReply
    if (reply.seq === request.seq) return reply
    // An answer to an earlier request the worker stopped waiting for: drop it. The flag stays set,
    // so the loop polls the port every millisecond until the right answer comes (a rare path).
  }
}
