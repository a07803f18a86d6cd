import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { connect, probe, type TestPeer } from '@goop/core/testing'
import { isGoopError, type DataRequest, type Row } from '@goop/sdk'
import type { DataService } from '@goop/plugin-data'
import { CALL_PROTOCOL, type TemplatesService } from '@goop/plugin-templates'
import { fixture, siteCall, templatePeer, type CallReply } from './helpers.js'

/**
 * Logic calls between real peers: O owns the site and applies a template; A and B are visitors whose
 * browsers call O's logic through their own viewers (`POST /.goop/call` on O's site origin →
 * `/goop/call/1.0.0` → O). The same checks run for the Lua and the JS runtime, whose test templates
 * (test/fixtures/lua-app, js-app) export the same functions over tables of their own.
 */

interface Case {
  runtime: 'lua' | 'js'
  template: string
  /** The template's owner-only table, its table visitors may read but only the owner may insert into, and its open one. */
  tables: { secret: string, ownerInsert: string, open: string }
}

const CASES: Case[] = [
  { runtime: 'lua', template: 'lua-app', tables: { secret: 'secrets', ownerInsert: 'entries', open: 'posts' } },
  { runtime: 'js', template: 'js-app', tables: { secret: 'vault', ownerInsert: 'scores', open: 'board' } }
]

/** A call that must fail: its code, and the message (a host refusal the logic does not catch comes back with its own code, in both runtimes). */
function refused (r: CallReply, codes: string[], message: RegExp, what: string): void {
  assert.ok(r.body.error != null, `${what}: expected a refusal, got ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`)
  assert.ok(codes.includes(r.body.error.code), `${what}: ${r.body.error.code}: ${r.body.error.message}`)
  assert.match(`${r.body.error.code}: ${r.body.error.message}`, message, what)
}

function result<T> (r: CallReply, what: string): T {
  assert.equal(r.status, 200, `${what}: ${JSON.stringify(r.body).slice(0, 300)}`)
  return r.body.result as T
}

