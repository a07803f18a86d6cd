import type { HostReply, Outcome, WorkerLimits } from './bridge.js'
import { ConvertError, Converter, NULL_POINTER } from './convert.js'
import { Heap } from './heap.js'
import { hostRequest } from './host-api.js'
import { HOOK_INSTRUCTIONS } from './limits.js'
import { isLongjmp, LUA_MASKCOUNT, LUA_REGISTRYINDEX, LuaStatus, LuaType, openLuaWasm, type LuaC } from './lua-api.js'
import { SANDBOX_LUA } from './sandbox.lua.js'

/** Answers a host call, blocking (the worker's bridge). `oneway`: no answer is awaited (goop.log). */
export type HostCaller = (method: string, argsJson: string, oneway: boolean) => HostReply

export interface CallRequest {
  fn: string
  argsJson: string
  caller: string
  peer: string
  timeoutMs: number
}

export type LoadResult = { ok: true, exports: string[] } | { ok: false, code: string, message: string }

/** An error message the logic raised is cut to this many characters. */
const MAX_ERROR_CHARS = 2_000

/** What the sandbox says it is running (natives.phase): nothing, a file's top level (1, host calls refused), an exported function. */
const PHASE_IDLE = 0
const PHASE_CALL = 2

/** The soft deadline (the count hook's) comes a little before the hard one (the main thread's terminate). */
function softMs (timeoutMs: number): number {
  return timeoutMs - Math.min(50, timeoutMs * 0.1)
}

/**
 * One Lua state with the sandbox, in a worker: a memory cap kept by our own allocator, a deadline
 * kept by a count hook, and the C functions the sandbox calls. Runs one call at a time, synchronously.
 */
export class LuaVm {
  private readonly L: number
  private readonly heap: Heap
  private readonly convert: Converter
  private readonly refs: { entry: number, discover: number, setLogic: number, objectMeta: number, measureEnv: number, timeout: number, memory: number }

  // Memory: Lua's allocations, counted by our allocator.
  private used = 0
  /** A failed request size: the same size failing again right after (Lua retries once after an emergency GC) is a real out-of-memory. */
  private lastFailedSize = -1
  private memoryHit = false

  // The call in progress.
  private active = false
  private phase = PHASE_IDLE
  private softDeadline = 0
  private timedOut = false
  private request: CallRequest | undefined
  private outcome: Outcome | undefined
  private hostCalls = 0
  private logLines = 0
  private jsError: unknown
  private host: HostCaller = () => ({ ok: false, seq: 0, code: 'unavailable', message: 'no host' })
  /** `protect` runs JS inside a Lua pcall through this C function, which calls `protectedFn`. */
  private readonly trampoline: number
  private protectedFn: ((L: number) => void) | undefined

  static async create (memoryBytes: number, limits: WorkerLimits): Promise<LuaVm> {
    const wasm = await openLuaWasm()
    return new LuaVm(wasm.c, wasm.memory, wasm.addFunction, memoryBytes, limits)
  }

