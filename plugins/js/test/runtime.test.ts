import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { GoopError } from '@goop/sdk'
import { JS_LIMITS, nodeFlagProblem } from '../src/index.js'
import { CTX, OWNER, VISITOR, failure, load, nullHost, recordingHost, runtime } from './helpers.js'

/**
 * The JS runtime as the templates plugin uses it: logic in TypeScript with relative imports is
 * bundled and loaded, its exported functions called with JSON, host calls round-trip as JSON through
 * the template's LogicHost, and every failure comes back as the GoopError a caller can act on.
 */

after(async () => { await runtime.close() })

describe('loading', () => {
  it('bundles TypeScript with types, relative imports and JSON, and runs it', async () => {
    const m = await load({
      'main.ts': `
        import type { DataResult, Row } from '@goop/sdk'
        import { winner, type Board } from './game/board.js'
        import { Mark } from './game/marks'
        import rules from './rules.json'
        interface Move { board: Board, at: number }
        export function play (m: Move): { board: Board, winner: Mark | null, size: number } {
          const board = [...m.board]
          board[m.at] = Mark.X
          return { board, winner: winner(board), size: rules.size }
        }
        export function rowsOnly (r: DataResult<'query'>): Row[] { return r.rows }`,
      'game/board.ts': `
        import { Mark } from './marks.js'
        export type Board = Array<Mark | null>
        const LINES: ReadonlyArray<readonly [number, number, number]> = [[0, 1, 2], [0, 4, 8]]
        export function winner (b: Board): Mark | null {
          for (const [x, y, z] of LINES) if (b[x] != null && b[x] === b[y] && b[y] === b[z]) return b[x]
          return null
        }`,
      'game/marks.ts': 'export enum Mark { X = "X", O = "O" }',
      'rules.json': '{ "size": 3 }'
    })
    assert.deepEqual(m.exports.toSorted(), ['play', 'rowsOnly'])
    assert.deepEqual(await m.call('play', { board: [null, 'X', 'X', null, null, null, null, null, null], at: 0 }, CTX, nullHost),
      { board: ['X', 'X', 'X', null, null, null, null, null, null], winner: 'X', size: 3 })
    await m.dispose()
  })

  it('refuses a syntax error with file:line:col', async () => {
    const err = await failure(load({ 'main.ts': 'import { f } from "./lib/util.js"\nexport const g = f', 'lib/util.ts': 'export function f(a: number {\n  return a\n}' }))
    assert.equal(err.code, 'bad_logic')
    assert.match(err.message, /^lib\/util\.ts:1:\d+: Expected/)
  })

  it('refuses imports of packages, node builtins, values of @goop/sdk and files that are not there, naming them', async () => {
    const cases: Array<[string, RegExp]> = [
      ['import _ from "lodash"\nexport const f = () => _', /main\.ts:1:\d+: 'lodash' is not one of the logic's files/],
      ['import { readFileSync } from "node:fs"\nexport const f = () => readFileSync', /node's 'node:fs' is not available/],
      ['export function f () { return require("child_process") }', /node's 'child_process' is not available/],
      ['export async function f () { return await import("fs") }', /node's 'fs' is not available/],
      ['import { GoopError } from "@goop/sdk"\nexport const f = () => new GoopError("a", "b")', /'@goop\/sdk' may only be imported for its types/],
      ['import { x } from "./nope.js"\nexport const f = () => x', /'\.\/nope\.js' is not one of the logic's files/],
      ['import { x } from "../outside.js"\nexport const f = () => x', /outside the logic folder/]
    ]
    for (const [src, re] of cases) {
      const err = await failure(load(src))
      assert.equal(err.code, 'bad_logic', src)
      assert.match(err.message, re, src)
    }
  })

  it('refuses an entry that is missing, bad paths, top-level await, and a module that throws or hangs while loading', async () => {
    assert.match((await failure(runtime.load({ files: { 'a.ts': '' }, entry: 'main.ts' }, { memoryBytes: 16e6, callTimeoutMs: 100 }))).message, /entry main\.ts is not one of the logic files/)
    assert.match((await failure(load({ 'main.ts': '', '../x.ts': '' }))).message, /relative to logic\//)
    assert.match((await failure(load('export const x = await Promise.resolve(1)'))).message, /Top-level await/)
    const threw = await failure(load('export const f = () => 1\nthrow new RangeError("no config")'))
    assert.equal(threw.code, 'bad_logic')
    assert.match(threw.message, /threw while loading: RangeError: no config \(at main\.ts:2:7\)/)
    const hung = await failure(load('while (true) {}\nexport const f = () => 1', { callTimeoutMs: 100 }))
    assert.equal(hung.code, 'bad_logic')
    assert.match(hung.message, /top-level code did not finish/)
  })

  it('says how to start node when --no-node-snapshot is missing', () => {
    assert.equal(nodeFlagProblem(['--no-node-snapshot'], undefined), undefined)
    assert.equal(nodeFlagProblem([], '--max-old-space-size=512 --no-node-snapshot'), undefined)
    assert.match(nodeFlagProblem(['--import', 'tsx'], '') ?? '', /needs node started with --no-node-snapshot/)
    // And for real: a process started without the flag gets that error from load().
    const runtimeUrl = new URL('../src/runtime.ts', import.meta.url).href
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=development', '--input-type=module', '-e', `
      import { JsRuntime } from ${JSON.stringify(runtimeUrl)}
      try { await new JsRuntime().load({ files: { 'main.ts': '' }, entry: 'main.ts' }, { memoryBytes: 16e6, callTimeoutMs: 100 }); console.log('loaded') }
      catch (e) { console.log(e.code + ': ' + e.message) }`], { encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)), env: { ...process.env, NODE_OPTIONS: '' } })
    assert.match(child.stdout, /^unavailable: the js runtime needs node started with --no-node-snapshot/, child.stderr)
  })
})

describe('calls', () => {
  it('only exported functions are callable', async () => {
    const m = await load('function helper () { return "secret" }\nexport const VERSION = 2\nexport function ok () { return helper() === "secret" }')
    assert.deepEqual(m.exports, ['ok'])
    assert.equal(await m.call('ok', null, CTX, nullHost), true)
    for (const fn of ['helper', 'VERSION', 'constructor', '__proto__', 'toString', 'hasOwnProperty', '']) {
      const err = await failure(m.call(fn, null, CTX, nullHost))
      assert.equal(err.code, 'not_exported', fn)
    }
    await m.dispose()
  })

  it('host calls round-trip JSON through the LogicHost, acting for the caller unless the logic asks for the owner', async () => {
    const host = recordingHost({
      db: ([req]) => ({ rows: [{ _id: 1, _author: VISITOR, _created: 'c', _updated: 'u', text: `for ${JSON.stringify(req)}` }] }),
      'db.owner': () => ({ count: 7 }),
      'kv.get': ([key]) => ({ key, n: 1.5, list: [true, null, 'x'] })
    })
    const m = await load(`
      export async function everything (a: { table: string }) {
        const q = await goop.db.query(a.table, { where: { column: 'done', op: 'eq', value: false }, limit: 5, order: [{ column: '_id', dir: 'desc' }], junk: 1 } as never)
        const c = await goop.db.owner.count('posts')
        await goop.db.describe(); await goop.db.get('posts', 3); await goop.db.insert('posts', { text: 'hi' })
        await goop.db.update('posts', 3, { text: 'yo' }); await goop.db.delete('posts', 3)
        const kv = await goop.kv.get('k')
        await goop.kv.set('k', { a: [1, 2] }); await goop.kv.delete('k'); await goop.kv.list('pre')
        await goop.mq.publish('board', { cell: 4 }); await goop.mq.send(goop.caller, 'direct', 'hi')
        goop.log('moved', { cell: 4 })
        return { q, c, kv, now: typeof goop.now() }
      }`)
    const out = await m.call('everything', { table: 'posts' }, CTX, host)
    assert.deepEqual(out, {
      q: { rows: [{ _id: 1, _author: VISITOR, _created: 'c', _updated: 'u', text: 'for {"op":"query","table":"posts","where":{"column":"done","op":"eq","value":false},"order":[{"column":"_id","dir":"desc"}],"limit":5}' }] },
      c: { count: 7 },
      kv: { key: 'k', n: 1.5, list: [true, null, 'x'] },
      now: 'number'
    })
    assert.deepEqual(host.calls, [
      { method: 'db', args: [{ op: 'query', table: 'posts', where: { column: 'done', op: 'eq', value: false }, order: [{ column: '_id', dir: 'desc' }], limit: 5 }] },
      { method: 'db.owner', args: [{ op: 'count', table: 'posts' }] },
      { method: 'db', args: [{ op: 'describe' }] },
      { method: 'db', args: [{ op: 'get', table: 'posts', id: 3 }] },
      { method: 'db', args: [{ op: 'insert', table: 'posts', values: { text: 'hi' } }] },
      { method: 'db', args: [{ op: 'update', table: 'posts', id: 3, values: { text: 'yo' } }] },
      { method: 'db', args: [{ op: 'delete', table: 'posts', id: 3 }] },
      { method: 'kv.get', args: ['k'] },
      { method: 'kv.set', args: ['k', { a: [1, 2] }] },
      { method: 'kv.delete', args: ['k'] },
      { method: 'kv.list', args: ['pre'] },
      { method: 'mq.publish', args: ['board', { cell: 4 }] },
      { method: 'mq.send', args: [VISITOR, 'direct', 'hi'] },
      { method: 'log', args: ['moved', { cell: 4 }] }
    ])
    await m.dispose()
  })

  it('goop.caller and goop.peer are per call, also for calls in flight at once', async () => {
    const m = await load(`
      export async function who (wait: number) {
        const before = goop.caller
        await goop.kv.get('x' + wait)
        return { before, after: goop.caller, peer: goop.peer }
      }`)
    const host = recordingHost({ 'kv.get': async ([k]) => { await new Promise(r => setTimeout(r, k === 'x1' ? 30 : 1)) } })
    const callers = ['12D3KooWA', '12D3KooWB', '12D3KooWC']
    const outs = await Promise.all(callers.map(async (caller, i) => await m.call('who', i === 0 ? 1 : 0, { caller, peer: OWNER }, host)))
    assert.deepEqual(outs, callers.map(c => ({ before: c, after: c, peer: OWNER })))
    await m.dispose()
  })

  it('a host error reaches the logic as an Error with the host\'s code; uncaught, the call fails naming it', async () => {
    const host = recordingHost({
      db: () => { throw new GoopError('forbidden', 'visitors may not delete posts') },
      'kv.get': () => { throw new Error('ENOENT /home/owner/.goop/secret.json') }
    })
    const m = await load(`
      export async function caught () {
        try { await goop.db.delete('posts', 1) } catch (e) {
          const err = e as Error & { code: string }
          return { name: err.name, code: err.code, message: err.message, isError: err instanceof Error }
        }
      }
      export async function internal () {
        try { await goop.kv.get('k') } catch (e) { const err = e as Error & { code: string }; return { code: err.code, message: err.message, stack: err.stack } }
      }
      export async function uncaught () { await goop.db.delete('posts', 1) }`)
    assert.deepEqual(await m.call('caught', null, CTX, host), { name: 'GoopError', code: 'forbidden', message: 'visitors may not delete posts', isError: true })
    const internal = await m.call('internal', null, CTX, host) as { code: string, message: string, stack: string }
    assert.equal(internal.code, 'internal')
    assert.equal(internal.message, 'kv.get failed', 'a non-GoopError from the host does not leak its message')
    assert.doesNotMatch(internal.stack, /secret|node:internal|\/home\/|\.ts:/, 'nor its stack')
    const err = await failure(m.call('uncaught', null, CTX, host))
    // Uncaught, the host's refusal reaches the caller with its own code (as in the Lua runtime).
    assert.equal(err.code, 'forbidden')
    assert.equal(err.status, 403)
    assert.match(err.message, /^visitors may not delete posts \(at main\.ts:11:\d+\)$/)
    await m.dispose()
  })

  it('a throw is a logic_error with the message and the file and line in the template', async () => {
    const m = await load({
      'main.ts': 'import { check } from "./rules/check.js"\nexport function move (n: number) { return check(n) }\nexport function str () { throw "just a string" }',
      'rules/check.ts': 'export function check (n: number): number {\n  if (n > 8) {\n    throw new RangeError(`cell ${n} is off the board`)\n  }\n  return n\n}'
    })
    const err = await failure(m.call('move', 9, CTX, nullHost))
    assert.equal(err.code, 'logic_error')
    assert.equal(err.message, 'RangeError: cell 9 is off the board (at rules/check.ts:3:11)')
    assert.equal((await failure(m.call('str', null, CTX, nullHost))).message, 'threw "just a string"')
    await m.dispose()
  })

  it('a result that is not JSON is bad_result; nothing is silently dropped', async () => {
    const m = await load(`
      export function fn () { return { a: () => 1 } }
      export function map () { return { m: new Map([[1, 2]]) } }
      export function nan () { return [1, NaN] }
      export function big () { return 10n }
      export function cyc () { const o: Record<string, unknown> = {}; o.o = o; return o }
      export function prom () { return { p: Promise.resolve(1) } }
      export function ok () { return { d: new Date(0), u: undefined, n: null } }
      export function none () {}`)
    for (const fn of ['fn', 'map', 'nan', 'big', 'cyc', 'prom']) assert.equal((await failure(m.call(fn, null, CTX, nullHost))).code, 'bad_result', fn)
    assert.match((await failure(m.call('fn', null, CTX, nullHost))).message, /"a" is a function/)
    assert.deepEqual(await m.call('ok', null, CTX, nullHost), { d: '1970-01-01T00:00:00.000Z', n: null })
    assert.equal(await m.call('none', null, CTX, nullHost), null)
    await m.dispose()
  })

  it('bounds what crosses: argument and result size, arguments that are not JSON, host calls and log lines per call', async () => {
    const host = recordingHost()
    const m = await load(`
      export function echo (a: unknown) { return a }
      export function huge () { return 'x'.repeat(${JS_LIMITS.resultBytes + 1}) }
      export async function flood () {
        const ps = Array.from({ length: ${JS_LIMITS.hostPendingPerCall + 6} }, (_, i) => goop.kv.get('k' + i).then(() => 'ok', (e) => e.code))
        return await Promise.all(ps)
      }
      export async function badArgs () {
        const o: Record<string, unknown> = {}; o.self = o
        try { await goop.kv.set('k', o as never) } catch (e) { return (e as { code: string }).code }
      }
      export function chatty () { for (let i = 0; i < 500; i++) goop.log('x'.repeat(5000), { i }); return 1 }`)
    assert.equal((await failure(m.call('echo', 'x'.repeat(JS_LIMITS.argsBytes), CTX, host))).code, 'too_large')
    assert.equal((await failure(m.call('echo', { a: 1n }, CTX, host))).code, 'bad_request')
    assert.equal((await failure(m.call('huge', null, CTX, host))).code, 'too_large')
    const flood = await m.call('flood', null, CTX, host) as string[]
    assert.equal(flood.filter(x => x === 'ok').length, JS_LIMITS.hostPendingPerCall)
    assert.equal(flood.filter(x => x === 'too_many_calls').length, 6)
    assert.equal(await m.call('badArgs', null, CTX, host), 'bad_request')
    host.calls.length = 0
    await m.call('chatty', null, CTX, host)
    const logs = host.calls.filter(c => c.method === 'log')
    assert.equal(logs.length, JS_LIMITS.logLinesPerCall + 1)
    assert.ok(logs.every(l => (l.args[0] as string).length <= JS_LIMITS.logMessageChars + 1))
    assert.match(logs.at(-1)?.args[0] as string, /the rest were dropped/)
    await m.dispose()
  })

  it('runs a bounded number of calls at once and refuses calls beyond the waiting queue', async () => {
    const m = await load('export async function hold () { await goop.kv.get("k"); return 1 }', { callTimeoutMs: 5000 })
    let release: () => void = () => undefined
    const gate = new Promise<void>(resolve => { release = resolve })
    const host = recordingHost({ 'kv.get': async () => { await gate } })
    const accepted = Array.from({ length: JS_LIMITS.concurrentCalls + JS_LIMITS.queuedCalls }, async () => await m.call('hold', null, CTX, host))
    await new Promise(r => setTimeout(r, 50))
    assert.equal(host.calls.length, JS_LIMITS.concurrentCalls, 'only so many run at once')
    assert.equal((await failure(m.call('hold', null, CTX, host))).code, 'rate_limited')
    release()
    assert.equal((await Promise.all(accepted)).length, JS_LIMITS.concurrentCalls + JS_LIMITS.queuedCalls)
    await m.dispose()
  })

  it('dispose ends calls in flight, refuses new ones, and can be repeated', async () => {
    const m = await load('export async function wait () { await goop.kv.get("slow"); return 1 }\nexport const ping = (a: unknown) => a')
    const slowHost = recordingHost({ 'kv.get': async () => { await new Promise(r => setTimeout(r, 200)) } })
    const pending = m.call('wait', null, CTX, slowHost)
    await new Promise(r => setTimeout(r, 20))
    await m.dispose()
    assert.equal((await failure(pending)).code, 'unavailable')
    assert.equal((await failure(m.call('ping', 1, CTX, nullHost))).code, 'unavailable')
    await m.dispose()
  })
})
