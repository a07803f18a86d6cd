import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { connect, probe, startTestPeer, type TestPeer } from '@goop/core/testing'
import { DATA_PROTOCOL, isGoopError, type Channel, type DataRequest, type DataResult, type Permission, type Policy, type Row } from '@goop/sdk'
import { DATA_MAX_FRAME, type DataService } from '@goop/plugin-data'

/**
 * The policy matrix over real peers: O owns the data; A and B are visitors, each reaching O over
 * /goop/data/1.0.0 on its own libp2p connection. For every operation and every value of its policy,
 * each of {the owner, the row's author, another visitor} gets exactly what the policy says: allowed
 * operations succeed with the right rows, refused ones get the right code and change nothing, and
 * scoped reads show only the caller's own rows. Then: no one can claim another identity, the rate
 * limit is per caller, and an oversize request is refused without harming the stream or the peer.
 */

type Who = 'owner' | 'author' | 'other'
const WHO: Who[] = ['owner', 'author', 'other']

const columns = { text: { type: 'text', maxLength: 200 }, n: { type: 'integer' } } as const
type PolicyIn = Partial<Policy>

/** One table per operation × policy value (the others left at what lets the test set up rows), and a few where read narrows what a change can reach. */
const TABLES: Record<string, PolicyIn> = {
  read_open: { read: 'open', insert: 'open' },
  read_author: { read: 'author', insert: 'open' },
  read_owner: { read: 'owner', insert: 'open' },
  insert_open: { read: 'open', insert: 'open' },
  insert_owner: { read: 'open', insert: 'owner' },
  update_author: { read: 'open', insert: 'open', update: 'author' },
  update_owner: { read: 'open', insert: 'open', update: 'owner' },
  update_open: { read: 'open', insert: 'open', update: 'open' },
  delete_author: { read: 'open', insert: 'open', delete: 'author' },
  delete_owner: { read: 'open', insert: 'open', delete: 'owner' },
  delete_open: { read: 'open', insert: 'open', delete: 'open' },
  change_open_read_author: { read: 'author', insert: 'open', update: 'open', delete: 'open' },
  change_open_read_owner: { read: 'owner', insert: 'open', update: 'open', delete: 'open' },
  owner_only: {}
}

/** What `describe` must tell a visitor it may do with each table (tables it may do nothing with are not listed). */
const VISITOR_CAN: Record<string, Record<'read' | 'insert' | 'update' | 'delete', Permission>> = {
  read_open: { read: true, insert: true, update: false, delete: false },
  read_author: { read: 'own', insert: true, update: false, delete: false },
  read_owner: { read: false, insert: true, update: false, delete: false },
  insert_open: { read: true, insert: true, update: false, delete: false },
  insert_owner: { read: true, insert: false, update: false, delete: false },
  update_author: { read: true, insert: true, update: 'own', delete: false },
  update_owner: { read: true, insert: true, update: false, delete: false },
  update_open: { read: true, insert: true, update: true, delete: false },
  delete_author: { read: true, insert: true, update: false, delete: 'own' },
  delete_owner: { read: true, insert: true, update: false, delete: false },
  delete_open: { read: true, insert: true, update: false, delete: true },
  change_open_read_author: { read: 'own', insert: true, update: 'own', delete: 'own' },
  change_open_read_owner: { read: false, insert: true, update: false, delete: false }
}

type Outcome<T> = { ok: true, value: T } | { ok: false, code: string, message: string }

async function outcome<T> (p: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await p }
  } catch (err) {
    if (!isGoopError(err)) throw err
    return { ok: false, code: err.code, message: err.message }
  }
}

function ok<T> (o: Outcome<T>, what: string): T {
  if (!o.ok) assert.fail(`${what}: expected success, got ${o.code}: ${o.message}`)
  return o.value
}

function refused (o: Outcome<unknown>, code: string, what: string): void {
  if (o.ok) assert.fail(`${what}: expected ${code}, but it succeeded with ${JSON.stringify(o.value).slice(0, 300)}`)
  assert.equal(o.code, code, `${what}: ${o.message}`)
}

