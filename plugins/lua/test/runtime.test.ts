import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { GoopError, type HostMethod, type LogicHost } from '@goop/sdk'
import { LuaRuntime, type LuaModule } from '@goop/plugin-lua'

/**
 * Template logic in Lua as a template author and its visitors see it: JSON in and out, the host API
 * (recorded by this test's own host), one call never seeing another's state, errors that name the
 * file and line, only exported functions callable, and a module that can be unloaded.
 */

const MAIN = String.raw`local util = include('util')
local M = {}
local counter = 0

function M.echo(a) return a end
function M.types(a) return { t = type(a) } end
function M.inspect(a)
  return {
    arrLen = #a.arr, secondIsNull = a.arr[2] == goop.null, objMissing = a.obj.gone == nil,
    int = math.type(a.int), float = math.type(a.float), emptyObj = getmetatable(a.emptyObj), emptyArr = #a.emptyArr,
  }
end
function M.shapes()
  return { list = {}, obj = goop.object(), filled = goop.object({ a = 1 }), seq = { 'a', 'b' },
           mixed = { 'a', x = 1 }, sparse = { [1] = 'a', [3] = 'c' }, nulls = { 1, goop.null, 3 } }
end
function M.counter()
  counter = counter + 1
  G_COUNT = (G_COUNT or 0) + 1
  return { counter = counter, global = G_COUNT }
end
function M.mutate()
  local had = string.upper ~= nil and math.pi > 3.14
  string.upper = nil
  math.pi = 3
  return had
end
function M.who() return { caller = goop.caller, peer = goop.peer } end
function M.db()
  local page = goop.db.query('posts', { where = { column = 'done', op = 'eq', value = false }, limit = 5 })
  local row = goop.db.owner.insert('posts', {})
  local n = goop.db.count('posts')
  return { first = page.rows[1], note = page.rows[1].note, row = row.row, n = n.count, described = goop.db.describe().role }
end
function M.kv(a)
  goop.kv.set('k', a)
  local back = goop.kv.get('k')
  goop.kv.delete('k')
  return { back = back, list = goop.kv.list(), gone = goop.kv.get('k') }
end
function M.mq()
  goop.mq.publish('scores', { top = 1 })
  goop.mq.send('peer-b', 'hello', 'hi')
end
function M.logs(n)
  for i = 1, n do goop.log('line ' .. i, { i = i }) end
  print('printed', 1, true, nil)
  goop.log(string.rep('z', 5000))
end
function M.now() return goop.now() end
function M.forbidden() return goop.db.query('secret') end
function M.forbidden_caught()
  local ok, e = pcall(goop.db.query, 'secret')
  return { ok = ok, code = e.code, message = e.message, str = tostring(e) }
end
function M.fail_clean() error({ code = 'not_allowed', message = 'only the owner may do that' }) end
function M.fail_string() error('something broke') end
function M.fail_reserved() error({ code = 'timeout', message = 'pretend' }) end
function M.runtime_error()
  local t = nil
  return t.x
end
function M.bad_function() return { list = { 1, function() end } } end
function M.bad_cycle() local t = {} t.self = t return t end
function M.bad_nan() return { n = 0/0 } end
function M.bad_key() return { [1.5] = 1 } end
function M.big_result() return string.rep('x', 2 * 1024 * 1024) end
function M.slow() return goop.kv.get('slow') end
function M.never() return goop.kv.get('never') end
function M.huge() return goop.kv.get('huge') end
function M.double(a) return util.double(a) end
function M.coroutine() return coroutine.wrap(function() return goop.kv.get('co') end)() end
function M.stuck() return string.find(string.rep('a', 1000), '.-.-.-x') end
local function hidden() return 'secret' end
M.data = 42
return M
`

/** The line of MAIN where `text` first appears (error messages name it). */
function lineOf (text: string): number {
  return MAIN.slice(0, MAIN.indexOf(text)).split('\n').length
}

const UTIL = `local U = {}
function U.double(n) return n * 2 end
return U
`

