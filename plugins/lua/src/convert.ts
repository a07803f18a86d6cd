import type { Heap } from './heap.js'
import { LUA_REGISTRYINDEX, LuaType, type LuaC } from './lua-api.js'

/**
 * JSON ↔ Lua, on the Lua stack, through the C API (no wasmoon type extensions: nothing but JSON-shaped
 * values ever crosses, and no JS object ever reaches Lua).
 *
 * The mapping (README "Values"):
 * - JSON → Lua: objects and arrays become tables (arrays as sequences 1..n); an object's table is
 *   marked with the `goop.object` metatable so that it stays an object even when emptied; `null`
 *   is `goop.null` inside arrays (to keep positions) and is left out of objects (an absent key is
 *   Lua's null); a `null` argument is `nil`. Integers become Lua integers, other numbers floats.
 * - Lua → JSON: a table whose keys are exactly 1..n is an array; an empty table is `[]` unless it is
 *   marked with `goop.object`; any other table is an object, whose keys must be strings or integers
 *   (integers are written as strings). `goop.null` and `nil` are `null`. Functions, coroutines,
 *   NaN, ±inf, other key types and cycles are refused with the path of the offending value.
 */

/** A value that cannot cross: the message names where it sits (`result.items[3]`). */
export class ConvertError extends Error {
  constructor (readonly code: 'bad_value' | 'too_large' | 'too_deep', message: string) {
    super(message)
  }
}

const TYPE_NAMES: Record<number, string> = {
  [LuaType.boolean]: 'boolean', [LuaType.table]: 'table', [LuaType.function]: 'function',
  [LuaType.userdata]: 'userdata', [LuaType.thread]: 'coroutine', [LuaType.lightuserdata]: 'userdata'
}

/** The one light userdata the sandbox has: `goop.null`, the NULL pointer. */
export const NULL_POINTER = 0

export class Converter {
  /** Tables on the path being read, by their pointer: a table met again below itself is a cycle. */
  private readonly onPath = new Set<number>()
  private budget = 0
  private maxBytes = 0

  constructor (
    private readonly c: LuaC,
    private readonly heap: Heap,
    private readonly objectMetaRef: number,
    private readonly maxDepth: number
  ) {}

  /** Read the Lua value at `idx` as a JSON-shaped JS value, counting its serialised size against `maxBytes`. */
  toJs (L: number, idx: number, what: string, maxBytes: number): unknown {
    this.onPath.clear()
    this.maxBytes = maxBytes
    this.budget = maxBytes
    return this.read(L, this.c.lua_absindex(L, idx), what, 0)
  }

  /** The estimated JSON size of the last value `toJs` read. */
  get lastSize (): number {
    return this.maxBytes - this.budget
  }

  /** Push a JSON-shaped JS value (from JSON.parse) onto L's stack. Allocates in Lua: may raise a memory error. */
  push (L: number, value: unknown): void {
    if (value === null || value === undefined) this.c.lua_pushnil(L)
    else this.pushValue(L, value, 0)
  }

  private spend (n: number, what: string): void {
    this.budget -= n
    if (this.budget < 0) throw new ConvertError('too_large', `${what}: larger than ${this.maxBytes} bytes as JSON`)
  }

  private read (L: number, idx: number, path: string, depth: number): unknown {
    const c = this.c
    switch (c.lua_type(L, idx)) {
      case LuaType.nil:
        this.spend(4, path)
        return null
      case LuaType.boolean:
        this.spend(5, path)
        return c.lua_toboolean(L, idx) !== 0
      case LuaType.number: {
        const n = c.lua_tonumberx(L, idx, 0)
        if (!Number.isFinite(n)) throw new ConvertError('bad_value', `${path}: ${n} is not a JSON number`)
        this.spend(8, path)
        return n
      }
      case LuaType.string: {
        const len = this.heap.stringLength(L, idx)
        this.spend(len + 2, path)
        return this.heap.readString(L, idx)
      }
      case LuaType.lightuserdata:
        if (c.lua_touserdata(L, idx) === NULL_POINTER) {
          this.spend(4, path)
          return null
        }
        throw new ConvertError('bad_value', `${path}: a light userdata is not JSON`)
      case LuaType.table:
        return this.readTable(L, idx, path, depth)
      default:
        throw new ConvertError('bad_value', `${path}: a ${TYPE_NAMES[c.lua_type(L, idx)] ?? 'value'} is not JSON`)
    }
  }

