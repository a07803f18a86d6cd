/**
 * The prelude: the first code that runs in a fresh isolate context, before any template code. It is
 * plain JavaScript kept as a string (it runs inside the isolate, so it must not go through a
 * compiler that could add helpers the isolate does not have). It is run with `evalClosure` and gets:
 *
 * - `$0`, the **bridge**: the one host function the isolate can reach, an `ivm.Callback` with
 *   `ignored: true`. Calling it posts `(callId, reqId, method, argsJson)` to the host and returns
 *   nothing; only strings and numbers cross; the host answers later by calling `deliver` (below).
 *   It is kept in this closure and never handed to template code.
 * - `$1`, options as JSON: the limits and whether to harden.
 *
 * It then:
 * 1. removes what template logic has no use for and what would outlive a call or open a second
 *    thread of control: `SharedArrayBuffer`, `Atomics`, `WebAssembly`, `FinalizationRegistry`
 *    (its callbacks run outside any call), `Intl.Segmenter` (see below), RegExp's legacy static `$1`…`lastMatch` (they would show
 *    one call's last match to the next);
 * 2. tames code from strings: `eval` and the `Function`, `AsyncFunction`, `GeneratorFunction` and
 *    `AsyncGeneratorFunction` constructors throw. In a frozen realm they could reach nothing more,
 *    but indirect eval can declare global lexical bindings (`let x` at script level), which live
 *    outside the global object and would carry state from one call to the next;
 * 3. hardens the realm (lockdown-style): freezes globalThis, every intrinsic reachable from it and
 *    the hidden ones (iterator prototypes, %AsyncFunction.prototype%, …), so nothing a call does to a
 *    built-in reaches the next call. Assigning a frozen intrinsic's property throws in strict code.
 *    To keep ordinary code working despite the "override mistake" (assigning `this.name` in an
 *    Error subclass, `obj.toString = …`), a few inherited data properties become accessors whose
 *    setter defines the property on the object assigned to, never on the intrinsic;
 * 4. returns `{ install, run, deliver }`, functions the host holds references to.
 *
 * Every call gets a fresh `goop` object and fresh module state (the bundle's factory runs again), so
 * concurrent calls share nothing mutable. Errors from the host come as strings and are re-created
 * here, as errors of this realm.
 */
export const PRELUDE_FILENAME = 'goop-prelude.js'