interface Recorded { method: HostMethod, args: unknown[] }

/** This test's own host: records every call, keeps kv in a Map, answers db requests with fixed rows. */
function recordingHost (): { host: LogicHost, calls: Recorded[] } {
  const calls: Recorded[] = []
  const kv = new Map<string, unknown>()
  const host: LogicHost = async (method, args) => {
    calls.push({ method, args: structuredClone(args) })
    switch (method) {
      case 'db':
      case 'db.owner': {
        const req = args[0] as { op: string, table?: string, values?: unknown }
        if (req.table === 'secret') throw new GoopError('forbidden', 'this table is the owner\'s')
        if (req.op === 'query') return { rows: [{ _id: 1, _author: 'x', title: 'hello', done: false, note: null }] }
        if (req.op === 'insert') return { row: { _id: 2, values: req.values } }
        if (req.op === 'count') return { count: 7 }
        if (req.op === 'describe') return { role: 'visitor', tables: [] }
        return null
      }
      case 'kv.get': {
        const key = args[0] as string
        if (key === 'slow') { await new Promise(resolve => setTimeout(resolve, 100)); return 'slow answer' }
        if (key === 'never') return await new Promise(() => {})
        if (key === 'huge') return 'x'.repeat(6 * 1024 * 1024)
        if (key === 'co') return 'from a coroutine'
        return kv.get(key) ?? null
      }
      case 'kv.set': kv.set(args[0] as string, args[1]); return null
      case 'kv.delete': kv.delete(args[0] as string); return null
      case 'kv.list': return [...kv.keys()]
      default: return null
    }
  }
  return { host, calls }
}

const ctx = { caller: 'visitor-1', peer: 'owner-1' }

async function codeOf (p: Promise<unknown>): Promise<{ code: string, message: string }> {
  try {
    await p
  } catch (err) {
    return { code: (err as GoopError).code, message: (err as Error).message }
  }
  assert.fail('expected an error')
}