  private constructor (
    private readonly c: LuaC,
    memory: WebAssembly.Memory,
    addFunction: (fn: (...args: number[]) => number | void, sig: string) => number,
    private readonly memoryBytes: number,
    private readonly limits: WorkerLimits
  ) {
    this.heap = new Heap(c, memory)
    const alloc = addFunction((_ud: number, ptr: number, osize: number, nsize: number) => this.alloc(ptr, osize, nsize), 'iiiii')
    this.L = c.lua_newstate(alloc, 0)
    if (this.L === 0) throw new Error('lua_newstate failed')
    const hook = addFunction((L: number) => { this.hook(L) }, 'vii')
    c.lua_sethook(this.L, hook, LUA_MASKCOUNT, HOOK_INSTRUCTIONS)

    const cfn = (name: string, fn: (L: number) => number): number => addFunction((L: number) => this.guard(L, name, fn), 'ii')
    const natives: Record<string, number> = {
      host: cfn('host', L => this.hostCall(L)),
      setenv: cfn('setenv', L => this.setenv(L)),
      callinfo: cfn('callinfo', L => this.callinfo(L)),
      setresult: cfn('setresult', L => this.setresult(L)),
      setfail: cfn('setfail', L => this.setfail(L)),
      now: cfn('now', L => { c.lua_pushinteger(L, BigInt(Date.now())); return 1 }),
      phase: cfn('phase', L => { this.phase = c.lua_tonumberx(L, 1, 0); return 0 })
    }
    const trampoline = addFunction((L: number) => this.guard(L, 'protect', L2 => {
      const fn = this.protectedFn
      this.protectedFn = undefined
      fn?.(L2)
      return 0
    }), 'ii')
    this.trampoline = trampoline

    let api = 0
    const refs = { entry: 0, discover: 0, setLogic: 0, timeout: 0, memory: 0, objectMeta: 0, measureEnv: 0 }
    this.protect(L => {
      // Only these libraries are ever opened: base, string, table, math, utf8, coroutine, os (the
      // sandbox keeps three clock functions of it and drops the rest). Never io, debug, package.
      c.luaopen_base(L) // pushes the global table
      const lib = (open: (L: number) => number, name: string): void => {
        open(L)
        c.lua_setfield(L, 1, this.heap.cstr(name))
      }
      lib(c.luaopen_string, 'string')
      lib(c.luaopen_table, 'table')
      lib(c.luaopen_math, 'math')
      lib(c.luaopen_utf8, 'utf8')
      lib(c.luaopen_coroutine, 'coroutine')
      lib(c.luaopen_os, 'os')
      c.lua_settop(L, 0)

      const [src, len] = this.heap.copyIn(SANDBOX_LUA)
      const status = c.luaL_loadbufferx(L, src, len, this.heap.cstr('=goop-sandbox'), this.heap.cstr('t'))
      c.free(src)
      if (status !== LuaStatus.ok) throw new Error(`sandbox: ${this.heap.readString(L, -1)}`)
      c.lua_createtable(L, 0, 8)
      for (const [name, ptr] of Object.entries(natives)) {
        c.lua_pushcclosure(L, ptr, 0)
        c.lua_setfield(L, -2, this.heap.cstr(name))
      }
      c.lua_pushlightuserdata(L, NULL_POINTER)
      c.lua_setfield(L, -2, this.heap.cstr('null'))
      const st = c.lua_pcallk(L, 1, 1, 0, 0, 0)
      if (st !== LuaStatus.ok) throw new Error(`sandbox: ${this.heap.readString(L, -1)}`)
      api = c.lua_gettop(L)
      const field = (name: string): number => {
        this.heap.pushString(L, name)
        c.lua_rawget(L, api)
        return c.luaL_ref(L, LUA_REGISTRYINDEX)
      }
      refs.entry = field('entry')
      refs.discover = field('discover')
      refs.setLogic = field('setLogic')
      refs.objectMeta = field('objectMeta')
      refs.measureEnv = field('measureEnv')
      // Raised by the hook: preallocated, since raising must not allocate (memory may be exhausted).
      this.heap.pushString(L, 'the call ran past its deadline')
      refs.timeout = c.luaL_ref(L, LUA_REGISTRYINDEX)
      this.heap.pushString(L, 'not enough memory')
      refs.memory = c.luaL_ref(L, LUA_REGISTRYINDEX)
      c.lua_settop(L, 0)
    }, 'sandbox')
    this.refs = refs
    this.convert = new Converter(c, this.heap, refs.objectMeta, limits.maxDepth)
  }

  /** Compile every .lua file (text only, never bytecode), then run the entry's top level once to list its exports. */
  load (files: Record<string, string>, entry: string, timeoutMs: number): LoadResult {
    const c = this.c
    let failure: { code: string, message: string } | undefined
    this.protect(L => {
      c.lua_createtable(L, 0, Object.keys(files).length)
      const chunks = c.lua_gettop(L)
      for (const [path, text] of Object.entries(files)) {
        if (!path.endsWith('.lua')) continue
        this.heap.pushString(L, path)
        const [src, len] = this.heap.copyIn(text)
        // Mode 't': text only. A binary chunk (bytecode) could be crafted to break the VM.
        const status = c.luaL_loadbufferx(L, src, len, this.heap.cstr(`@${path}`), this.heap.cstr('t'))
        c.free(src)
        if (status !== LuaStatus.ok) {
          failure = {
            code: 'bad_logic',
            message: status === LuaStatus.errMem ? `${path}: not enough memory to load it (memory cap ${this.memoryBytes} bytes)` : this.heap.readString(L, -1)
          }
          return
        }
        c.lua_rawset(L, chunks)
      }
      c.lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(this.refs.setLogic))
      c.lua_pushvalue(L, chunks)
      this.heap.pushString(L, entry)
      const st = c.lua_pcallk(L, 2, 0, 0, 0, 0)
      if (st !== LuaStatus.ok) throw new Error(`setLogic: ${this.heap.readString(L, -1)}`)
    }, 'load')
    if (failure !== undefined) return { ok: false, ...failure }