  private readTable (L: number, idx: number, path: string, depth: number): unknown {
    const c = this.c
    if (depth >= this.maxDepth) throw new ConvertError('too_deep', `${path}: nested deeper than ${this.maxDepth} levels`)
    const ptr = this.pointer(L, idx)
    if (this.onPath.has(ptr)) throw new ConvertError('bad_value', `${path}: a table that contains itself is not JSON`)
    if (c.lua_checkstack(L, 3) === 0) throw new ConvertError('too_deep', `${path}: nested too deep`)
    this.onPath.add(ptr)
    const keys: Array<string | number> = []
    const values: unknown[] = []
    let sequence = true
    c.lua_pushnil(L)
    while (c.lua_next(L, idx) !== 0) {
      // key at -2, value at -1. Never convert the key in place (lua_tolstring on a number): it would break lua_next.
      let key: string | number
      const kt = c.lua_type(L, -2)
      if (kt === LuaType.string) {
        key = this.heap.readString(L, -2)
        sequence = false
      } else if (kt === LuaType.number && c.lua_isinteger(L, -2) !== 0) {
        key = c.lua_tonumberx(L, -2, 0)
        if (key < 1) sequence = false
      } else {
        // (The stack is left as it is: the C function that called us resets it.)
        const what = kt === LuaType.number ? `the key ${c.lua_tonumberx(L, -2, 0)}` : `a ${TYPE_NAMES[kt] ?? 'non-string'} key`
        throw new ConvertError('bad_value', `${path}: a table with ${what} is not JSON (keys are strings or integers)`)
      }
      this.spend(typeof key === 'string' ? key.length + 4 : 1, path)
      values.push(this.read(L, c.lua_absindex(L, -1), typeof key === 'string' ? `${path}.${key}` : `${path}[${key}]`, depth + 1))
      keys.push(key)
      c.lua_settop(L, -2)
    }
    this.onPath.delete(ptr)
    const n = keys.length
    if (n === 0) return this.isObject(L, idx) ? {} : []
    if (sequence && keys.every(k => (k as number) <= n)) {
      // Integer keys, all in 1..n, and n of them (table keys are unique): exactly a sequence.
      const arr = Array.from<unknown>({ length: n })
      for (let i = 0; i < n; i++) arr[(keys[i] as number) - 1] = values[i]
      return arr
    }
    // A null-prototype object: a key named "__proto__" is then just a key.
    const obj = Object.create(null) as Record<string, unknown>
    for (let i = 0; i < n; i++) obj[String(keys[i])] = values[i]
    return obj
  }

  private pushValue (L: number, value: unknown, depth: number): void {
    const c = this.c
    switch (typeof value) {
      case 'string':
        this.heap.pushString(L, value)
        return
      case 'number':
        if (Number.isSafeInteger(value)) c.lua_pushinteger(L, BigInt(value))
        else c.lua_pushnumber(L, value)
        return
      case 'boolean':
        c.lua_pushboolean(L, value ? 1 : 0)
        return
      case 'object': {
        if (value === null) {
          c.lua_pushlightuserdata(L, NULL_POINTER)
          return
        }
        if (depth >= this.maxDepth) throw new ConvertError('too_deep', `a value nested deeper than ${this.maxDepth} levels`)
        if (c.lua_checkstack(L, 4) === 0) throw new ConvertError('too_deep', 'a value nested too deep')
        if (Array.isArray(value)) {
          c.lua_createtable(L, value.length, 0)
          for (let i = 0; i < value.length; i++) {
            this.pushValue(L, value[i], depth + 1)
            c.lua_rawseti(L, -2, BigInt(i + 1))
          }
          return
        }
        const entries = Object.entries(value as Record<string, unknown>)
        c.lua_createtable(L, 0, entries.length)
        for (const [k, v] of entries) {
          if (v === null || v === undefined) continue
          this.heap.pushString(L, k)
          this.pushValue(L, v, depth + 1)
          c.lua_rawset(L, -3)
        }
        c.lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(this.objectMetaRef))
        c.lua_setmetatable(L, -2)
        return
      }
      default:
        // JSON.parse never yields anything else.
        c.lua_pushnil(L)
    }
  }

  private isObject (L: number, idx: number): boolean {
    const c = this.c
    if (c.lua_getmetatable(L, idx) === 0) return false
    c.lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(this.objectMetaRef))
    const same = c.lua_rawequal(L, -1, -2) !== 0
    c.lua_settop(L, -3)
    return same
  }

  private pointer (L: number, idx: number): number {
    return this.c.lua_topointer(L, idx)
  }
}
