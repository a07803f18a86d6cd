import type { LuaC } from './lua-api.js'

/**
 * Strings between JS and the wasm heap. Lua strings are bytes with a length (they may hold NUL);
 * JS strings go in as UTF-8 and come out decoded as UTF-8 (invalid bytes become U+FFFD).
 */
export class Heap {
  private u8: Uint8Array
  private scratch = 0
  private scratchSize = 0
  /** Four bytes for `size_t` out-parameters. */
  private readonly lenPtr: number
  private readonly cstrings = new Map<string, number>()
  private readonly encoder = new TextEncoder()
  private readonly decoder = new TextDecoder('utf-8')

  constructor (private readonly c: LuaC, private readonly memory: WebAssembly.Memory) {
    this.u8 = new Uint8Array(memory.buffer)
    this.lenPtr = this.alloc(4)
  }

  /** The heap as bytes (the view is renewed when the wasm memory has grown). */
  bytes (): Uint8Array {
    if (this.u8.buffer !== this.memory.buffer) this.u8 = new Uint8Array(this.memory.buffer)
    return this.u8
  }

  alloc (n: number): number {
    const p = this.c.malloc(n)
    if (p === 0) throw new Error('the wasm heap is full')
    return p
  }

  /** A NUL-terminated copy of `s` that lives as long as the heap (field names, chunk names). */
  cstr (s: string): number {
    let p = this.cstrings.get(s)
    if (p === undefined) {
      const b = this.encoder.encode(s)
      p = this.alloc(b.length + 1)
      const u8 = this.bytes()
      u8.set(b, p)
      u8[p + b.length] = 0
      this.cstrings.set(s, p)
    }
    return p
  }

  /** Byte length of the Lua string at `idx` (which must be a string). */
  stringLength (L: number, idx: number): number {
    this.c.lua_tolstring(L, idx, this.lenPtr)
    return this.readU32(this.lenPtr)
  }

  /** The Lua string (or number, converted in place: never call on a key during `lua_next`) at `idx`. */
  readString (L: number, idx: number): string {
    const p = this.c.lua_tolstring(L, idx, this.lenPtr)
    if (p === 0) return ''
    const len = this.readU32(this.lenPtr)
    const u8 = this.bytes()
    if (len <= 32) {
      // Short ASCII strings (keys, codes) decode faster by hand than through TextDecoder.
      let s = ''
      for (let i = 0; i < len; i++) {
        const b = u8[p + i]
        if (b >= 0x80) return this.decoder.decode(u8.subarray(p, p + len))
        s += String.fromCharCode(b)
      }
      return s
    }
    return this.decoder.decode(u8.subarray(p, p + len))
  }

  /** Push `s` onto L's stack as a Lua string (allocates in Lua: may raise a memory error). */
  pushString (L: number, s: string): void {
    const max = s.length * 3
    if (max > this.scratchSize) {
      if (this.scratch !== 0) this.c.free(this.scratch)
      this.scratchSize = Math.max(256, max)
      this.scratch = this.alloc(this.scratchSize)
    }
    const { written } = this.encoder.encodeInto(s, this.bytes().subarray(this.scratch, this.scratch + this.scratchSize))
    this.c.lua_pushlstring(L, this.scratch, written)
    if (this.scratchSize > 1024 * 1024) {
      // Do not keep a big buffer outside the Lua memory cap after one large string.
      this.c.free(this.scratch)
      this.scratch = 0
      this.scratchSize = 0
    }
  }

  /** Copy `s` into the heap as a NUL-terminated UTF-8 buffer the caller frees; returns [pointer, byte length]. */
  copyIn (s: string): [number, number] {
    const b = this.encoder.encode(s)
    const p = this.alloc(b.length + 1)
    const u8 = this.bytes()
    u8.set(b, p)
    u8[p + b.length] = 0
    return [p, b.length]
  }

  private readU32 (p: number): number {
    const u8 = this.bytes()
    return (u8[p] | (u8[p + 1] << 8) | (u8[p + 2] << 16) | (u8[p + 3] << 24)) >>> 0
  }
}