    const out = this.run(this.refs.discover, { fn: '', argsJson: 'null', caller: '', peer: '', timeoutMs })
    if (!out.ok) {
      const message = out.code === 'timeout'
        ? `${entry}: its top level did not finish within ${timeoutMs} ms`
        : out.code === 'memory' ? `${entry}: its top level ran out of memory (cap ${this.memoryBytes} bytes)` : out.message
      return { ok: false, code: 'bad_logic', message }
    }
    return { ok: true, exports: JSON.parse(out.json) as string[] }
  }

  /** Microseconds one call's fresh environment costs (for the benchmark; measured in Lua over `n` of them). */
  measureFreshEnv (n: number): number {
    this.outcome = undefined
    this.protect(L => {
      this.c.lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(this.refs.measureEnv))
      this.c.lua_pushinteger(L, BigInt(n))
      const st = this.c.lua_pcallk(L, 1, 0, 0, 0, 0)
      if (st !== LuaStatus.ok) throw new Error(this.heap.readString(L, -1))
    }, 'measureEnv')
    const out = this.outcome as Outcome | undefined
    return out?.ok === true ? Number(out.json) : Number.NaN
  }

  call (req: CallRequest, host: HostCaller): Outcome {
    this.host = host
    return this.run(this.refs.entry, req)
  }

  /** Run a sandbox function (entry or discover) under the deadline and the memory cap, and say how it went. */
  private run (ref: number, req: CallRequest): Outcome {
    const c = this.c
    const L = this.L
    this.request = req
    this.outcome = undefined
    this.timedOut = false
    this.memoryHit = false
    this.lastFailedSize = -1
    this.jsError = undefined
    this.hostCalls = 0
    this.logLines = 0
    this.phase = PHASE_IDLE
    this.softDeadline = performance.now() + softMs(req.timeoutMs)
    this.active = true
    let status: number
    let message = ''
    try {
      c.lua_settop(L, 0)
      c.lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(ref))
      status = c.lua_pcallk(L, 0, 0, 0, 0, 0)
      if (status !== LuaStatus.ok && c.lua_type(L, -1) === LuaType.string) message = this.heap.readString(L, -1)
      c.lua_settop(L, 0)
    } catch (err) {
      // A JS exception that unwound through Lua's C frames (not a Lua error): the state cannot be trusted.
      this.jsError ??= err
      status = -1
    } finally {
      this.active = false
      this.phase = PHASE_IDLE
      this.request = undefined
    }
    const what = req.fn === '' ? 'the logic' : `the call to ${req.fn}`
    // Set by the C functions during the pcall (TypeScript cannot see that).
    const outcome = this.outcome as Outcome | undefined
    if (this.memoryHit || status === LuaStatus.errMem || message === 'not enough memory' ||
        (outcome?.ok === false && outcome.message === 'not enough memory')) {
      // Rebuilt: the wasm memory has grown to the cap and never shrinks.
      return { ok: false, code: 'memory', message: `${what} ran out of memory (cap ${this.memoryBytes} bytes)`, rebuild: true }
    }
    if (this.timedOut) return { ok: false, code: 'timeout', message: `${what} did not finish within ${req.timeoutMs} ms`, rebuild: false }
    if (this.jsError !== undefined) {
      return { ok: false, code: 'internal', message: `the Lua sandbox failed: ${String((this.jsError as Error)?.message ?? this.jsError)}`, rebuild: true }
    }
    if (outcome !== undefined) return outcome
    if (status !== LuaStatus.ok) return { ok: false, code: 'logic_error', message: message || 'the logic failed', rebuild: false }
    return { ok: false, code: 'internal', message: `${what} ended without a result`, rebuild: true }
  }

  /** Run JS that uses the C API inside a Lua pcall, so that a Lua error it raises (a failed allocation) is caught. */
  private protect (fn: (L: number) => void, what: string): void {
    const c = this.c
    this.protectedFn = fn
    this.jsError = undefined
    c.lua_settop(this.L, 0)
    c.lua_pushcclosure(this.L, this.trampoline, 0)
    const status = c.lua_pcallk(this.L, 0, 0, 0, 0, 0)
    const message = status !== LuaStatus.ok && c.lua_type(this.L, -1) === LuaType.string ? this.heap.readString(this.L, -1) : ''
    c.lua_settop(this.L, 0)
    if (this.jsError !== undefined) throw this.jsError
    if (status !== LuaStatus.ok) throw new Error(`${what}: ${message || `Lua status ${status}`}`)
  }

  /**
   * Every C function goes through here. Lua errors (longjmp) pass; a ConvertError becomes a Lua error
   * with its message; any other JS exception is recorded (the call then fails as `internal` and the
   * worker is rebuilt) and raised as a Lua error so that Lua unwinds normally.
   */
  private guard (L: number, name: string, fn: (L: number) => number): number {
    try {
      return fn(L)
    } catch (err) {
      if (isLongjmp(err)) throw err
      if (!(err instanceof ConvertError)) this.jsError ??= err
      this.c.lua_settop(L, 0)
      this.heap.pushString(L, err instanceof ConvertError ? err.message : `internal error in ${name}`)
      return this.c.lua_error(L)
    }
  }

  private alloc (ptr: number, osize: number, nsize: number): number {
    const c = this.c
    if (nsize === 0) {
      if (ptr !== 0) {
        this.used -= osize
        c.free(ptr)
      }
      return 0
    }
    // For a new block Lua passes the object's type in osize, not a size.
    const grow = ptr === 0 ? nsize : nsize - osize
    if (grow > 0 && this.used + grow > this.memoryBytes) return this.allocFailed(nsize)
    const p = c.realloc(ptr, nsize)
    if (p === 0) return this.allocFailed(nsize)
    this.used += grow
    this.lastFailedSize = -1
    return p
  }

  private allocFailed (nsize: number): number {
    // Lua answers a failed allocation with an emergency collection and one more try of the same
    // size: failing twice in a row is out of memory for real (the first failure alone is not).
    if (this.lastFailedSize === nsize && this.active) this.memoryHit = true
    this.lastFailedSize = nsize
    return 0
  }

  /** The count hook: past the soft deadline, or after memory ran out, raise (again and again, so pcall cannot keep a call alive). */
  private hook (L: number): void {
    if (!this.active) return
    if (this.memoryHit) this.raise(L, this.refs.memory)
    if (performance.now() > this.softDeadline) {
      this.timedOut = true
      this.raise(L, this.refs.timeout)
    }
  }

  private raise (L: number, ref: number): void {
    this.c.lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(ref))
    this.c.lua_error(L)
  }

  // C functions the sandbox calls ----------------------------------------------------------------

  /** setenv(f, env) → f, with f's first upvalue (a main chunk's _ENV) pointed at env. */
  private setenv (L: number): number {
    const c = this.c
    c.lua_settop(L, 2)
    if (c.lua_type(L, 1) !== LuaType.function || c.lua_type(L, 2) !== LuaType.table) throw new Error('setenv: bad arguments')
    if (c.lua_setupvalue(L, 1, 1) === 0) throw new Error('setenv: the chunk has no _ENV')
    return 1
  }

  /** callinfo() → fn, args, caller, peer */
  private callinfo (L: number): number {
    const req = this.request
    if (req === undefined) throw new Error('callinfo: no call')
    const c = this.c
    c.lua_settop(L, 0)
    if (c.lua_checkstack(L, 8) === 0) throw new Error('callinfo: no stack')
    this.heap.pushString(L, req.fn)
    try {
      this.convert.push(L, JSON.parse(req.argsJson))
    } catch (err) {
      if (err instanceof ConvertError) this.outcome = { ok: false, code: 'bad_request', message: `the argument: ${err.message}`, rebuild: false }
      throw err
    }
    this.heap.pushString(L, req.caller)
    this.heap.pushString(L, req.peer)
    return 4
  }

  /** setresult(value): the call's result, as JSON. */
  private setresult (L: number): number {
    if (this.outcome !== undefined) return 0
    const what = this.request?.fn === '' ? 'exports' : 'result'
    try {
      const value = this.convert.toJs(L, 1, what, this.limits.maxResultBytes)
      this.outcome = { ok: true, json: JSON.stringify(value) }
    } catch (err) {
      if (!(err instanceof ConvertError)) throw err
      this.outcome = err.code === 'too_large'
        ? { ok: false, code: 'too_large', message: `the logic returned a value ${err.message.replace(/^[^:]*: /, '')}`, rebuild: false }
        : { ok: false, code: 'bad_result', message: `the logic returned a value that cannot be sent as JSON: ${err.message}`, rebuild: false }
    }
    return 0
  }

  /** setfail(code, message). The first outcome of a call stands (an argument refused by callinfo, say). */
  private setfail (L: number): number {
    if (this.outcome !== undefined) return 0
    const code = this.c.lua_type(L, 1) === LuaType.string ? this.heap.readString(L, 1) : 'logic_error'
    let message = this.c.lua_type(L, 2) === LuaType.string ? this.heap.readString(L, 2) : code
    if (message.length > MAX_ERROR_CHARS) message = `${message.slice(0, MAX_ERROR_CHARS)}…`
    this.outcome = { ok: false, code, message, rebuild: false }
    return 0
  }

  /** host(method, ...) → true, result | false, code, message. Never raises for a refusal: the sandbox raises it as a table. */
  private hostCall (L: number): number {
    const c = this.c
    const n = c.lua_gettop(L)
    const reply = this.hostReply(L, n)
    c.lua_settop(L, 0)
    if (reply.ok) {
      c.lua_pushboolean(L, 1)
      this.convert.push(L, JSON.parse(reply.json))
      return 2
    }
    c.lua_pushboolean(L, 0)
    this.heap.pushString(L, reply.code)
    this.heap.pushString(L, reply.message)
    return 3
  }

  private hostReply (L: number, n: number): { ok: true, json: string } | { ok: false, code: string, message: string } {
    const c = this.c
    if (n < 1 || c.lua_type(L, 1) !== LuaType.string) return { ok: false, code: 'bad_request', message: 'no host method' }
    const method = this.heap.readString(L, 1)
    const api = method === 'db' || method === 'db.owner' ? `goop.${method}.${c.lua_type(L, 2) === LuaType.string ? this.heap.readString(L, 2) : '?'}` : `goop.${method}`
    if (this.phase !== PHASE_CALL && method !== 'log') {
      return {
        ok: false, code: 'not_allowed',
        message: `${api}: host calls are not available at the top level of a file (it runs before every call to list the exports); call them inside an exported function`
      }
    }
    if (++this.hostCalls > this.limits.maxHostCalls) {
      return { ok: false, code: 'too_many_calls', message: `${api}: a call may make at most ${this.limits.maxHostCalls} host calls` }
    }
    const args: unknown[] = []
    let budget = this.limits.maxHostArgsBytes
    try {
      for (let i = 2; i <= n; i++) {
        args.push(this.convert.toJs(L, i, `${api} argument ${i - 1}`, budget))
        budget -= this.convert.lastSize
      }
    } catch (err) {
      if (!(err instanceof ConvertError)) throw err
      return { ok: false, code: err.code === 'too_large' ? 'too_large' : 'bad_request', message: err.message }
    }
    if (method === 'log') return this.log(args)
    const req = hostRequest(method, args)
    if (!req.ok) return req
    const reply = this.host(req.method, JSON.stringify(req.args), false)
    return reply.ok ? { ok: true, json: reply.json } : { ok: false, code: reply.code, message: reply.message }
  }

  /** goop.log and print: one-way, capped in lines and length. */
  private log (args: unknown[]): { ok: true, json: string } {
    // While the load lists the exports there is no call and no host: a top-level print is dropped.
    if (this.request === undefined || this.request.fn === '') return { ok: true, json: 'null' }
    const max = this.limits.maxLogLines
    this.logLines++
    if (this.logLines <= max) {
      let message = typeof args[0] === 'string' ? args[0] : String(args[0])
      if (message.length > this.limits.maxLogChars) message = `${message.slice(0, this.limits.maxLogChars)}… (${message.length} characters)`
      const fields = args[1]
      const out = fields === undefined || fields === null ? [message] : [message, fields]
      this.host('log', JSON.stringify(out), true)
    } else if (this.logLines === max + 1) {
      this.host('log', JSON.stringify([`(more log lines of this call dropped: at most ${max} a call)`]), true)
    }
    return { ok: true, json: 'null' }
  }
}