describe('data policies between real peers', () => {
  let O: TestPeer
  let A: TestPeer
  let B: TestPeer
  /** A raw visitor: sends bodies the typed service would never build. */
  let X: TestPeer
  /** A second owner with a tight rate limit. */
  let R: TestPeer
  const probes = { O: probe('probe', { requires: ['data'] }), A: probe('probe', { requires: ['data'] }), B: probe('probe', { requires: ['data'] }), X: probe('probe'), R: probe('probe', { requires: ['data'] }) }
  const data = (p: { ctx: () => { use: (n: 'data') => DataService } }): DataService => p.ctx().use('data')
  let raw: Channel
  const idOf = (who: Who): string => who === 'owner' ? O.id : who === 'author' ? A.id : B.id

  /** `request` as `who`: the owner runs it locally; the visitors send it to O over the protocol. */
  async function as<R extends DataRequest> (who: Who, request: R): Promise<Outcome<DataResult<R['op']>>> {
    if (who === 'owner') return await outcome(data(probes.O).run(request))
    return await outcome(data(who === 'author' ? probes.A : probes.B).remote(O.id, request))
  }
  async function sendRaw (body: unknown): Promise<Outcome<unknown>> {
    return await outcome(raw.request(body, { timeoutMs: 10_000 }).then(r => r.body))
  }
  /** The row as the owner sees it (null if it is gone). */
  async function ownerGet (table: string, id: number): Promise<Row | null> {
    return ok(await as('owner', { op: 'get', table, id }), `owner get ${table}/${id}`).row
  }
  async function insertAs (who: Who, table: string, text: string): Promise<Row> {
    const row = ok(await as(who, { op: 'insert', table, values: { text, n: 1 } }), `${who} inserts into ${table}`).row
    assert.equal(row._author, idOf(who), `${who}'s row is written by ${who}`)
    return row
  }

  before(async () => {
    ;[O, A, B, X, R] = await Promise.all([
      startTestPeer({ plugins: [probes.O.plugin], config: { name: 'owner' }, viewer: true }),
      startTestPeer({ plugins: [probes.A.plugin], config: { name: 'author' }, viewer: false }),
      startTestPeer({ plugins: [probes.B.plugin], config: { name: 'other' }, viewer: false }),
      startTestPeer({ plugins: [probes.X.plugin], config: { name: 'raw' }, viewer: false }),
      startTestPeer({ plugins: [probes.R.plugin], config: { name: 'limited', plugins: { data: { config: { rateLimit: { perSecond: 10, burst: 20 } } } } }, viewer: false })
    ])
    await Promise.all([connect(A, O), connect(B, O), connect(X, O), connect(A, R), connect(B, R)])
    const report = await data(probes.O).apply({ tables: Object.fromEntries(Object.entries(TABLES).map(([name, policy]) => [name, { columns, policy }])) })
    assert.deepEqual(report.tables.map(t => t.action), Object.keys(TABLES).map(() => 'created'))
    await data(probes.R).apply({ tables: { t: { columns, policy: { read: 'open', insert: 'open' } } } })
    raw = probes.X.ctx().streams.open(O.id, DATA_PROTOCOL, { maxFrameBytes: 8 * 1024 * 1024 })
  })

  after(async () => {
    await Promise.all([O, A, B, X, R].map(async p => await p?.cleanup()))
  })

  it('read: open, author, owner — query, get, count and describe for the owner, the author and another visitor', async () => {
    const visible: Record<string, Record<Who, Who[] | 'forbidden'>> = {
      read_open: { owner: WHO, author: WHO, other: WHO },
      read_author: { owner: WHO, author: ['author'], other: ['other'] },
      read_owner: { owner: WHO, author: 'forbidden', other: 'forbidden' }
    }
    for (const [table, sees] of Object.entries(visible)) {
      const rows = {} as Record<Who, Row>
      for (const who of WHO) rows[who] = await insertAs(who, table, `${table} by ${who}`)
      for (const who of WHO) {
        const what = `${who} on ${table}`
        const want = sees[who]
        const query = await as(who, { op: 'query', table })
        const count = await as(who, { op: 'count', table })
        if (want === 'forbidden') {
          refused(query, 'forbidden', `${what}: query`)
          refused(count, 'forbidden', `${what}: count`)
          for (const by of WHO) refused(await as(who, { op: 'get', table, id: rows[by]._id }), 'forbidden', `${what}: get ${by}'s row`)
          continue
        }
        const ids = ok(query, `${what}: query`).rows.map(r => r._id)
        assert.deepEqual(ids, want.map(w => rows[w]._id), `${what}: query returns exactly ${want.join(', ')}'s rows`)
        assert.equal(ok(count, `${what}: count`).count, want.length, `${what}: count`)
        for (const by of WHO) {
          const got = await as(who, { op: 'get', table, id: rows[by]._id })
          if (want.includes(by)) {
            assert.deepEqual(ok(got, `${what}: get ${by}'s row`).row, rows[by])
          } else {
            // A row the caller may not see is, for it, no row at all: the same answer as an _id never used.
            assert.deepEqual(ok(got, `${what}: get ${by}'s row`), { row: null })
          }
        }
        assert.deepEqual(ok(await as(who, { op: 'get', table, id: 999_999 }), `${what}: get a missing row`), { row: null })
        // A filter cannot widen a scoped read: asking for another peer's rows finds none.
        for (const by of WHO) {
          const filtered = ok(await as(who, { op: 'query', table, where: { column: '_author', op: 'eq', value: idOf(by) } }), `${what}: query by _author`)
          assert.deepEqual(filtered.rows.map(r => r._id), want.includes(by) ? [rows[by]._id] : [], `${what}: rows by ${by}`)
          const counted = ok(await as(who, { op: 'count', table, where: { column: '_author', op: 'ne', value: idOf(who) } }), `${what}: count not own`)
          assert.equal(counted.count, want.filter(w => w !== who).length)
        }
      }
    }
  })

  it('insert: open, owner', async () => {
    for (const who of WHO) {
      const start = ok(await as('owner', { op: 'count', table: 'insert_open' }), 'count').count
      const row = await insertAs(who, 'insert_open', `open insert by ${who}`)
      assert.equal(row.text, `open insert by ${who}`)
      assert.equal(row.n, 1)
      assert.equal(ok(await as('owner', { op: 'count', table: 'insert_open' }), 'count').count, start + 1)
    }
    for (const who of WHO) {
      const start = ok(await as('owner', { op: 'count', table: 'insert_owner' }), 'count').count
      const got = await as(who, { op: 'insert', table: 'insert_owner', values: { text: `by ${who}` } })
      if (who === 'owner') assert.equal(ok(got, 'owner inserts').row._author, O.id)
      else refused(got, 'forbidden', `${who} inserts into insert_owner`)
      assert.equal(ok(await as('owner', { op: 'count', table: 'insert_owner' }), 'count').count, start + (who === 'owner' ? 1 : 0))
    }
  })

  /** May `who` change a row written by `by` under this update/delete policy (with read open)? The words of the policy, literally. */
  const mayChange: Record<'author' | 'owner' | 'open', (who: Who, by: Who) => boolean> = {
    author: (who, by) => who === 'owner' || who === by,
    owner: who => who === 'owner',
    open: () => true
  }

  it('update: author, owner, open — on rows of the author and of the owner', async () => {
    for (const policy of ['author', 'owner', 'open'] as const) {
      const table = `update_${policy}`
      const rows = { author: await insertAs('author', table, 'by the author'), owner: await insertAs('owner', table, 'by the owner') }
      for (const by of ['author', 'owner'] as const) {
        for (const who of WHO) {
          const what = `${who} updates ${by}'s row of ${table}`
          const was = await ownerGet(table, rows[by]._id)
          const got = await as(who, { op: 'update', table, id: rows[by]._id, values: { text: `changed by ${who}`, n: 2 } })
          if (mayChange[policy](who, by)) {
            const row = ok(got, what).row
            assert.equal(row.text, `changed by ${who}`)
            assert.equal(row._author, idOf(by), `${what}: the author stays`)
            assert.equal(row._created, was!._created)
            assert.deepEqual(await ownerGet(table, rows[by]._id), row)
          } else {
            refused(got, 'forbidden', what)
            assert.deepEqual(await ownerGet(table, rows[by]._id), was, `${what}: unchanged`)
          }
        }
      }
    }
  })

  it('delete: author, owner, open — on rows of the author and of the owner', async () => {
    for (const policy of ['author', 'owner', 'open'] as const) {
      const table = `delete_${policy}`
      for (const by of ['author', 'owner'] as const) {
        for (const who of WHO) {
          const what = `${who} deletes ${by}'s row of ${table}`
          const row = await insertAs(by, table, `${by}'s row for ${who}`)
          const got = await as(who, { op: 'delete', table, id: row._id })
          if (mayChange[policy](who, by)) {
            assert.deepEqual(ok(got, what), { deleted: 1 })
            assert.equal(await ownerGet(table, row._id), null, `${what}: gone`)
          } else {
            refused(got, 'forbidden', what)
            assert.deepEqual(await ownerGet(table, row._id), row, `${what}: still there`)
          }
        }
      }
    }
  })

  it('a change reaches only rows the caller may read: update/delete open with read author, and with read owner', async () => {
    const table = 'change_open_read_author'
    const rows = { author: await insertAs('author', table, 'a'), owner: await insertAs('owner', table, 'o'), other: await insertAs('other', table, 'b') }
    // The other visitor cannot see the author's row, so for it there is nothing to change.
    refused(await as('other', { op: 'update', table, id: rows.author._id, values: { text: 'x' } }), 'not_found', 'other updates author\'s row')
    refused(await as('other', { op: 'delete', table, id: rows.author._id }), 'not_found', 'other deletes author\'s row')
    refused(await as('author', { op: 'update', table, id: rows.owner._id, values: { text: 'x' } }), 'not_found', 'author updates owner\'s row')
    assert.deepEqual(await ownerGet(table, rows.author._id), rows.author)
    assert.deepEqual(await ownerGet(table, rows.owner._id), rows.owner)
    assert.equal(ok(await as('author', { op: 'update', table, id: rows.author._id, values: { text: 'mine' } }), 'author updates own').row.text, 'mine')
    assert.deepEqual(ok(await as('other', { op: 'delete', table, id: rows.other._id }), 'other deletes own'), { deleted: 1 })
    assert.deepEqual(ok(await as('owner', { op: 'delete', table, id: rows.author._id }), 'owner deletes any'), { deleted: 1 })

    const hidden = 'change_open_read_owner'
    const mine = await insertAs('author', hidden, 'written, never read back')
    refused(await as('author', { op: 'update', table: hidden, id: mine._id, values: { text: 'x' } }), 'forbidden', 'author updates in a read-owner table')
    refused(await as('author', { op: 'delete', table: hidden, id: mine._id }), 'forbidden', 'author deletes in a read-owner table')
    assert.deepEqual(await ownerGet(hidden, mine._id), mine)
  })

  it('describe: the owner sees every table and may do everything; a visitor sees what it may use and exactly what it may do', async () => {
    const owner = ok(await as('owner', { op: 'describe' }), 'owner describe')
    assert.equal(owner.role, 'owner')
    assert.deepEqual(owner.tables.map(t => t.name).toSorted(), Object.keys(TABLES).toSorted())
    for (const t of owner.tables) assert.deepEqual(t.can, { read: true, insert: true, update: true, delete: true }, t.name)
    for (const who of ['author', 'other'] as const) {
      const d = ok(await as(who, { op: 'describe' }), `${who} describe`)
      assert.equal(d.role, 'visitor')
      assert.deepEqual(d.tables.map(t => t.name).toSorted(), Object.keys(VISITOR_CAN).toSorted(), 'owner_only is not listed')
      for (const t of d.tables) {
        assert.deepEqual(t.can, VISITOR_CAN[t.name], `${who}: can on ${t.name}`)
        assert.deepEqual(t.columns.map(c => c.name), ['text', 'n'])
      }
    }
    // A table no visitor may use does not exist for visitors; system tables exist for no one.
    for (const who of ['author', 'other'] as const) {
      refused(await as(who, { op: 'query', table: 'owner_only' }), 'forbidden', `${who} queries owner_only`)
    }
    for (const who of WHO) {
      for (const table of ['_goop_tables', '_goop_migrations', 'sqlite_master', 'sqlite_sequence']) {
        const got = await as(who, { op: 'query', table })
        assert.ok(!got.ok && (got.code === 'unknown_table' || got.code === 'bad_request'), `${who} queries ${table}: ${JSON.stringify(got).slice(0, 200)}`)
      }
    }
  })

  it('identity: a body cannot name another caller, system columns cannot be written, _author is the connection\'s peer', async () => {
    const count = async (): Promise<number> => ok(await as('owner', { op: 'count', table: 'insert_open' }), 'count').count
    const start = await count()
    const insert = { op: 'insert', table: 'insert_open', values: { text: 'spoof' } }
    for (const extra of [{ caller: O.id }, { as: O.id }, { peer: O.id }, { _author: O.id }, { author: O.id }, { owner: true }, { caller: { peer: O.id, owner: true } }]) {
      const got = await sendRaw({ ...insert, ...extra })
      refused(got, 'bad_request', `insert with ${JSON.stringify(extra)}`)
    }
    for (const values of [{ text: 'spoof', _author: O.id }, { text: 'spoof', _id: 1 }, { text: 'spoof', _created: '2000-01-01T00:00:00.000Z' }]) {
      const got = await sendRaw({ ...insert, values })
      assert.ok(!got.ok, `insert with values ${JSON.stringify(values)} is refused`)
    }
    assert.equal(await count(), start, 'nothing was inserted')
    const row = ok(await sendRaw(insert), 'plain insert') as { row: Row }
    assert.equal(row.row._author, X.id, "the author is the connection's peer")

    // update: the author cannot be moved, by the row's author nor by anyone else under `open`.
    const target = await insertAs('author', 'update_open', 'keep my author')
    for (const who of WHO) {
      const got = await as(who, { op: 'update', table: 'update_open', id: target._id, values: { _author: idOf('other') } as Record<string, string> })
      assert.ok(!got.ok, `${who} may not set _author`)
      refused(await sendRaw({ op: 'update', table: 'update_open', id: target._id, values: { text: 'x' }, peer: O.id }), 'bad_request', 'update naming a peer')
    }
    assert.deepEqual(await ownerGet('update_open', target._id), target)
  })

  it('rate limit: a caller over its rate gets rate_limited with when to retry; other callers are unaffected', async () => {
    const a = data(probes.A)
    const t0 = performance.now()
    const results = await Promise.all(Array.from({ length: 60 }, async () => await outcome(a.remote(R.id, { op: 'count', table: 't' }))))
    const elapsed = performance.now() - t0
    const passed = results.filter(r => r.ok).length
    const limited = results.filter((r): r is { ok: false, code: string, message: string } => !r.ok)
    // The burst (20), plus what 10/s refilled while they were on their way.
    assert.ok(passed >= 20 && passed <= 20 + Math.ceil(elapsed / 100) + 1, `${passed} passed in ${elapsed.toFixed(0)} ms`)
    assert.ok(limited.length > 0)
    assert.equal(limited.length, 60 - passed)
    for (const r of limited) {
      assert.equal(r.code, 'rate_limited')
      assert.match(r.message, /retry after \d+ ms/)
    }
    // B has its own bucket.
    for (let i = 0; i < 5; i++) ok(await outcome(data(probes.B).remote(R.id, { op: 'count', table: 't' })), 'B is not limited by A')
    // And A may go on after the wait it was told.
    const wait = Math.max(...limited.map(r => Number(/retry after (\d+) ms/.exec(r.message)![1])))
    assert.ok(wait > 0 && wait <= 100, `one token comes back in 100 ms at 10/s: ${wait}`)
    await new Promise(resolve => setTimeout(resolve, wait + 20))
    ok(await outcome(a.remote(R.id, { op: 'count', table: 't' })), 'A after waiting')
  })

  it('an oversize request is refused cleanly: too_large for that request, a frame over the limit closes only that stream; the peer keeps serving', async () => {
    const big = 'x'.repeat(300 * 1024)
    // The service refuses it before sending.
    refused(await outcome(data(probes.A).remote(O.id, { op: 'insert', table: 'insert_open', values: { text: big } })), 'too_large', 'service')
    // Sent anyway (raw): the owner refuses that request only; the same stream answers the next one.
    refused(await sendRaw({ op: 'insert', table: 'insert_open', values: { text: big } }), 'too_large', 'raw 300 KiB')
    ok(await sendRaw({ op: 'count', table: 'insert_open' }), 'the same stream, next request')
    // Over the frame limit: the owner answers with an error and closes that stream; A's requests
    // running at the same time on A's own stream are untouched, and X's next request opens a new one.
    const during = Array.from({ length: 20 }, async () => await as('author', { op: 'count', table: 'read_open' }))
    const huge = await sendRaw({ op: 'insert', table: 'insert_open', values: { text: 'y'.repeat(DATA_MAX_FRAME + 1024) } })
    refused(huge, 'frame_too_large', 'a frame over the limit')
    for (const r of await Promise.all(during)) ok(r, "A's requests meanwhile")
    ok(await sendRaw({ op: 'count', table: 'insert_open' }), 'a new stream after the closed one')
    ok(await as('other', { op: 'describe' }), 'B after all that')
  })
})
