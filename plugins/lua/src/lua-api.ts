import { LuaWasm } from 'wasmoon'

/**
 * The Lua 5.4 C API of wasmoon's wasm build, called directly. wasmoon's own wrappers (`lua.lua_type`,
 * `module._lua_type`) go through emscripten's `ccall` and assertion shims at ~200–340 ns a call; the
 * wasm instance's exports cost ~5 ns. Converting a table touches the API a few times per value, so
 * we take the exports themselves (see `openLuaWasm`), and keep to the handful of functions we need.
 *
 * A `lua_Integer` is 64-bit: it crosses as a BigInt (the build uses WASM_BIGINT). Pointers and
 * `size_t` are 32-bit numbers. `lua_error` (and any Lua error raised inside these calls, such as a
 * failed allocation) unwinds with emscripten's longjmp, a JS `throw Infinity`: JS code running inside
 * a C function must let it pass (see `isLongjmp`).
 */
export interface LuaC {
  lua_newstate(alloc: number, ud: number): number
  lua_close(L: number): void
  lua_gettop(L: number): number
  lua_settop(L: number, idx: number): void
  lua_checkstack(L: number, n: number): number
  lua_absindex(L: number, idx: number): number
  lua_pushvalue(L: number, idx: number): void
  lua_type(L: number, idx: number): number
  lua_toboolean(L: number, idx: number): number
  lua_tonumberx(L: number, idx: number, isnum: number): number
  lua_isinteger(L: number, idx: number): number
  lua_tolstring(L: number, idx: number, len: number): number
  lua_touserdata(L: number, idx: number): number
  lua_topointer(L: number, idx: number): number
  lua_pushnil(L: number): void
  lua_pushboolean(L: number, b: number): void
  lua_pushnumber(L: number, n: number): void
  lua_pushinteger(L: number, n: bigint): void
  lua_pushlstring(L: number, s: number, len: number): number
  lua_pushcclosure(L: number, fn: number, n: number): void
  lua_pushlightuserdata(L: number, p: number): void
  lua_createtable(L: number, narr: number, nrec: number): void
  lua_rawget(L: number, idx: number): number
  lua_rawgeti(L: number, idx: number, n: bigint): number
  lua_rawset(L: number, idx: number): void
  lua_rawseti(L: number, idx: number, n: bigint): void
  lua_setfield(L: number, idx: number, k: number): void
  lua_next(L: number, idx: number): number
  lua_getmetatable(L: number, idx: number): number
  lua_setmetatable(L: number, idx: number): number
  lua_rawequal(L: number, a: number, b: number): number
  lua_setupvalue(L: number, funcindex: number, n: number): number
  lua_pcallk(L: number, nargs: number, nresults: number, errfunc: number, ctx: number, k: number): number
  lua_sethook(L: number, fn: number, mask: number, count: number): void
  lua_error(L: number): number
  luaL_loadbufferx(L: number, buf: number, size: number, name: number, mode: number): number
  luaL_ref(L: number, t: number): number
  luaopen_base(L: number): number
  luaopen_string(L: number): number
  luaopen_table(L: number): number
  luaopen_math(L: number): number
  luaopen_utf8(L: number): number
  luaopen_coroutine(L: number): number
  luaopen_os(L: number): number
  malloc(n: number): number
  free(p: number): void
  realloc(p: number, n: number): number
}

const C_NAMES = [
  'lua_newstate', 'lua_close', 'lua_gettop', 'lua_settop', 'lua_checkstack', 'lua_absindex', 'lua_pushvalue', 'lua_type',
  'lua_toboolean', 'lua_tonumberx', 'lua_isinteger', 'lua_tolstring', 'lua_touserdata', 'lua_topointer', 'lua_pushnil', 'lua_pushboolean',
  'lua_pushnumber', 'lua_pushinteger', 'lua_pushlstring', 'lua_pushcclosure', 'lua_pushlightuserdata', 'lua_createtable',
  'lua_rawget', 'lua_rawgeti', 'lua_rawset', 'lua_rawseti', 'lua_setfield', 'lua_next', 'lua_getmetatable',
  'lua_setmetatable', 'lua_rawequal', 'lua_setupvalue', 'lua_pcallk', 'lua_sethook', 'lua_error', 'luaL_loadbufferx',
  'luaL_ref', 'luaopen_base', 'luaopen_string', 'luaopen_table', 'luaopen_math', 'luaopen_utf8', 'luaopen_coroutine',
  'luaopen_os', 'malloc', 'free', 'realloc'
] as const

