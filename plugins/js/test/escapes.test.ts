import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { GoopError } from '@goop/sdk'
import type { JsLogicModule } from '../src/module.js'
import { CTX, failure, load, nullHost, recordingHost, runtime } from './helpers.js'

/**
 * Template logic trying to get out of its sandbox, or to outlive its call. Every attempt must fail
 * with an error the caller can read, and the runtime must keep serving: the next call of the same
 * module works, and other modules' calls and the peer's own timers run while a call is stuck.
 */

let bystander: JsLogicModule
before(async () => { bystander = await load('export const ping = (a: unknown) => a') })
after(async () => { await runtime.close() })

/** The module still answers after whatever the previous call did. */
async function stillServes (m: JsLogicModule): Promise<void> {
  assert.equal(await m.call('ping', 'pong', CTX, nullHost), 'pong')
}

const PING = '\nexport const ping = (a: unknown) => a'
/** The same, for hostile logic written as plain JavaScript: an attacker need not satisfy the type checker. */
const PING_JS = '\nexport const ping = (a) => a'

describe('no way to the host', () => {
  it('process, require, module and node globals are not there', async () => {
    const m = await load(`
      export function kinds () { return [typeof process, typeof module, typeof exports, typeof global, typeof setTimeout, typeof Buffer] }
      export function pid () { return globalThis.process.pid }
      export function req (name) { const r = require; return r(name) }${PING_JS}`, {}, 'main.js')
    assert.deepEqual(await m.call('kinds', null, CTX, nullHost), Array(6).fill('undefined'))
    assert.match((await failure(m.call('pid', null, CTX, nullHost))).message, /TypeError: Cannot read properties of undefined \(reading 'pid'\)/)
    assert.match((await failure(m.call('req', 'fs', CTX, nullHost))).message, /Dynamic require of "fs" is not supported/)
    await stillServes(m)
  })

  it('import() is refused: at build time for a literal, at run time otherwise, and through eval and Function', async () => {
    assert.match((await failure(load('export const f = async () => await import("node:child_process")'))).message, /not available in goop logic/)
    const m = await load(`
      export async function dyn (name: string) { return await import(name) }
      export async function viaEval () { return await (0, eval)('import("fs")') }
      export async function viaFunction () { return await Function('return import("fs")')() }
      export async function viaAsyncFunction () { return await (async () => {}).constructor('return await import("fs")')() }${PING}`)
    assert.match((await failure(m.call('dyn', 'fs', CTX, nullHost))).message, /import\(\) is not available in goop logic/)
    assert.match((await failure(m.call('viaEval', null, CTX, nullHost))).message, /eval is not available in goop logic/)
    assert.match((await failure(m.call('viaFunction', null, CTX, nullHost))).message, /the Function constructor is not available in goop logic/)
    assert.match((await failure(m.call('viaAsyncFunction', null, CTX, nullHost))).message, /the AsyncFunction constructor is not available/)
    await stillServes(m)
  })

  it("this.constructor.constructor('return process')() and its variants reach nothing", async () => {
    const m = await load(`
      export function viaThis () { return this.constructor.constructor('return process')() }
      export function viaGlobal () { return globalThis.constructor.constructor('return process')() }
      export function viaGoop () { return goop.db.query.constructor('return process')() }
      export function viaGoopObject () { return goop.constructor.constructor('return this')() }
      export function viaGenerator () { return (function * () {}).constructor('yield process')().next() }${PING_JS}`, {}, 'main.js')
    assert.match((await failure(m.call('viaThis', null, CTX, nullHost))).message, /TypeError: Cannot read properties of undefined \(reading 'constructor'\)/)
    for (const fn of ['viaGlobal', 'viaGoop', 'viaGoopObject', 'viaGenerator']) {
      const err = await failure(m.call(fn, null, CTX, nullHost))
      assert.equal(err.code, 'logic_error', fn)
      assert.match(err.message, /constructor is not available in goop logic \(no code from strings\)/, fn)
    }
    await stillServes(m)
  })

  it('the global object holds only standard built-ins (no bridge, no isolated-vm objects) and goop is frozen', async () => {
    const m = await load(`
      export function names () { return Object.getOwnPropertyNames(globalThis).sort() }
      export function frozen () {
        const tries = {}
        const attempt = (name, f) => { try { f(); tries[name] = 'changed' } catch (e) { tries[name] = e.constructor.name } }
        attempt('caller', () => { goop.caller = 'owner' })
        attempt('db.get', () => { goop.db.get = () => 1 })
        attempt('owner', () => { goop.db.owner = goop.db })
        attempt('fn prop', () => { goop.kv.get.x = 1 })
        return { tries, caller: goop.caller, keys: Object.keys(goop).sort() }
      }${PING_JS}`, {}, 'main.js')
    const names = await m.call('names', null, CTX, nullHost) as string[]
    const standard = new Set(['AggregateError', 'Array', 'ArrayBuffer', 'BigInt', 'BigInt64Array', 'BigUint64Array', 'Boolean', 'DataView', 'Date', 'Error', 'EvalError',
      'Float32Array', 'Float64Array', 'Function', 'Infinity', 'Int16Array', 'Int32Array', 'Int8Array', 'Intl', 'JSON', 'Map', 'Math', 'NaN', 'Number', 'Object',
      'Promise', 'Proxy', 'RangeError', 'ReferenceError', 'Reflect', 'RegExp', 'Set', 'String', 'Symbol', 'SyntaxError', 'TypeError', 'URIError', 'Uint16Array',
      'Uint32Array', 'Uint8Array', 'Uint8ClampedArray', 'WeakMap', 'WeakRef', 'WeakSet', 'console', 'decodeURI', 'decodeURIComponent', 'encodeURI',
      'encodeURIComponent', 'escape', 'eval', 'globalThis', 'isFinite', 'isNaN', 'parseFloat', 'parseInt', 'undefined', 'unescape'])
    assert.deepEqual(names.filter(n => !standard.has(n)), [])
    assert.deepEqual(await m.call('frozen', null, CTX, nullHost), {
      tries: { caller: 'TypeError', 'db.get': 'TypeError', owner: 'TypeError', 'fn prop': 'TypeError' },
      caller: CTX.caller,
      keys: ['caller', 'db', 'kv', 'log', 'mq', 'now', 'peer']
    })
  })

  it('host errors are made inside the sandbox: nothing of the host to climb through, and no stack hook', async () => {
    const host = recordingHost({ db: () => { throw new GoopError('not_found', 'no such row') } })
    const m = await load(`
      export async function inspect () {
        const out = {}
        try { Error.prepareStackTrace = (_e, frames) => frames; out.hook = 'set' } catch (e) { out.hook = e.message }
        try { await goop.db.get('posts', 1) } catch (e) {
          const err = e
          out.protoIsError = Object.getPrototypeOf(err) === Error.prototype
          out.ownKeys = Reflect.ownKeys(err).map(String).sort()
          out.frames = typeof err.stack === 'string' ? err.stack.split('\\n').slice(1).map((l) => l.replace(/:\\d+:\\d+\\)?$/, '').trim()) : null
          try { err.constructor.constructor('return process')() } catch (e2) { out.climb = e2.message }
        }
        return out
      }${PING_JS}`, {}, 'main.js')
    const out = await m.call('inspect', null, CTX, host) as Record<string, unknown>
    assert.match(out.hook as string, /not extensible|read only|Cannot add property/)
    assert.equal(out.protoIsError, true)
    assert.deepEqual(out.ownKeys, ['code', 'message', 'name', 'stack'])
    for (const f of out.frames as string[]) assert.match(f, /goop-prelude\.js|goop-logic\.bundle\.js|^at async|<anonymous>/, `frame "${f}" is the sandbox's own`)
    assert.match(out.climb as string, /not available in goop logic/)
  })

  it('getters, Proxies and odd values handed to goop.* run in the sandbox; only their JSON reaches the host', async () => {
    const host = recordingHost()
    const m = await load(`
      export async function tricks () {
        let got = 0
        const opts = new Proxy({}, { get: (_t, k) => { got++; return k === 'limit' ? 2 : undefined } })
        await goop.db.query('posts', opts as never)
        const sneaky = { get values () { return { text: 'from a getter' } } }
        await goop.db.insert('posts', sneaky.values)
        await goop.kv.set('k', { toJSON: () => 'serialised' } as never)
        const out: string[] = []
        for (const bad of [{ toJSON () { throw new Error('boom') } }, Symbol('s'), () => 1]) {
          try { await goop.kv.set('k', bad as never); out.push('sent') } catch (e) { out.push((e as { code?: string }).code ?? 'thrown') }
        }
        return { got, out }
      }${PING}`)
    const out = await m.call('tricks', null, CTX, host) as { got: number, out: string[] }
    assert.equal(out.got, 5, 'the proxy was read for the five query options, inside the sandbox')
    assert.deepEqual(out.out, ['bad_request', 'sent', 'sent'], 'an unserialisable value is refused; symbols and functions become null as in JSON')
    assert.deepEqual(host.calls.slice(0, 3), [
      { method: 'db', args: [{ op: 'query', table: 'posts', limit: 2 }] },
      { method: 'db', args: [{ op: 'insert', table: 'posts', values: { text: 'from a getter' } }] },
      { method: 'kv.set', args: ['k', 'serialised'] }
    ])
    for (const c of host.calls) assert.equal(JSON.stringify(c.args), JSON.stringify(JSON.parse(JSON.stringify(c.args))), 'plain JSON only')
  })
})