describe('lua runtime', () => {
  const runtime = new LuaRuntime()
  let m: LuaModule
  const { host, calls } = recordingHost()

  before(async () => {
    m = await runtime.load({ files: { 'main.lua': MAIN, 'util.lua': UTIL, 'notes.txt': 'not Lua' }, entry: 'main.lua' },
      { memoryBytes: 16 * 1024 * 1024, callTimeoutMs: 600 })
  })
  after(async () => { await runtime.close() })

  it('exports only the functions the entry returns', async () => {
    assert.ok(m.exports.includes('echo') && m.exports.includes('double'))
    assert.ok(!m.exports.includes('hidden') && !m.exports.includes('data'))
    assert.equal((await codeOf(m.call('hidden', null, ctx, host))).code, 'not_exported')
    assert.equal((await codeOf(m.call('data', null, ctx, host))).code, 'not_exported')
    assert.equal((await codeOf(m.call('toString', null, ctx, host))).code, 'not_exported')
  })

  it('passes JSON in and out', async () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>
    Object.assign(value, {
      s: 'héllo ☃ \u0000 after a NUL', n: 1.5, i: 42, neg: -7, big: 2 ** 53 - 1, t: true, f: false,
      arr: [1, 'two', [3], { four: 4 }, []], nested: { a: { b: { c: {} } } }, emptyObj: {}, emptyArr: []
    })
    const back = await m.call('echo', value, ctx, host) as Record<string, unknown>
    assert.deepEqual(back, JSON.parse(JSON.stringify(value)))
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
    assert.equal(await m.call('echo', 'plain string', ctx, host), 'plain string')
    assert.equal(await m.call('echo', null, ctx, host), null)
    assert.deepEqual(await m.call('types', null, ctx, host), { t: 'nil' })
  })

  it('maps null, empty tables, integers and floats as documented', async () => {
    assert.deepEqual(await m.call('echo', { a: [1, null, 3], o: { x: null, y: 1 } }, ctx, host), { a: [1, null, 3], o: { y: 1 } })
    assert.deepEqual(await m.call('inspect', { arr: [1, null, 3], obj: { gone: null }, int: 3, float: 3.5, emptyObj: {}, emptyArr: [] }, ctx, host), {
      arrLen: 3, secondIsNull: true, objMissing: true, int: 'integer', float: 'float', emptyObj: 'goop.object', emptyArr: 0
    })
    assert.deepEqual(await m.call('shapes', null, ctx, host), {
      list: [], obj: {}, filled: { a: 1 }, seq: ['a', 'b'], mixed: { 1: 'a', x: 1 }, sparse: { 1: 'a', 3: 'c' }, nulls: [1, null, 3]
    })
  })

  it('keeps nothing from one call to the next', async () => {
    assert.deepEqual(await m.call('counter', null, ctx, host), { counter: 1, global: 1 })
    assert.deepEqual(await m.call('counter', null, ctx, host), { counter: 1, global: 1 })
    assert.equal(await m.call('mutate', null, ctx, host), true)
    assert.equal(await m.call('mutate', null, ctx, host), true)
  })

  it('sets goop.caller and goop.peer for each call', async () => {
    assert.deepEqual(await m.call('who', null, ctx, host), { caller: 'visitor-1', peer: 'owner-1' })
    assert.deepEqual(await m.call('who', null, { caller: 'visitor-2', peer: 'owner-1' }, host), { caller: 'visitor-2', peer: 'owner-1' })
  })

  it('turns goop.db calls into DataRequests and returns their results', async () => {
    calls.length = 0
    const out = await m.call('db', null, ctx, host) as Record<string, unknown>
    assert.deepEqual(calls.map(c => [c.method, c.args]), [
      ['db', [{ op: 'query', table: 'posts', where: { column: 'done', op: 'eq', value: false }, limit: 5 }]],
      ['db.owner', [{ op: 'insert', table: 'posts', values: {} }]],
      ['db', [{ op: 'count', table: 'posts' }]],
      ['db', [{ op: 'describe' }]]
    ])
    assert.deepEqual(out, {
      first: { _id: 1, _author: 'x', title: 'hello', done: false }, row: { _id: 2, values: {} }, n: 7, described: 'visitor'
    })
  })

  it('round-trips goop.kv, and sends goop.mq, goop.log and print to the host', async () => {
    calls.length = 0
    // (`gone` is nil in Lua: a key with a nil value is no key, so it is not in the JSON.)
    assert.deepEqual(await m.call('kv', { score: 3, tags: ['a'] }, ctx, host), { back: { score: 3, tags: ['a'] }, list: [] })
    assert.deepEqual(calls.map(c => c.method), ['kv.set', 'kv.get', 'kv.delete', 'kv.list', 'kv.get'])
    assert.deepEqual(calls[3].args, [])

    calls.length = 0
    assert.equal(await m.call('mq', null, ctx, host), null)
    assert.deepEqual(calls, [
      { method: 'mq.publish', args: ['scores', { top: 1 }] },
      { method: 'mq.send', args: ['peer-b', 'hello', 'hi'] }
    ])

    calls.length = 0
    await m.call('logs', 2, ctx, host)
    assert.deepEqual(calls.slice(0, 3), [
      { method: 'log', args: ['line 1', { i: 1 }] },
      { method: 'log', args: ['line 2', { i: 2 }] },
      { method: 'log', args: ['printed\t1\ttrue\tnil'] }
    ])
    assert.match(calls[3].args[0] as string, /^z{2000}… \(5000 characters\)$/)

    calls.length = 0
    await m.call('logs', 150, ctx, host)
    assert.equal(calls.length, 101)
    assert.deepEqual(calls[100].args, ['(more log lines of this call dropped: at most 100 a call)'])
  })

  it('gives goop.now() in epoch milliseconds', async () => {
    const now = await m.call('now', null, ctx, host) as number
    assert.ok(Number.isInteger(now) && Math.abs(now - Date.now()) < 1000, String(now))
  })

  it('raises a host refusal in Lua as { code, message }, and passes it to the caller if uncaught', async () => {
    assert.deepEqual(await codeOf(m.call('forbidden', null, ctx, host)), { code: 'forbidden', message: 'this table is the owner\'s' })
    assert.deepEqual(await m.call('forbidden_caught', null, ctx, host), {
      ok: false, code: 'forbidden', message: 'this table is the owner\'s', str: 'forbidden: this table is the owner\'s'
    })
  })

  it('reports errors with file and line, and lets logic raise clean ones', async () => {
    assert.deepEqual(await codeOf(m.call('fail_clean', null, ctx, host)), { code: 'not_allowed', message: 'only the owner may do that' })
    assert.deepEqual(await codeOf(m.call('fail_string', null, ctx, host)), { code: 'logic_error', message: `main.lua:${lineOf("error('something broke')")}: something broke` })
    // A logic may not pose as the runtime.
    assert.deepEqual(await codeOf(m.call('fail_reserved', null, ctx, host)), { code: 'logic_error', message: 'pretend' })
    assert.deepEqual(await codeOf(m.call('runtime_error', null, ctx, host)), {
      code: 'logic_error', message: `main.lua:${lineOf('return t.x')}: attempt to index a nil value (local 't')`
    })
  })

  it('refuses results that are not JSON, saying where', async () => {
    assert.deepEqual(await codeOf(m.call('bad_function', null, ctx, host)), {
      code: 'bad_result', message: 'the logic returned a value that cannot be sent as JSON: result.list[2]: a function is not JSON'
    })
    assert.match((await codeOf(m.call('bad_cycle', null, ctx, host))).message, /result\.self: a table that contains itself/)
    assert.match((await codeOf(m.call('bad_nan', null, ctx, host))).message, /result\.n: (-)?NaN is not a JSON number/)
    assert.match((await codeOf(m.call('bad_key', null, ctx, host))).message, /the key 1\.5 is not JSON/)
    assert.deepEqual(await codeOf(m.call('big_result', null, ctx, host)), { code: 'too_large', message: 'the logic returned a value larger than 1048576 bytes as JSON' })
  })

  it('bounds arguments and host answers', async () => {
    assert.equal((await codeOf(m.call('echo', 'x'.repeat(300 * 1024), ctx, host))).code, 'too_large')
    assert.equal((await codeOf(m.call('echo', { n: 1n }, ctx, host))).code, 'bad_request')
    assert.deepEqual(await codeOf(m.call('huge', null, ctx, host)), {
      code: 'too_large', message: 'kv.get: the answer is larger than 5242880 bytes; ask for less (a smaller limit or fewer columns)'
    })
  })

  it('runs include()d files and host calls from coroutines', async () => {
    assert.equal(await m.call('double', 21, ctx, host), 42)
    assert.equal(await m.call('coroutine', null, ctx, host), 'from a coroutine')
  })

  it('waits for slow host calls within the deadline, and stops a call whose host never answers', async () => {
    assert.equal(await m.call('slow', null, ctx, host), 'slow answer')
    const stopped = m.stats.workersStopped
    const t0 = performance.now()
    assert.deepEqual(await codeOf(m.call('never', null, ctx, host)), {
      code: 'timeout', message: 'the call to never did not finish within 600 ms; its Lua worker was stopped'
    })
    assert.ok(performance.now() - t0 < 1200)
    assert.equal(m.stats.workersStopped, stopped + 1)
    while (m.idleWorkers === 0) await new Promise(resolve => setTimeout(resolve, 10))
    assert.equal(await m.call('echo', 'next', ctx, host), 'next')
  })

  it('counts time in the queue against the deadline', async () => {
    // A call stuck in one C call keeps the only worker until its deadline; the call behind it waits.
    const stuck = m.call('stuck', null, ctx, host)
    const queued = m.call('echo', 1, ctx, host)
    const [a, b] = await Promise.all([codeOf(stuck), codeOf(queued)])
    assert.equal(a.code, 'timeout')
    assert.deepEqual(b, { code: 'timeout', message: 'the call to echo waited 600 ms for a free Lua worker' })
  })
})