export const LUA_REGISTRYINDEX = -1_000_000 - 1000
export const LUA_MULTRET = -1
export const LuaStatus = { ok: 0, yield: 1, errRun: 2, errSyntax: 3, errMem: 4, errErr: 5 } as const
export const LuaType = { none: -1, nil: 0, boolean: 1, lightuserdata: 2, number: 3, string: 4, table: 5, function: 6, userdata: 7, thread: 8 } as const
export const LUA_MASKCOUNT = 8

/** A thrown value that is emscripten's longjmp (a Lua error unwinding), not a JS failure. */
export function isLongjmp (err: unknown): boolean {
  return typeof err === 'number'
}

export interface LuaWasmHandle {
  c: LuaC
  memory: WebAssembly.Memory
  /** Register a JS function in the wasm function table (`sig`: emscripten signature, e.g. 'ii'). */
  addFunction(fn: (...args: number[]) => number | void, sig: string): number
  /** True when the fast path (the instance's own exports) is in use. */
  direct: boolean
}

type Instantiate = typeof WebAssembly.instantiate

/**
 * Start wasmoon's wasm module and return its C API. While it instantiates we look at the instance
 * it creates (WebAssembly.instantiate is wrapped for that moment only, in this worker only) to call
 * its exports directly; if that ever fails to see one (a wasmoon that instantiates differently), we
 * fall back to the module's `_name` functions, which are slower but the same C functions.
 */
export async function openLuaWasm (): Promise<LuaWasmHandle> {
  const original: Instantiate = WebAssembly.instantiate
  let seen: WebAssembly.Exports | undefined
  const wrapped = async (...args: Parameters<Instantiate>): Promise<unknown> => {
    const result: unknown = await (original as (...a: unknown[]) => Promise<unknown>).apply(WebAssembly, args)
    const instance = (result as { instance?: WebAssembly.Instance }).instance ?? result
    if (instance instanceof WebAssembly.Instance) seen = instance.exports
    return result
  }
  let lua: LuaWasm
  ;(WebAssembly as { instantiate: unknown }).instantiate = wrapped
  try {
    lua = await LuaWasm.initialize()
  } finally {
    ;(WebAssembly as { instantiate: unknown }).instantiate = original
  }
  const module = lua.module as unknown as Record<string, unknown>
  const direct = seen !== undefined && C_NAMES.every(n => typeof seen?.[n] === 'function') && seen.memory instanceof WebAssembly.Memory
  const c = {} as Record<string, unknown>
  for (const name of C_NAMES) {
    const fn = direct ? seen?.[name] : module[`_${name}`]
    if (typeof fn !== 'function') throw new Error(`wasmoon: no C function ${name}`)
    c[name] = fn
  }
  const memory = direct ? seen?.memory as WebAssembly.Memory : (module.wasmMemory as WebAssembly.Memory | undefined) ?? memoryOf(module)
  return {
    c: c as unknown as LuaC,
    memory,
    addFunction: (fn, sig) => lua.module.addFunction(fn as (...args: unknown[]) => unknown, sig),
    direct
  }
}

/** The module's memory when its exports could not be seen: HEAPU8's buffer belongs to it. */
function memoryOf (module: Record<string, unknown>): WebAssembly.Memory {
  return { get buffer () { return (module.HEAPU8 as Uint8Array).buffer } } as unknown as WebAssembly.Memory
}