export const PRELUDE = String.raw`
'use strict'
const bridge = $0
const options = JSON.parse($1)
const L = options.limits
const G = globalThis
const { freeze, defineProperty, getPrototypeOf, getOwnPropertyDescriptor, getOwnPropertyDescriptors, hasOwn, keys } = Object
const { ownKeys, apply } = Reflect
const { parse, stringify } = JSON
const dateNow = Date.now
const isFiniteNumber = Number.isFinite
const ErrorCtor = Error
const PromiseCtor = Promise
const StringCtor = String
const MapCtor = Map
const SetCtor = Set
const WeakSetCtor = WeakSet
const WeakMapCtor = WeakMap

// 1. What goes
for (const name of ['SharedArrayBuffer', 'Atomics', 'WebAssembly', 'FinalizationRegistry']) delete G[name]
// Its instances lead to two more hidden prototypes, and making one to reach them costs 5–20 ms of ICU
// loading per isolate (a rebuild's whole budget): template logic can do without word segmentation.
if (typeof Intl === 'object') delete Intl.Segmenter
for (const name of ['$1', '$2', '$3', '$4', '$5', '$6', '$7', '$8', '$9', 'input', '$_', 'lastMatch', '$&', 'lastParen', '$+', 'leftContext', '$\x60', 'rightContext', "$'"]) {
  delete RegExp[name]
}

// 2. No code from strings
function refuse (what) {
  const f = function () { throw new TypeError(what + ' is not available in goop logic (no code from strings)') }
  return f
}
G.eval = refuse('eval')
for (const sample of [function () {}, async function () {}, function * () {}, async function * () {}]) {
  const proto = getPrototypeOf(sample)
  const real = proto.constructor
  const tamed = refuse('the ' + real.name + ' constructor')
  defineProperty(tamed, 'name', { value: real.name })
  defineProperty(tamed, 'prototype', { value: proto, writable: false })
  defineProperty(proto, 'constructor', { value: tamed })
  if (real === Function) G.Function = tamed
}

// 3. Harden
const hidden = []
if (options.harden) {
  const enable = (obj, names) => {
    for (const name of names) {
      const d = getOwnPropertyDescriptor(obj, name)
      if (d === undefined || !hasOwn(d, 'value')) continue
      const value = d.value
      defineProperty(obj, name, {
        get () { return value },
        set (v) {
          if (this === obj) throw new TypeError('Cannot assign to ' + StringCtor(name) + ' of a built-in: built-ins are frozen in goop logic')
          defineProperty(this, name, { value: v, writable: true, enumerable: true, configurable: true })
        },
        enumerable: d.enumerable,
        configurable: false
      })
    }
  }
  enable(Object.prototype, ['constructor', 'toString', 'toLocaleString', 'valueOf', 'hasOwnProperty'])
  enable(Function.prototype, ['toString'])
  enable(Array.prototype, ['toString'])
  enable(Promise.prototype, ['constructor'])
  enable(Error.prototype, ['constructor', 'name', 'message', 'toString'])
  for (const E of [EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError, AggregateError]) enable(E.prototype, ['constructor', 'name', 'message'])

  // Intrinsics no global property leads to (their prototypes are reached from these).
  const it = (o) => getPrototypeOf(o)
  hidden.push(it(function * () {}), it(async function () {}), it(async function * () {}))
  hidden.push(it([][Symbol.iterator]()), it(new Map()[Symbol.iterator]()), it(new Set()[Symbol.iterator]()), it(''[Symbol.iterator]()), it(/a/[Symbol.matchAll]('')))
  const seen = new SetCtor()
  const todo = [G, ...hidden]
  while (todo.length > 0) {
    const o = todo.pop()
    if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue
    seen.add(o)
    freeze(o)
    todo.push(getPrototypeOf(o))
    const descs = getOwnPropertyDescriptors(o)
    for (const k of ownKeys(descs)) {
      const d = descs[k]
      if (hasOwn(d, 'value')) todo.push(d.value)
      else todo.push(d.get, d.set)
    }
  }
}

// 4. Calls
let factory
const calls = new MapCtor()
const hostErrors = new WeakSetCtor()
const never = () => new PromiseCtor(() => {})

function hostError (site, code, message) {
  defineProperty(site, 'name', { value: 'GoopError', writable: true, configurable: true })
  defineProperty(site, 'message', { value: message, writable: true, configurable: true })
  defineProperty(site, 'code', { value: code, writable: true, enumerable: true, configurable: true })
  hostErrors.add(site)
  return site
}

// A host call: the promise settles when the host calls deliver(). A call that is over gets a
// promise that never settles, so no template code runs on its behalf after it ended.
function hostCall (state, method, what, args) {
  // Made here, so a failure's stack shows where the logic called the host.
  const site = new ErrorCtor('')
  if (state.done) return never()
  if (state.loading) return PromiseCtor.reject(hostError(site, 'not_available', what + ': host calls are not available while the module loads; make them inside an exported function'))
  if (state.hostCalls >= L.hostCallsPerCall) return PromiseCtor.reject(hostError(site, 'too_many_calls', what + ': a call may make at most ' + L.hostCallsPerCall + ' host calls'))
  if (state.pending.size >= L.hostPendingPerCall) return PromiseCtor.reject(hostError(site, 'too_many_calls', what + ': at most ' + L.hostPendingPerCall + ' host calls may be pending at once; await them'))
  let json
  try { json = stringify(args) } catch (err) {
    return PromiseCtor.reject(hostError(site, 'bad_request', what + ': the arguments are not JSON (' + safeMessage(err) + ')'))
  }
  if (json.length > L.hostArgsBytes) return PromiseCtor.reject(hostError(site, 'too_large', what + ': the arguments are larger than ' + L.hostArgsBytes + ' bytes'))
  state.hostCalls++
  const reqId = ++state.reqSeq
  return new PromiseCtor((resolve, reject) => {
    state.pending.set(reqId, { resolve, reject, site })
    bridge(state.id, reqId, method, json)
  })
}

function deliver (id, reqId, envelope) {
  const state = calls.get(id)
  if (state === undefined) return
  const p = state.pending.get(reqId)
  if (p === undefined) return
  state.pending.delete(reqId)
  const body = parse(envelope.slice(1))
  if (envelope[0] === 'R') p.resolve(body)
  else p.reject(hostError(p.site, body.code, body.message))
}

function log (state, message, fields) {
  if (state.done || state.loading) return
  if (state.logs >= L.logLinesPerCall) {
    if (state.logs === L.logLinesPerCall) {
      state.logs++
      bridge(state.id, 0, 'log', stringify(['goop.log: more than ' + L.logLinesPerCall + ' lines in one call; the rest were dropped']))
    }
    return
  }
  state.logs++
  let text
  try { text = typeof message === 'string' ? message : StringCtor(message) } catch (err) { text = '(a message that is not a string: ' + safeMessage(err) + ')' }
  if (text.length > L.logMessageChars) text = text.slice(0, L.logMessageChars) + '…'
  let json = '[' + stringify(text)
  if (fields !== undefined) {
    let f
    try { f = stringify(fields) } catch (err) { f = stringify({ unserialisable: safeMessage(err) }) }
    if (f === undefined) f = 'null'
    if (f.length > L.logFieldsBytes) f = stringify({ truncated: true, bytes: f.length })
    json += ',' + f
  }
  bridge(state.id, 0, 'log', json + ']')
}

function makeGoop (state, caller, peer) {
  const call = (method, what, args) => hostCall(state, method, what, args)
  const db = (method) => {
    const p = 'goop.' + method + '.'
    return {
      describe: () => call(method, p + 'describe', [{ op: 'describe' }]),
      query: (table, opts) => {
        const o = opts == null ? {} : opts
        return call(method, p + 'query', [{ op: 'query', table, where: o.where, order: o.order, limit: o.limit, cursor: o.cursor, columns: o.columns }])
      },
      get: (table, id) => call(method, p + 'get', [{ op: 'get', table, id }]),
      count: (table, where) => call(method, p + 'count', [{ op: 'count', table, where }]),
      insert: (table, values) => call(method, p + 'insert', [{ op: 'insert', table, values }]),
      update: (table, id, values) => call(method, p + 'update', [{ op: 'update', table, id, values }]),
      delete: (table, id) => call(method, p + 'delete', [{ op: 'delete', table, id }])
    }
  }
  const dbApi = db('db')
  dbApi.owner = db('db.owner')
  const goop = {
    caller,
    peer,
    db: dbApi,
    kv: {
      get: (key) => call('kv.get', 'goop.kv.get', [key]),
      set: (key, value) => call('kv.set', 'goop.kv.set', [key, value]),
      delete: (key) => call('kv.delete', 'goop.kv.delete', [key]),
      list: (prefix) => call('kv.list', 'goop.kv.list', prefix === undefined ? [] : [prefix])
    },
    mq: {
      publish: (topic, payload) => call('mq.publish', 'goop.mq.publish', [topic, payload]),
      send: (to, topic, payload) => call('mq.send', 'goop.mq.send', [to, topic, payload])
    },
    log: (message, fields) => log(state, message, fields),
    now: () => dateNow()
  }
  return deepFreeze(goop)
}

function deepFreeze (o) {
  if (o !== null && (typeof o === 'object' || typeof o === 'function')) {
    freeze(o)
    for (const k of keys(o)) deepFreeze(o[k])
  }
  return o
}

function safeMessage (err) {
  try { return err !== null && typeof err === 'object' && typeof err.message === 'string' ? err.message : StringCtor(err) } catch (_) { return 'unknown error' }
}

function cut (s, n) { return typeof s === 'string' ? (s.length > n ? s.slice(0, n) : s) : undefined }

// What the host gets when logic throws: plain strings, read here (getters run in the isolate).
function describeError (err) {
  const out = { code: 'logic_error', name: undefined, message: 'the logic threw', stack: undefined, hostCode: undefined }
  try {
    if (err !== null && (typeof err === 'object' || typeof err === 'function')) {
      out.name = cut(err.name, 200)
      out.message = cut(err.message, 2000) ?? cut(StringCtor(err), 2000)
      out.stack = cut(err.stack, 8000)
      if (hostErrors.has(err)) out.hostCode = cut(err.code, 100)
    } else {
      out.message = 'threw ' + (typeof err === 'string' ? stringify(cut(err, 2000)) : cut(StringCtor(err), 2000))
    }
  } catch (e) {
    out.message = 'the logic threw a value that could not be described'
  }
  return 'E' + stringify(out)
}

function badResult (code, message) { return { badResult: true, code, message } }

function where (key) { return key === '' ? 'the result' : 'the result\'s ' + stringify(key) }

// JSON with no silent losses: a function, symbol, Map, Set, NaN or Promise in a result is an error,
// not a quietly dropped field.
function strict (key, v) {
  switch (typeof v) {
    case 'function': case 'symbol': case 'bigint':
      throw badResult('bad_result', where(key) + ' is a ' + typeof v + ', not JSON')
    case 'number':
      if (!isFiniteNumber(v)) throw badResult('bad_result', where(key) + ' is ' + StringCtor(v) + ', not JSON')
      return v
    case 'object':
      if (v instanceof PromiseCtor) throw badResult('bad_result', where(key) + ' is a Promise, not JSON (await it)')
      if (v instanceof MapCtor || v instanceof SetCtor || v instanceof WeakMapCtor || v instanceof WeakSetCtor) {
        throw badResult('bad_result', where(key) + ' is a Map or Set, not JSON (make it an object or an array)')
      }
      return v
    default:
      return v
  }
}

function resultJson (value) {
  let json
  try { json = stringify(value === undefined ? null : value, strict) } catch (err) {
    if (err !== null && typeof err === 'object' && err.badResult === true) throw err
    throw badResult('bad_result', 'the result is not JSON: ' + safeMessage(err))
  }
  if (json === undefined) throw badResult('bad_result', 'the result is not JSON')
  if (json.length > L.resultBytes) throw badResult('too_large', 'the result is larger than ' + L.resultBytes + ' bytes')
  return json
}

function newState (id, loading) {
  return { id, loading, done: false, pending: new MapCtor(), reqSeq: 0, hostCalls: 0, logs: 0 }
}

// The bundle's factory, once per isolate; when listing, runs it once to name the exported functions.
function install (f, list) {
  factory = f
  if (!list) return 'R[]'
  const state = newState(0, true)
  try {
    const exported = factory(makeGoop(state, '', ''))
    const names = []
    for (const k of keys(exported)) if (typeof exported[k] === 'function') names.push(k)
    return 'R' + stringify(names)
  } catch (err) {
    return describeError(err)
  } finally {
    state.done = true
  }
}

async function run (id, fn, argsJson, caller, peer) {
  const state = newState(id, false)
  calls.set(id, state)
  try {
    const exported = factory(makeGoop(state, caller, peer))
    const f = hasOwn(exported, fn) ? exported[fn] : undefined
    if (typeof f !== 'function') return 'E' + stringify({ code: 'not_exported', message: fn + ' is not an exported function' })
    const value = await apply(f, undefined, [parse(argsJson)])
    return 'R' + resultJson(value)
  } catch (err) {
    if (err !== null && typeof err === 'object' && err.badResult === true) return 'E' + stringify({ code: err.code, message: err.message })
    return describeError(err)
  } finally {
    state.done = true
    calls.delete(id)
  }
}

return { install, run, deliver }
`