describe('no state from one call to the next', () => {
  it('prototype pollution, global writes and module state do not reach the next call', async () => {
    const m = await load(`
      let count = 0
      export function inc () { return ++count }
      export function pollute () {
        const threw = []
        const attempt = (name, f) => { try { f() } catch { threw.push(name) } }
        attempt('Array.prototype.push', () => { Array.prototype.push = function () { return -1 } })
        attempt('Object.prototype.polluted', () => { Object.prototype.polluted = 1 })
        attempt('defineProperty', () => { Object.defineProperty(Object.prototype, 'sneaky', { get: () => 'yes' }) })
        attempt('globalThis.x', () => { globalThis.x = 1 })
        attempt('JSON.parse', () => { JSON.parse = () => 'pwned' })
        attempt('Math.random', () => { Math.random = () => 4 })
        attempt('Promise.prototype.then', () => { Promise.prototype.then = function () { return this } })
        attempt('String.prototype.trim', () => { String.prototype.trim = () => 'pwned' })
        attempt('delete Array.prototype.map', () => { delete Array.prototype.map })
        attempt('Object.prototype.toString', () => { Object.prototype.toString = () => 'pwned' })
        attempt('setPrototypeOf', () => { Object.setPrototypeOf(Array.prototype, { evil: true }) })
        attempt('iterator', () => { Object.getPrototypeOf([][Symbol.iterator]()).next = () => ({ done: true }) })
        attempt('async fn proto', () => { Object.getPrototypeOf(async () => {}).evil = 1 })
        attempt('eval let', () => { (0, eval)('let leaked = 1') })
        const secret = /(secret-\\d+)/
        secret.exec('the secret-42')
        return threw.sort()
      }
      export function look () {
        const o = {}
        return {
          push: [1].push(2), polluted: o.polluted ?? null, sneaky: o.sneaky ?? null, x: globalThis.x ?? null,
          parse: JSON.parse('1'), random: Math.random() < 1, trim: ' a '.trim(), map: typeof [].map, toString: String({}),
          proto: Array.prototype.evil ?? null, iter: [...[1, 2]].length, regexp: RegExp.$1 ?? null, lastMatch: RegExp.lastMatch ?? null
        }
      }
      // What ordinary code does with built-ins must keep working on frozen ones (the "override mistake").
      export function ordinary () {
        class NotYours extends Error { constructor (m) { super(m); this.name = 'NotYours' } }
        const o = {}; o.toString = () => 'mine'; o.constructor = 'c'
        const e = new TypeError(); e.message = 'set later'
        return [String(o), o.constructor, new NotYours('x').name, String(new NotYours('y')), e.message]
      }${PING_JS}`, {}, 'main.js')
    assert.equal(await m.call('inc', null, CTX, nullHost), 1)
    assert.equal(await m.call('inc', null, CTX, nullHost), 1, 'module state is fresh on every call')
    const threw = await m.call('pollute', null, CTX, nullHost) as string[]
    assert.deepEqual(threw, ['Array.prototype.push', 'JSON.parse', 'Math.random', 'Object.prototype.polluted', 'Object.prototype.toString', 'Promise.prototype.then',
      'String.prototype.trim', 'async fn proto', 'defineProperty', 'delete Array.prototype.map', 'eval let', 'globalThis.x', 'iterator', 'setPrototypeOf'],
    'every attempt fails loudly (strict mode on a frozen realm)')
    assert.deepEqual(await m.call('look', null, CTX, nullHost), {
      push: 2, polluted: null, sneaky: null, x: null, parse: 1, random: true, trim: 'a', map: 'function', toString: '[object Object]',
      proto: null, iter: 2, regexp: null, lastMatch: null
    })
    assert.deepEqual(await m.call('ordinary', null, CTX, nullHost), ['mine', 'c', 'NotYours', 'NotYours: y', 'set later'])
  })

  it('every built-in a call can reach is frozen, the hidden ones included', async () => {
    const m = await load(`
      export function unfrozen () {
        // Instances are the call's own; their prototypes are the realm's: those and all they lead to.
        // (A generator object's prototype is its function's own .prototype: start from the functions' prototypes.)
        const instances: unknown[] = [
          function * () {}, async function * () {}, (async () => {})(), new Map().entries(), new Set().values(), [].values(), ''[Symbol.iterator](),
          'a'.matchAll(/a/g), (function () { return arguments })(), new Error(), new AggregateError([]), Promise.resolve(), new Date(), /a/, new ArrayBuffer(1),
          new Int8Array(1), new BigInt64Array(1), new DataView(new ArrayBuffer(1)), new WeakRef({}), new WeakMap(), new Proxy({}, {}), Symbol('s'), 1n, 1, 'a', true,
          new Intl.DateTimeFormat(), new Intl.NumberFormat(), new Intl.Collator(), new Intl.PluralRules(), new Intl.RelativeTimeFormat(),
          new Intl.ListFormat(), new Intl.Locale('en'), (() => {}).bind(null), goop, goop.db, goop.db.get
        ]
        const seen = new Set<unknown>()
        const todo: unknown[] = [globalThis, ...instances.map(i => Object.getPrototypeOf(Object(i)))]
        const bad: string[] = []
        while (todo.length > 0) {
          const o = todo.pop()
          if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue
          seen.add(o)
          if (!Object.isFrozen(o)) bad.push(typeof o === 'function' ? 'function ' + (o as Function).name : Object.prototype.toString.call(o))
          todo.push(Object.getPrototypeOf(o))
          for (const d of Object.values(Object.getOwnPropertyDescriptors(o))) todo.push(d.value, d.get, d.set)
        }
        return { bad, seen: seen.size }
      }`)
    const out = await m.call('unfrozen', null, CTX, nullHost) as { bad: string[], seen: number }
    assert.deepEqual(out.bad, [])
    assert.ok(out.seen > 500, `walked ${out.seen} objects`)
  })

  it('work a call leaves behind does not run for it after it ended', async () => {
    const host = recordingHost({ 'kv.get': async () => { await new Promise(r => setTimeout(r, 30)) } })
    const m = await load(`
      export function detach () {
        goop.kv.get('a').then(() => { goop.kv.set('late', 1); while (true) {} })
        return 'returned'
      }${PING}`, { callTimeoutMs: 400 })
    assert.equal(await m.call('detach', null, CTX, host), 'returned')
    await new Promise(r => setTimeout(r, 80))
    assert.deepEqual(host.calls.map(c => c.method), ['kv.get'], 'the continuation never ran: no late host call')
    await stillServes(m)
  })
})