describe('lua runtime: loading', () => {
  const runtime = new LuaRuntime()
  after(async () => { await runtime.close() })
  const limits = { memoryBytes: 4 * 1024 * 1024, callTimeoutMs: 300 }
  const load = (files: Record<string, string>, entry = 'main.lua'): Promise<unknown> => runtime.load({ files, entry }, limits)

  it('refuses broken logic with file and line', async () => {
    assert.deepEqual(await codeOf(load({ 'main.lua': 'local M = {}\nfunction M.f(\n  return 1\nend\nreturn M' })), {
      code: 'bad_logic', message: 'main.lua:3: <name> or \'...\' expected near \'return\''
    })
    assert.deepEqual(await codeOf(load({ 'main.lua': 'return {}', 'lib/util.lua': 'local x = = 1' })), {
      code: 'bad_logic', message: 'lib/util.lua:1: unexpected symbol near \'=\''
    })
    assert.deepEqual(await codeOf(load({ 'main.lua': 'local t = nil\nreturn t.x' })), {
      code: 'bad_logic', message: 'main.lua:2: attempt to index a nil value (local \'t\')'
    })
    assert.deepEqual(await codeOf(load({ 'main.lua': 'return 42' })), {
      code: 'bad_logic', message: 'main.lua must return a table of functions (it returned a number)'
    })
    assert.deepEqual(await codeOf(load({ 'main.lua': 'goop.kv.get("x")\nreturn {}' })), {
      code: 'bad_logic',
      message: 'goop.kv.get: host calls are not available at the top level of a file (it runs before every call to list the exports); call them inside an exported function'
    })
    assert.match((await codeOf(load({ 'main.lua': 'while true do end' }))).message, /main\.lua: its top level did not finish within 300 ms/)
    assert.deepEqual(await codeOf(load({ 'main.lua': 'return {}' }, 'other.lua')), { code: 'bad_logic', message: 'other.lua: no such file in the logic' })
    assert.equal((await codeOf(load({ '../main.lua': 'return {}' }, '../main.lua'))).code, 'bad_logic')
  })

  it('lets a top-level print through during calls, and drops it while loading', async () => {
    const m = await runtime.load({ files: { 'main.lua': 'print("top level")\nreturn { f = function() print("in f") end }' }, entry: 'main.lua' }, limits)
    const { host, calls } = recordingHost()
    assert.equal(await m.call('f', null, ctx, host), null)
    assert.deepEqual(calls, [{ method: 'log', args: ['top level'] }, { method: 'log', args: ['in f'] }])
  })

  it('runs calls in parallel with more workers, and unloads cleanly', async () => {
    const many = new LuaRuntime({ workersPerModule: 2 })
    const mod = await many.load({ files: { 'main.lua': 'return { slow = function() return goop.kv.get("slow") end, spin = function() while true do end end }' }, entry: 'main.lua' },
      { memoryBytes: 4 * 1024 * 1024, callTimeoutMs: 5000 })
    // A host that holds its answers until two are waiting: only two calls running side by side finish.
    const waiting: Array<() => void> = []
    const host: LogicHost = async () => {
      await new Promise<void>(resolve => {
        waiting.push(resolve)
        if (waiting.length === 2) for (const release of waiting) release()
      })
      return 'together'
    }
    assert.deepEqual(await Promise.all([mod.call('slow', null, ctx, host), mod.call('slow', null, ctx, host)]), ['together', 'together'])
    assert.equal(mod.workerCount, 2)

    const spinning = codeOf(mod.call('spin', null, ctx, host))
    await new Promise(resolve => setTimeout(resolve, 50))
    await mod.dispose()
    assert.deepEqual(await spinning, { code: 'unavailable', message: 'the logic was unloaded' })
    assert.equal(mod.workerCount, 0)
    assert.equal((await codeOf(mod.call('slow', null, ctx, host))).code, 'unavailable')
    await many.close()
  })
})
