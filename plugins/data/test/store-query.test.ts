import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { DataResults, Row } from '@goop/sdk'
import { ALICE, BOB, OWNER, insert, query, refused, rng, tempStore, type Temp } from './store-fixtures.js'

type Dir = 'asc' | 'desc'

describe('data store: queries', () => {
  let t: Temp
  /** Every row, as inserted (the expected results are computed from these, in JS). */
  const all: Row[] = []
  before(() => {
    t = tempStore()
    t.store.apply({
      tables: {
        items: {
          columns: {
            a: { type: 'integer', index: true },
            b: { type: 'text' },
            c: { type: 'real' },
            d: { type: 'boolean' },
            e: { type: 'datetime' },
            j: { type: 'json' }
          },
          policy: { read: 'open', insert: 'open', update: 'open', delete: 'open' }
        },
        mine: { columns: { v: { type: 'integer' } }, policy: { read: 'author', insert: 'open' } },
        long: { columns: { s: { type: 'text' } }, policy: { read: 'open', insert: 'open' } }
      }
    })
    const r = rng(7)
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]
    for (let i = 0; i < 300; i++) {
      // Few distinct values and many NULLs: ties and NULLs everywhere.
      const row = insert(t.store, 'items', {
        a: pick([null, 1, 2, 3, 4]),
        b: pick([null, 'x', 'y', 'Zed', 'x%y']),
        c: pick([null, -1.5, 0, 2.25]),
        d: pick([null, true, false]),
        e: pick([null, '2025-01-01T00:00:00Z', '2025-01-01T01:00:00+01:00', '2024-06-01T12:00:00.5Z']),
        j: { i }
      }, pick([ALICE, BOB, OWNER]))
      all.push(row)
    }
  })
  after(() => { t.cleanup() })

  function ids (rows: Row[]): number[] { return rows.map(r => r._id) }

  /** The expected order, by an independent comparison: NULL first ascending, last descending, then _id ascending. */
  function sorted (rows: Row[], order: Array<{ column: string, dir: Dir }>): Row[] {
    const cmp = (x: unknown, y: unknown): number => {
      if (x === y) return 0
      if (x === null) return -1
      if (y === null) return 1
      const xv = typeof x === 'boolean' ? Number(x) : x as number | string
      const yv = typeof y === 'boolean' ? Number(y) : y as number | string
      return xv < yv ? -1 : xv > yv ? 1 : 0
    }
    const terms = order.some(o => o.column === '_id') ? order : [...order, { column: '_id', dir: 'asc' as Dir }]
    return rows.toSorted((p, q) => {
      for (const o of terms) {
        const c = cmp(p[o.column], q[o.column])
        if (c !== 0) return o.dir === 'asc' ? c : -c
      }
      return 0
    })
  }

  function pageAll (req: Record<string, unknown>, limit: number): { rows: Row[], pages: number } {
    const rows: Row[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const res = query(t.store, { ...req, limit, ...(cursor !== undefined ? { cursor } : {}) }, BOB)
      rows.push(...res.rows)
      cursor = res.cursor
      pages++
      assert.ok(pages < 1000, 'paging ends')
      if (cursor !== undefined) assert.equal(res.rows.length, limit, 'a page with a cursor is full')
    } while (cursor !== undefined)
    return { rows, pages }
  }

  it('filters: eq ne lt lte gt gte in like, and/or, nulls, booleans and datetimes converted like stored values', () => {
    const f = (where: unknown): number[] => ids(query(t.store, { table: 'items', where, limit: 1000 }).rows)
    const js = (p: (r: Row) => boolean): number[] => ids(all.filter(p))
    assert.deepEqual(f({ column: 'a', op: 'eq', value: 2 }), js(r => r.a === 2))
    assert.deepEqual(f({ column: 'a', op: 'ne', value: 2 }), js(r => r.a !== 2), 'ne keeps NULLs')
    assert.deepEqual(f({ column: 'a', op: 'eq', value: null }), js(r => r.a === null))
    assert.deepEqual(f({ column: 'a', op: 'ne', value: null }), js(r => r.a !== null))
    assert.deepEqual(f({ column: 'c', op: 'lt', value: 0 }), js(r => r.c !== null && (r.c as number) < 0))
    assert.deepEqual(f({ column: 'c', op: 'lte', value: 0 }), js(r => r.c !== null && (r.c as number) <= 0))
    assert.deepEqual(f({ column: 'a', op: 'gt', value: 2.5 }), js(r => r.a !== null && (r.a as number) > 2.5))
    assert.deepEqual(f({ column: 'a', op: 'gte', value: 3 }), js(r => r.a !== null && (r.a as number) >= 3))
    assert.deepEqual(f({ column: 'a', op: 'in', value: [1, 4] }), js(r => r.a === 1 || r.a === 4))
    assert.deepEqual(f({ column: 'a', op: 'in', value: [1, null] }), js(r => r.a === 1 || r.a === null))
    assert.deepEqual(f({ column: 'b', op: 'in', value: ['x', 'Zed'] }), js(r => r.b === 'x' || r.b === 'Zed'))
    assert.deepEqual(f({ column: 'd', op: 'eq', value: true }), js(r => r.d === true))
    assert.deepEqual(f({ column: 'd', op: 'in', value: [false] }), js(r => r.d === false))
    // Two spellings of the same instant are one value.
    assert.deepEqual(f({ column: 'e', op: 'eq', value: '2025-01-01T00:00:00.000Z' }), js(r => r.e === '2025-01-01T00:00:00.000Z'))
    assert.ok(f({ column: 'e', op: 'eq', value: '2025-01-01T01:00:00+01:00' }).length > 10)
    assert.deepEqual(f({ column: 'e', op: 'lt', value: '2025-01-01' }), js(r => r.e === '2024-06-01T12:00:00.500Z'))
    assert.deepEqual(f({ column: 'b', op: 'like', value: 'z%' }), js(r => r.b === 'Zed'), 'like is case-insensitive for ASCII')
    assert.deepEqual(f({ column: 'b', op: 'like', value: 'x\\%%' }), js(r => r.b === 'x%y'), '\\ escapes %')
    assert.deepEqual(f({ and: [{ column: 'a', op: 'eq', value: 1 }, { or: [{ column: 'b', op: 'eq', value: 'x' }, { column: 'd', op: 'eq', value: null }] }] }),
      js(r => r.a === 1 && (r.b === 'x' || r.d === null)))
    assert.deepEqual(f({ column: '_author', op: 'eq', value: ALICE.peer }), js(r => r._author === ALICE.peer), 'system columns are filterable')
    assert.deepEqual(f({ column: '_id', op: 'lte', value: 3 }), [1, 2, 3])
    assert.equal((t.store.execute({ op: 'count', table: 'items', where: { column: 'a', op: 'eq', value: 3 } }, BOB) as DataResults['count']).count, all.filter(r => r.a === 3).length)
  })

  it('refuses filters that cannot mean anything, saying why', () => {
    refused(() => query(t.store, { table: 'items', where: { column: 'j', op: 'eq', value: 1 } }), 'bad_request', /json columns cannot be filtered/)
    refused(() => query(t.store, { table: 'items', order: [{ column: 'j' }] }), 'bad_request', /json columns cannot be filtered or ordered/)
    refused(() => query(t.store, { table: 'items', where: { column: 'a', op: 'like', value: '1%' } }), 'bad_request', /like works on text columns only; a is integer/)
    refused(() => query(t.store, { table: 'items', where: { column: 'a', op: 'lt', value: null } }), 'bad_value', /null can only be compared with eq or ne/)
    refused(() => query(t.store, { table: 'items', where: { column: 'a', op: 'eq', value: [1] } }), 'bad_request', /takes one value, not a list/)
    refused(() => query(t.store, { table: 'items', where: { column: 'a', op: 'in', value: 1 } }), 'bad_request', /in takes a list/)
    refused(() => query(t.store, { table: 'items', where: { column: 'a', op: 'in', value: [] } }), 'bad_request', /in takes a list of 1 to 1000/)
    refused(() => query(t.store, { table: 'items', where: { column: 'a', op: 'eq', value: '1' } }), 'bad_value', /must be an integer, not the string "1"/)
    refused(() => query(t.store, { table: 'items', where: { column: 'd', op: 'eq', value: 1 } }), 'bad_value', /true or false/)
    refused(() => query(t.store, { table: 'items', where: { column: 'b', op: 'like', value: '%'.repeat(257) } }), 'bad_value', /at most 256 characters/)
    refused(() => query(t.store, { table: 'items', where: { column: 'nope', op: 'eq', value: 1 } }), 'unknown_column', /where: table items has no column "nope"/)
    refused(() => query(t.store, { table: 'items', where: { and: [] } }), 'bad_request', /where\.and must be a list of 1 to 64/)
    refused(() => query(t.store, { table: 'items', where: [] }), 'bad_request', /where must be a condition/)
  })

  it('orders by up to 4 columns with _id as the final tie-breaker; limit, columns', () => {
    assert.deepEqual(ids(query(t.store, { table: 'items', limit: 5 }).rows), [1, 2, 3, 4, 5], 'default order _id ascending')
    for (const order of [[{ column: 'a', dir: 'desc' as Dir }], [{ column: 'b', dir: 'asc' as Dir }, { column: 'c', dir: 'desc' as Dir }]]) {
      assert.deepEqual(ids(query(t.store, { table: 'items', order, limit: 1000 }).rows), ids(sorted(all, order)))
    }
    const picked = query(t.store, { table: 'items', columns: ['b'], limit: 2 }).rows
    assert.deepEqual(Object.keys(picked[0]), ['_id', '_author', '_created', '_updated', 'b'])
    refused(() => query(t.store, { table: 'items', columns: ['b', 'zz'] }), 'unknown_column', /columns\[1\]/)
    refused(() => query(t.store, { table: 'items', order: [{ column: 'a' }, { column: 'a', dir: 'desc' }] }), 'bad_request', /already in the order/)
    refused(() => query(t.store, { table: 'items', order: [{ column: 'a' }, { column: 'b' }, { column: 'c' }, { column: 'd' }, { column: 'e' }] }), 'bad_request', /order/)
    refused(() => query(t.store, { table: 'items', limit: 1001 }), 'too_large', /at most 1000 rows/)
    refused(() => query(t.store, { table: 'items', limit: 0 }), 'bad_request', /limit/)
    assert.equal(query(t.store, { table: 'items' }).rows.length, 100, 'default limit 100')
    assert.equal(query(t.store, { table: 'items', limit: 1000 }).rows.length, 300)
  })

  it('keyset paging returns every row exactly once, in order, for every mix of directions and NULLs', () => {
    const orders: Array<Array<{ column: string, dir: Dir }>> = [
      [],
      [{ column: '_id', dir: 'desc' }],
      [{ column: 'a', dir: 'asc' }],
      [{ column: 'a', dir: 'desc' }],
      [{ column: 'a', dir: 'asc' }, { column: 'b', dir: 'desc' }],
      [{ column: 'b', dir: 'desc' }, { column: 'a', dir: 'asc' }, { column: 'c', dir: 'desc' }],
      [{ column: 'd', dir: 'desc' }, { column: 'e', dir: 'asc' }, { column: 'b', dir: 'asc' }, { column: 'c', dir: 'asc' }],
      [{ column: 'e', dir: 'desc' }, { column: '_author', dir: 'asc' }],
      [{ column: 'c', dir: 'asc' }, { column: '_id', dir: 'desc' }]
    ]
    for (const order of orders) {
      const expected = ids(sorted(all, order))
      for (const limit of [1, 7, 64]) {
        const { rows, pages } = pageAll({ table: 'items', order }, limit)
        assert.deepEqual(ids(rows), expected, `order ${JSON.stringify(order)}, pages of ${limit}`)
        assert.equal(pages, Math.ceil(expected.length / limit), 'a cursor only when more rows follow')
      }
      // With a filter, and with columns that leave the order columns out.
      const where = { or: [{ column: 'a', op: 'eq', value: null }, { column: 'c', op: 'gt', value: 0 }] }
      const filtered = ids(sorted(all.filter(r => r.a === null || (r.c !== null && (r.c as number) > 0)), order))
      const { rows } = pageAll({ table: 'items', order, where, columns: ['j'] }, 9)
      assert.deepEqual(ids(rows), filtered)
      for (const r of rows) assert.deepEqual(Object.keys(r), ['_id', '_author', '_created', '_updated', 'j'])
    }
  })

  it('paging while rows are inserted and deleted: every row there throughout is seen exactly once', () => {
    t.store.apply({ tables: { live: { columns: { k: { type: 'integer' } }, policy: { read: 'open' } } } })
    const r = rng(11)
    const start: number[] = []
    for (let i = 0; i < 120; i++) start.push(insert(t.store, 'live', { k: Math.floor(r() * 10) })._id)
    const deleted = new Set<number>()
    const seen: number[] = []
    let cursor: string | undefined
    do {
      const res = query(t.store, { table: 'live', order: [{ column: 'k', dir: 'desc' }], limit: 10, ...(cursor !== undefined ? { cursor } : {}) }, BOB)
      seen.push(...ids(res.rows))
      cursor = res.cursor
      insert(t.store, 'live', { k: Math.floor(r() * 10) })
      const victim = start[Math.floor(r() * start.length)]
      if (!seen.includes(victim) && !deleted.has(victim)) { t.store.execute({ op: 'delete', table: 'live', id: victim }, OWNER); deleted.add(victim) }
    } while (cursor !== undefined)
    assert.equal(new Set(seen).size, seen.length, 'no row twice')
    for (const id of start) if (!deleted.has(id)) assert.ok(seen.includes(id), `row ${id} was seen`)
  })

  it('a cursor is bound to its table, order and filter; a forged one is refused', () => {
    const first = query(t.store, { table: 'items', order: [{ column: 'a', dir: 'asc' }], limit: 5 })
    assert.ok(first.cursor !== undefined)
    const cursor = first.cursor
    refused(() => query(t.store, { table: 'items', order: [{ column: 'a', dir: 'desc' }], cursor }), 'bad_request', /cursor belongs to another query/)
    refused(() => query(t.store, { table: 'items', order: [{ column: 'a', dir: 'asc' }], where: { column: 'a', op: 'eq', value: 1 }, cursor }), 'bad_request', /another query/)
    refused(() => query(t.store, { table: 'long', order: [{ column: 'a', dir: 'asc' }], cursor }), 'unknown_column')
    refused(() => query(t.store, { table: 'mine', cursor }, OWNER), 'bad_request', /another query/)
    for (const bad of ['', 'not base64!', Buffer.from('[1,"x"]').toString('base64url'), Buffer.from('{"a":1}').toString('base64url'), `${cursor}A`]) {
      refused(() => query(t.store, { table: 'items', order: [{ column: 'a', dir: 'asc' }], cursor: bad }), 'bad_request', /cursor/)
    }
    // A cursor whose values were tampered with (wrong types) is refused.
    const parts = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[]
    parts[2] = 'text where an integer belongs'
    refused(() => query(t.store, { table: 'items', order: [{ column: 'a', dir: 'asc' }], cursor: Buffer.from(JSON.stringify(parts)).toString('base64url') }), 'bad_request', /cursor/)
    // The last page has no cursor.
    const last = query(t.store, { table: 'items', limit: 1000 })
    assert.equal(last.cursor, undefined)
    assert.equal(query(t.store, { table: 'items', limit: 300 }).cursor, undefined, 'no cursor when exactly the rest fits')
  })

  it('ordering by long texts: the cursor stays short and paging still works', () => {
    for (let i = 0; i < 12; i++) insert(t.store, 'long', { s: `${String(i % 4)}${'x'.repeat(5000)}` })
    const { rows } = pageAll({ table: 'long', order: [{ column: 's', dir: 'desc' }] }, 5)
    assert.equal(rows.length, 12)
    assert.equal(new Set(ids(rows)).size, 12)
    const page = query(t.store, { table: 'long', order: [{ column: 's', dir: 'desc' }], limit: 5 })
    assert.ok(page.cursor !== undefined && page.cursor.length <= 4096)
    t.store.execute({ op: 'delete', table: 'long', id: page.rows[4]._id }, OWNER)
    refused(() => query(t.store, { table: 'long', order: [{ column: 's', dir: 'desc' }], limit: 5, cursor: page.cursor }), 'bad_request', /start again from the first page/)
  })

  it('a result over 4 MiB is too_large, saying to ask for fewer rows; fewer rows work', () => {
    t.store.apply({ tables: { big: { columns: { s: { type: 'text' }, n: { type: 'integer' } }, policy: { read: 'open' } } } })
    for (let i = 0; i < 72; i++) insert(t.store, 'big', { s: 'é'.repeat(30_000), n: i }) // 60,000 bytes of UTF-8 each
    refused(() => query(t.store, { table: 'big', limit: 100 }, BOB), 'too_large', /more than the 4194304 allowed; ask for fewer rows/)
    assert.equal(query(t.store, { table: 'big', limit: 60 }, BOB).rows.length, 60)
    assert.equal(query(t.store, { table: 'big', limit: 100, columns: ['n'] }, BOB).rows.length, 72)
  })

  it('read author scopes queries, counts and paging to the caller\'s rows', () => {
    for (let i = 0; i < 25; i++) insert(t.store, 'mine', { v: i }, i % 2 === 0 ? ALICE : BOB)
    const alice = query(t.store, { table: 'mine', limit: 1000 }, ALICE).rows
    assert.equal(alice.length, 13)
    assert.ok(alice.every(r => r._author === ALICE.peer))
    assert.equal((t.store.execute({ op: 'count', table: 'mine' }, BOB) as DataResults['count']).count, 12)
    assert.equal((t.store.execute({ op: 'count', table: 'mine', where: { column: '_author', op: 'eq', value: ALICE.peer } }, BOB) as DataResults['count']).count, 0, 'a filter cannot widen the scope')
    const seen: number[] = []
    let cursor: string | undefined
    do {
      const res = query(t.store, { table: 'mine', limit: 4, order: [{ column: 'v', dir: 'desc' }], ...(cursor !== undefined ? { cursor } : {}) }, BOB)
      seen.push(...res.rows.map(r => r.v as number))
      cursor = res.cursor
    } while (cursor !== undefined)
    assert.deepEqual(seen, [23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1])
    assert.equal(query(t.store, { table: 'mine', limit: 1000 }, OWNER).rows.length, 25)
  })
})