describe('template logic calls between peers', () => {
  const grabO = probe('grab', { requires: ['data', 'templates'] })
  const grabA = probe('grab', { requires: ['data'] })
  let O: TestPeer
  let A: TestPeer
  let B: TestPeer
  let data: DataService
  let templates: TemplatesService

  before(async () => {
    O = await templatePeer({ plugins: [grabO.plugin], templates: { calls: { perSecond: 2, burst: 40, inflight: 4 } } })
    ;[A, B] = await Promise.all([templatePeer({ plugins: [grabA.plugin] }), templatePeer()])
    await connect(A, O)
    await connect(B, O)
    data = grabO.ctx().use('data')
    templates = grabO.ctx().use('templates')
    // The owner's own table: no template's logic may reach it, not even as the owner.
    await data.apply({ tables: { mine: { columns: { note: { type: 'text' } }, policy: { read: 'open' } } } })
    await data.run({ op: 'insert', table: 'mine', values: { note: 'the owner\'s' } })
  })
  after(async () => { await Promise.all([O, A, B].map(async p => await p?.cleanup())) })

  for (const c of CASES) {
    describe(`${c.runtime} logic`, () => {
      before(async () => { await templates.apply(fixture(c.template), { force: true }) })

      it('a visitor reaches through logic no table and no operation its policies refuse it directly; goop.db.owner does, deliberately', async () => {
        const { secret, ownerInsert, open } = c.tables
        // Directly, over /goop/data/1.0.0, A may neither read the secret table nor insert into the owner's.
        const direct = async (req: DataRequest): Promise<string> => {
          try { await grabA.ctx().use('data').remote(O.id, req); return 'ok' } catch (err) { return isGoopError(err) ? err.code : String(err) }
        }
        assert.equal(await direct({ op: 'query', table: secret }), 'forbidden')
        assert.equal(await direct({ op: 'insert', table: ownerInsert, values: {} }), 'forbidden')
        // Through the logic: the same refusals.
        refused(await siteCall(A, O.id, 'readSecrets'), ['forbidden'], /forbidden/, 'read of an owner-only table')
        refused(await siteCall(A, O.id, 'addEntry', { text: 'sneaky' }), ['forbidden'], /forbidden/, 'insert into an insert:owner table')
        assert.equal((await data.run({ op: 'count', table: ownerInsert })).count, 0, 'nothing was inserted')
        // The owner's own table is out of any template's reach, even acting as the owner.
        refused(await siteCall(A, O.id, 'ownerRead', { table: 'mine' }), ['unknown_table'], /has no table "mine"/, 'the owner\'s own table')
        refused(await siteCall(O, O.id, 'ownerRead', { table: 'mine' }), ['unknown_table'], /has no table "mine"/, 'the owner\'s own table, by the owner')
        const described = result<{ tables: Array<{ name: string }> }>(await siteCall(A, O.id, 'describe'), 'describe')
        assert.deepEqual(described.tables.map(t => t.name).toSorted(), [ownerInsert, open].toSorted(), 'describe shows the template\'s tables the visitor can use, nothing else')
        // Deliberately as the owner: allowed.
        const owned = result<{ rows: Row[] }>(await siteCall(A, O.id, 'ownerSecrets'), 'goop.db.owner')
        assert.deepEqual(owned.rows.map(r => r.text), ['the answer is 42'])
        // Rows a visitor writes through logic are the visitor's.
        const post = result<{ row: Row }>(await siteCall(A, O.id, 'addPost', { title: 'hello' }), 'insert into an open table')
        assert.equal(post.row._author, A.id)
        // The owner, on its own site, is the owner.
        assert.deepEqual(result<{ rows: Row[] }>(await siteCall(O, O.id, 'readSecrets'), 'the owner reads').rows.length, 1)
        assert.equal(result<{ row: Row }>(await siteCall(O, O.id, 'addEntry', { text: 'mine' }), 'the owner inserts').row._author, O.id)
        assert.deepEqual(result(await siteCall(A, O.id, 'whoami'), 'whoami'), { caller: A.id, peer: O.id })
      })

      it('only exported functions are callable; bad calls are refused', async () => {
        assert.equal(result(await siteCall(A, O.id, 'useHelper'), 'an exported function using a private one'), 'not callable')
        const hidden = c.runtime === 'lua' ? 'private_helper' : 'helper'
        const r = await siteCall(A, O.id, hidden)
        assert.equal(r.status, 404)
        assert.equal(r.body.error?.code, 'not_exported')
        for (const fn of ['', 'a.b', '__proto__.x', 'x'.repeat(65), 'toString()']) {
          const bad = await siteCall(A, O.id, fn)
          assert.equal(bad.status, 400, `fn ${JSON.stringify(fn)}: ${JSON.stringify(bad.body)}`)
        }
        for (const fn of ['constructor', 'toString', '__index', 'hasOwnProperty']) {
          assert.equal((await siteCall(A, O.id, fn)).body.error?.code, 'not_exported', fn)
        }
        // Over the raw protocol, a body cannot name a caller.
        const raw = await grabA.ctx().streams.request(O.id, CALL_PROTOCOL, { fn: 'whoami', args: null, caller: O.id }).catch((err: unknown) => err)
        assert.ok(isGoopError(raw) && raw.code === 'bad_request', String(raw))
        assert.deepEqual(result(await siteCall(A, O.id, 'echo', { list: [1, 'two', { three: true }] }), 'echo'), { list: [1, 'two', { three: true }] })
      })

      it('kv persists across calls and callers; mq.publish reaches a remote follower of app.*', async () => {
        const first = result<number>(await siteCall(A, O.id, 'counter'), 'counter')
        assert.equal(result<number>(await siteCall(B, O.id, 'counter'), 'counter'), first + 1)
        assert.equal(result<number>(await siteCall(A, O.id, 'counter'), 'counter'), first + 2)
        const got: unknown[] = []
        const off = await grabA.ctx().mq.subscribeRemote(O.id, 'app.news', (payload) => { got.push(payload) })
        try {
          assert.equal(result(await siteCall(B, O.id, 'publish', { text: 'extra!' }), 'publish'), true)
          const deadline = Date.now() + 10_000
          while (got.length === 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
          assert.deepEqual(got, [{ text: 'extra!' }])
        } finally { off() }
        // mq.send: to one peer, on an app.* topic, with the sender being the owner's peer.
        const pings: Array<{ payload: unknown, from: string }> = []
        const stop = grabA.ctx().mq.receive('app.ping', (payload, meta) => { pings.push({ payload, from: meta.from }) })
        try {
          const sent = result<{ id: string }>(await siteCall(B, O.id, 'notify', { peer: A.id }), 'mq.send')
          assert.match(sent.id, /^[0-9a-f-]{36}$/)
          const deadline = Date.now() + 10_000
          while (pings.length === 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
          assert.deepEqual(pings, [{ payload: { from: B.id }, from: O.id }])
        } finally { stop() }
        refused(await siteCall(B, O.id, 'notify', { peer: 'not a peer' }), ['bad_request', 'logic_error'], /needs a peer ID/, 'mq.send to nonsense')
      })

      it('a runaway call times out while the peer keeps serving the other visitor', async () => {
        const t0 = Date.now()
        const spin = siteCall(A, O.id, 'spin')
        // While A's call spins in the sandbox, B is served: the site, the data, and then a call.
        await new Promise(resolve => setTimeout(resolve, 100))
        const t1 = Date.now()
        const rows = await grabA.ctx().use('data').remote(O.id, { op: 'query', table: c.tables.open })
        assert.ok(rows.rows.length >= 1, `rows of ${c.tables.open}: ${rows.rows.length}`)
        assert.ok(Date.now() - t1 < 900, `a data request took ${Date.now() - t1} ms during the runaway call`)
        const r = await spin
        refused(r, ['timeout'], /./, 'the runaway call')
        assert.equal(r.status, 504)
        assert.ok(Date.now() - t0 < 5_000, `the runaway call ended after ${Date.now() - t0} ms (its deadline is 1000 ms)`)
        assert.deepEqual(result(await siteCall(B, O.id, 'whoami'), 'the next call'), { caller: B.id, peer: O.id })
        assert.deepEqual(result(await siteCall(A, O.id, 'whoami'), 'the runaway caller again'), { caller: A.id, peer: O.id })
      })
    })
  }

  it('rate limits are per caller: a flooding visitor gets 429 with Retry-After, the other is served', async () => {
    // The bucket holds 40 calls; B has made a few in the tests above.
    let limited: CallReply | undefined
    for (let i = 0; i < 60 && limited == null; i++) {
      const r = await siteCall(B, O.id, 'echo', i)
      if (r.status === 429) limited = r
    }
    assert.ok(limited != null, 'B was never limited')
    assert.equal(limited.body.error?.code, 'rate_limited')
    assert.ok(Number(limited.headers['retry-after']) >= 1, `Retry-After: ${String(limited.headers['retry-after'])}`)
    assert.equal(result(await siteCall(A, O.id, 'echo', 'still here'), 'A is not limited'), 'still here')
    assert.equal(result(await siteCall(O, O.id, 'echo', 'owner'), 'the owner is never limited'), 'owner')
    // Calls at once: at most 4 per visitor (slow ones hold their places until their deadline).
    const burst = await Promise.all(Array.from({ length: 6 }, async () => await siteCall(A, O.id, 'spin')))
    const codes = burst.map(r => r.body.error?.code)
    assert.equal(codes.filter(x => x === 'rate_limited').length, 2, JSON.stringify(burst.map(r => r.body)))
    assert.ok(burst.some(r => /at most 4 calls at once/.test(r.body.error?.message ?? '')), JSON.stringify(burst.map(r => r.body)))
  })
})
