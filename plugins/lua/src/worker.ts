import { parentPort, workerData } from 'node:worker_threads'
import { blockingHostCall, type CallMessage, type WorkerInit, type WorkerMessage } from './bridge.js'
import { LuaVm, type HostCaller } from './vm.js'

/**
 * A Lua worker: one loaded module's Lua state. It loads the logic once, then runs calls one at a
 * time as they arrive. Everything here is synchronous while a call runs (a host call blocks on the
 * bridge); the main thread keeps the deadline and terminates this thread if a call overruns it.
 * Only `import type` from @goop/sdk here: the worker loads no package but wasmoon.
 */

/** Host calls may wait past the soft deadline by this much: the main thread's terminate comes first. */
const HOST_WAIT_SLACK_MS = 1_000

const init = workerData as WorkerInit
const port = parentPort
if (port === null) throw new Error('worker.ts runs in a worker thread')
const post = (msg: WorkerMessage): void => { port.postMessage(msg) }
const signal = new Int32Array(init.signal)

const vm = await LuaVm.create(init.memoryBytes, init.limits)
const loaded = vm.load(init.files, init.entry, init.timeoutMs)
post(loaded.ok ? { t: 'loaded', exports: loaded.exports } : { t: 'load-failed', code: loaded.code, message: loaded.message })

let seq = 0
port.on('message', (msg: CallMessage) => {
  if (msg.t !== 'call') return
  const deadline = performance.now() + msg.timeoutMs
  const host: HostCaller = (method, args, oneway) => {
    seq++
    if (oneway) {
      post({ t: 'host', id: msg.id, seq, method, args, oneway: true })
      return { ok: true, seq, json: 'null' }
    }
    return blockingHostCall(signal, init.replies, post, { id: msg.id, seq, method, args }, Math.max(0, deadline - performance.now()) + HOST_WAIT_SLACK_MS)
  }
  const outcome = vm.call({ fn: msg.fn, argsJson: msg.args, caller: msg.caller, peer: msg.peer, timeoutMs: msg.timeoutMs }, host)
  post({ t: 'done', id: msg.id, outcome })
})