describe('limits end a call and the sandbox is rebuilt, while the peer keeps serving', () => {
  /** Run `fn` on a module while counting timer ticks and calling another module, as a peer would keep doing. */
  async function whileStuck (m: JsLogicModule, fn: string, host = nullHost): Promise<{ err: GoopError, ms: number, ticks: number, otherCalls: number }> {
    let ticks = 0; let otherCalls = 0; let running = true
    const timer = setInterval(() => { ticks++ }, 10)
    const others = (async () => { while (running) { await bystander.call('ping', otherCalls, CTX, nullHost); otherCalls++; await new Promise(r => setTimeout(r, 5)) } })()
    const t0 = Date.now()
    const err = await failure(m.call(fn, null, CTX, host))
    const ms = Date.now() - t0
    running = false
    clearInterval(timer)
    await others
    return { err, ms, ticks, otherCalls }
  }

  const STUCK = `
    export function loop () { while (true) {} }
    export async function chain () { while (true) await null }
    export async function never () { await new Promise(() => {}) }
    export async function waitHost () { await goop.kv.get('never answers') }
    export function bomb () { const a: number[][] = []; while (true) a.push(new Array(100000).fill(1.5)) }
    export async function asyncBomb () { const a: number[][] = []; while (true) { a.push(new Array(10000).fill(2.5)); await null } }${PING}`

  for (const [fn, code] of [['loop', 'timeout'], ['chain', 'timeout'], ['never', 'timeout'], ['waitHost', 'timeout'], ['bomb', 'memory'], ['asyncBomb', 'memory']] as const) {
    it(`${fn}: ${code}`, async () => {
      // A memory bomb must end on memory, not on a deadline a busy machine could reach first.
      const m = await load(STUCK, { callTimeoutMs: code === 'timeout' ? 300 : 5000 })
      const host = recordingHost({ 'kv.get': async () => await new Promise(() => {}) })
      const r = await whileStuck(m, fn, host)
      assert.equal(r.err.code, code, r.err.message)
      assert.match(r.err.message, code === 'timeout' ? new RegExp(`^${fn} did not finish within 300 ms`) : new RegExp(`^${fn} went over the logic's memory limit`))
      if (code === 'timeout') assert.ok(r.ms >= 290 && r.ms < 1500, `ended at the deadline (${r.ms} ms)`)
      assert.ok(r.ticks >= r.ms / 10 / 3, `the main thread kept ticking (${r.ticks} ticks in ${r.ms} ms)`)
      assert.ok(r.otherCalls >= (code === 'timeout' ? 3 : 1), `another module kept answering (${r.otherCalls} calls)`)
      await stillServes(m)
      assert.equal(m.stats.rebuilds, 1)
      await m.dispose()
    })
  }

  it('a stop ends the other calls running in the same sandbox, saying why', async () => {
    const m = await load(`export function loop () { while (true) {} }\nexport async function slow () { await goop.kv.get('k'); return 1 }${PING}`, { callTimeoutMs: 300 })
    const host = recordingHost({ 'kv.get': async () => { await new Promise(r => setTimeout(r, 100)) } })
    const slow = m.call('slow', null, CTX, host)
    const loop = m.call('loop', null, CTX, host)
    const errors = await Promise.all([failure(slow), failure(loop)])
    // Both deadlines pass while the loop holds the isolate; whichever timer fires first names its call.
    assert.deepEqual(errors.map(e => e.code), ['timeout', 'timeout'])
    assert.equal(errors.filter(e => /did not finish within 300 ms/.test(e.message)).length, 1)
    assert.equal(errors.filter(e => /was stopped with the logic's sandbox: another call ran past its deadline/.test(e.message)).length, 1)
    await stillServes(m)
  })
})
