import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DATA_LIMITS, type DataChanged, type DataResults } from '@goop/sdk'
import { ALICE, BOB, OWNER, checksum, insert, query, refused, tempStore, type Temp } from './store-fixtures.js'

const schema = {
  tables: {
    things: {
      columns: {
        title: { type: 'text', required: true, maxLength: 20 },
        body: { type: 'text' },
        n: { type: 'integer', min: 0, max: 100 },
        r: { type: 'real' },
        flag: { type: 'boolean', default: false },
        at: { type: 'datetime' },
        meta: { type: 'json', maxLength: 1000 },
        color: { type: 'text', enum: ['red', 'green'] },
        size: { type: 'integer', enum: [1, 2, 3] },
        slug: { type: 'text', unique: true }
      },
      policy: { read: 'open', insert: 'open', update: 'open', delete: 'open' }
    }
  }
}

describe('data store: values', () => {
  let t: Temp
  before(() => { t = tempStore(); t.store.apply(schema) })
  after(() => { t.cleanup() })

  it('stores and returns each type: booleans as true/false, json parsed, datetimes normalised to UTC ISO with ms', () => {
    const row = insert(t.store, 'things', { title: 'a', n: 5, r: 1.5, flag: true, at: '2025-03-04T05:06:07+02:00', meta: { deep: [1, { x: null }] } }, ALICE)
    assert.equal(row._id, 1)
    assert.equal(row._author, ALICE.peer)
    assert.match(row._created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    assert.equal(row._created, row._updated)
    assert.deepEqual({ ...row, _created: 0, _updated: 0 }, {
      _id: 1, _author: ALICE.peer, _created: 0, _updated: 0,
      title: 'a', body: null, n: 5, r: 1.5, flag: true, at: '2025-03-04T03:06:07.000Z', meta: { deep: [1, { x: null }] }, color: null, size: null, slug: null
    })
    assert.equal(insert(t.store, 'things', { title: 'b' }).flag, false, 'default applied')
    assert.equal(insert(t.store, 'things', { title: 'c', at: '2024-02-29' }).at, '2024-02-29T00:00:00.000Z', 'a plain date is midnight UTC')
    assert.equal(insert(t.store, 'things', { title: 'd', r: 3 }).r, 3)
    const got = t.store.execute({ op: 'get', table: 'things', id: 1 }, BOB) as DataResults['get']
    assert.deepEqual(got.row, row)
  })

  it('refuses values of the wrong type, naming the column and what it takes (JSON where a number belongs)', () => {
    const sum = checksum(t.file)
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ title: 'x', n: '1' }, /things\.n must be an integer, not the string "1"/],
      [{ title: 'x', n: 1.5 }, /things\.n must be a whole number/],
      [{ title: 'x', n: 2 ** 53 }, /things\.n must be a whole number/],
      [{ title: 'x', n: true }, /things\.n must be an integer, not true/],
      [{ title: 'x', n: [1] }, /things\.n must be an integer, not a list/],
      [{ title: 'x', n: { $gt: 1 } }, /things\.n must be an integer, not an object/],
      [{ title: 'x', r: '1.5' }, /things\.r must be a number/],
      [{ title: 'x', flag: 1 }, /things\.flag must be true or false, not 1/],
      [{ title: 'x', flag: 'true' }, /things\.flag must be true or false/],
      [{ title: 12 }, /things\.title must be text/],
      [{ title: 'x', at: 'yesterday' }, /things\.at must be an ISO 8601 date-time/],
      [{ title: 'x', at: '2025-02-30T00:00:00Z' }, /things\.at must be an ISO 8601/],
      [{ title: 'x', at: '2025-01-01T10:00:00' }, /things\.at must be an ISO 8601/], // no time zone: ambiguous
      [{ title: 'x', at: 1735689600000 }, /things\.at must be an ISO 8601/],
      [{ title: 'x', n: -1 }, /things\.n is -1; the smallest value allowed is 0/],
      [{ title: 'x', n: 101 }, /largest value allowed is 100/],
      [{ title: 'x', color: 'blue' }, /things\.color must be one of "red", "green", not "blue"/],
      [{ title: 'x', size: 4 }, /things\.size must be one of 1, 2, 3/],
      [{ title: 'x'.repeat(21) }, /things\.title is 21 characters long; at most 20/],
      [{ title: 'x', body: 'y'.repeat(DATA_LIMITS.textChars + 1) }, new RegExp(`at most ${DATA_LIMITS.textChars} are allowed`)],
      [{ title: 'x', meta: { s: 'z'.repeat(1000) } }, /things\.meta is \d+ bytes as JSON; at most 1000/],
      [{ n: 1 }, /things\.title is required/],
      [{ title: null }, /things\.title is required/]
    ]
    for (const [values, message] of cases) {
      refused(() => t.store.execute({ op: 'insert', table: 'things', values }, ALICE), 'bad_value', message)
    }
    refused(() => t.store.execute({ op: 'update', table: 'things', id: 1, values: { title: null } }, OWNER), 'bad_value', /required; it cannot be set to null/)
    refused(() => t.store.execute({ op: 'update', table: 'things', id: 1, values: { n: '7' } }, OWNER), 'bad_value', /things\.n/)
    assert.equal(checksum(t.file), sum, 'nothing was written')
  })

  it('counts text length in characters, not bytes or UTF-16 units', () => {
    const emoji = '😀'.repeat(20) // 20 characters, 40 UTF-16 units, 80 bytes
    assert.equal(insert(t.store, 'things', { title: emoji }).title, emoji)
    refused(() => insert(t.store, 'things', { title: `${emoji}x` }), 'bad_value', /21 characters/)
  })

  it('minLength refuses shorter text, counted in characters; it is only for text columns', () => {
    t.store.apply({ tables: { people: { columns: { title: { type: 'text' }, nick: { type: 'text', minLength: 2 } }, policy: { read: 'open', insert: 'open' } } } })
    refused(() => insert(t.store, 'people', { title: 'a', nick: '' }), 'bad_value', /people\.nick is 0 characters long; at least 2 are needed/)
    refused(() => insert(t.store, 'people', { title: 'a', nick: 'x' }), 'bad_value', /at least 2/)
    assert.equal(insert(t.store, 'people', { title: 'a', nick: '😀😀' }).nick, '😀😀')
    assert.equal(insert(t.store, 'people', { title: 'a' }).nick, null, 'left out, it is null (minLength is not required)')
    const id = insert(t.store, 'people', { title: 'a', nick: 'ok' })._id
    refused(() => t.store.execute({ op: 'update', table: 'people', id, values: { nick: 'k' } }, OWNER), 'bad_value', /at least 2/)
    refused(() => t.store.apply({ tables: { other: { columns: { n: { type: 'integer', minLength: 1 } } } } }), 'bad_request', /minLength is for text columns/)
    refused(() => t.store.apply({ tables: { other: { columns: { s: { type: 'text', maxLength: 3, minLength: 4 } } } } }), 'bad_request', /minLength \(4\) is larger than the longest value allowed \(3\)/)
  })

  it('takes declared columns only: a system column is bad_value, anything else unknown_column', () => {
    for (const k of ['_id', '_author', '_created', '_updated']) {
      refused(() => t.store.execute({ op: 'insert', table: 'things', values: { title: 'x', [k]: k === '_id' ? 5 : 'forged' } }, ALICE), 'bad_value', new RegExp(`${k} is set by the data plugin`))
      refused(() => t.store.execute({ op: 'update', table: 'things', id: 1, values: { [k]: 'forged' } }, ALICE), 'bad_value', new RegExp(k))
    }
    refused(() => t.store.execute({ op: 'insert', table: 'things', values: { title: 'x', nope: 1 } }, ALICE), 'unknown_column', /table things has no column "nope"; its columns are _id, _author, _created, _updated, title/)
    refused(() => t.store.execute({ op: 'insert', table: 'things', values: { title: 'x', constructor: 1 } }, ALICE), 'unknown_column')
    refused(() => t.store.execute({ op: 'update', table: 'things', id: 1, values: {} }, ALICE), 'bad_request', /values is empty/)
  })

  it('a unique column refuses a repeated value with conflict naming it; null repeats freely', () => {
    insert(t.store, 'things', { title: 'u1', slug: 'hello' })
    refused(() => insert(t.store, 'things', { title: 'u2', slug: 'hello' }, ALICE), 'conflict', /already has a row with slug = "hello"; slug is unique/)
    const other = insert(t.store, 'things', { title: 'u3', slug: 'other' })
    refused(() => t.store.execute({ op: 'update', table: 'things', id: other._id, values: { slug: 'hello' } }, OWNER), 'conflict', /slug/)
    insert(t.store, 'things', { title: 'n1' })
    insert(t.store, 'things', { title: 'n2' })
  })

  it('update changes only the given columns and _updated; delete removes the row', () => {
    const row = insert(t.store, 'things', { title: 'before', n: 1 }, ALICE)
    const upd = (t.store.execute({ op: 'update', table: 'things', id: row._id, values: { title: 'after', flag: true } }, BOB) as DataResults['update']).row
    assert.equal(upd.title, 'after')
    assert.equal(upd.flag, true)
    assert.equal(upd.n, 1)
    assert.equal(upd._author, ALICE.peer, 'the author stays the one who inserted it')
    assert.equal(upd._created, row._created)
    assert.ok(upd._updated >= row._updated)
    assert.deepEqual(t.store.execute({ op: 'delete', table: 'things', id: row._id }, BOB), { deleted: 1 })
    assert.deepEqual(t.store.execute({ op: 'get', table: 'things', id: row._id }, OWNER), { row: null })
  })

  it('onChange reports each committed insert, update and delete, and nothing for a refused one', () => {
    const seen: DataChanged[] = []
    const off = t.store.onChange(c => seen.push(c))
    const row = insert(t.store, 'things', { title: 'ev' }, ALICE)
    t.store.execute({ op: 'update', table: 'things', id: row._id, values: { n: 3 } }, ALICE)
    refused(() => t.store.execute({ op: 'update', table: 'things', id: row._id, values: { n: 300 } }, ALICE), 'bad_value')
    refused(() => insert(t.store, 'things', { title: 'u4', slug: 'hello' }), 'conflict')
    t.store.execute({ op: 'delete', table: 'things', id: row._id }, ALICE)
    off()
    insert(t.store, 'things', { title: 'after unsubscribe' })
    assert.deepEqual(seen, [
      { table: 'things', op: 'insert', _id: row._id },
      { table: 'things', op: 'update', _id: row._id },
      { table: 'things', op: 'delete', _id: row._id }
    ])
    // A listener that throws does not undo or fail the change.
    const off2 = t.store.onChange(() => { throw new Error('listener bug') })
    assert.equal(insert(t.store, 'things', { title: 'still fine' }).title, 'still fine')
    off2()
    assert.ok(query(t.store, { table: 'things', where: { column: 'title', op: 'eq', value: 'still fine' } }).rows.length === 1)
  })
})
