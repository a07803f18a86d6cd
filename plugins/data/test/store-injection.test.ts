import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isGoopError, type DataResults } from '@goop/sdk'
import { ALICE, BOB, OWNER, checksum, insert, query, refused, tempStore, type Temp } from './store-fixtures.js'

/**
 * Hostile requests: SQL text in every field of every operation, JSON of the wrong kind, oversize
 * values, huge and deep filters and values. Each gets a clear GoopError, and the database (every
 * table, system tables included, and every object's SQL) is exactly as it was.
 */

const SQL = [
  'notes; DROP TABLE notes; --',
  'notes" WHERE 1=1; --',
  "notes' OR '1'='1",
  'title) VALUES (1); DELETE FROM notes; --',
  '1; UPDATE _goop_tables SET source = \'pwned\'',
  '(SELECT name FROM sqlite_master)',
  '*',
  'rowid',
  'notes.title',
  '"title"',
  'TITLE',
  'title ',
  '_goop_tables',
  '_goop_migrations',
  'sqlite_master',
  'sqlite_sequence',
  '__drizzle_migrations',
  'title --',
  'title\u0000',
  ''
]

const CODES = new Set(['bad_request', 'unknown_table', 'unknown_column', 'bad_value', 'forbidden', 'not_found', 'too_large'])

describe('data store: hostile requests', () => {
  let t: Temp
  let sum: string
  before(() => {
    t = tempStore()
    t.store.apply({
      tables: {
        notes: {
          columns: { title: { type: 'text', index: true }, n: { type: 'integer' }, meta: { type: 'json' }, ok: { type: 'boolean' } },
          policy: { read: 'open', insert: 'open', update: 'open', delete: 'open' }
        },
        secret: { columns: { v: { type: 'text' } } }
      }
    })
    for (let i = 0; i < 5; i++) insert(t.store, 'notes', { title: `t${i}`, n: i, meta: { i }, ok: i % 2 === 0 }, ALICE)
    insert(t.store, 'secret', { v: 'the owner\'s secret' })
    sum = checksum(t.file)
  })
  after(() => { t.cleanup() })

  /** The request fails with a clear GoopError, for the owner and for a visitor, and nothing changed. */
  function rejected (req: unknown, label: string): void {
    for (const caller of [OWNER, BOB]) {
      let err: unknown
      try { t.store.execute(req, caller) } catch (e) { err = e }
      assert.ok(isGoopError(err), `${label}: expected a GoopError, got ${err === undefined ? 'success' : String(err)}`)
      assert.ok(CODES.has(err.code), `${label}: code ${err.code}`)
      assert.ok(err.message.length > 10 && err.message.length < 800, `${label}: a readable message: ${err.message}`)
      assert.doesNotMatch(err.message, /SQLITE_[A-Z]|syntax error|no such (table|column)|near "/, `${label}: no SQLite error leaks: ${err.message}`)
    }
    assert.equal(checksum(t.file), sum, `${label}: the database is unchanged`)
  }

  it('SQL text as a table name, in every operation', () => {
    for (const s of SQL) {
      for (const req of [
        { op: 'query', table: s }, { op: 'get', table: s, id: 1 }, { op: 'count', table: s },
        { op: 'insert', table: s, values: { title: 'x' } }, { op: 'update', table: s, id: 1, values: { title: 'x' } }, { op: 'delete', table: s, id: 1 }
      ]) rejected(req, `table ${JSON.stringify(s)} in ${req.op}`)
    }
  })

  it('system tables do not exist for callers, owner included, with the same message as a missing table', () => {
    const missing = refused(() => t.store.execute({ op: 'query', table: 'nosuchtable' }, OWNER), 'unknown_table')
    for (const name of ['_goop_tables', '_goop_migrations', 'sqlite_master', 'sqlite_sequence', 'sqlite_schema']) {
      const err = refused(() => t.store.execute({ op: 'query', table: name }, OWNER), 'unknown_table')
      assert.equal(err.message.replace(name, 'X'), missing.message.replace('nosuchtable', 'X'))
    }
    const names = (t.store.execute({ op: 'describe' }, OWNER) as DataResults['describe']).tables.map(d => d.name)
    assert.deepEqual(names, ['notes', 'secret'])
    assert.deepEqual((t.store.execute({ op: 'describe' }, BOB) as DataResults['describe']).tables.map(d => d.name), ['notes'])
  })

  it('SQL text as a column: filter column, order column, columns, values keys', () => {
    for (const s of SQL) {
      rejected({ op: 'query', table: 'notes', where: { column: s, op: 'eq', value: 1 } }, `where column ${s}`)
      rejected({ op: 'count', table: 'notes', where: { or: [{ column: 'n', op: 'eq', value: 1 }, { column: s, op: 'eq', value: 1 }] } }, `nested where column ${s}`)
      rejected({ op: 'query', table: 'notes', order: [{ column: s, dir: 'asc' }] }, `order column ${s}`)
      rejected({ op: 'query', table: 'notes', columns: ['title', s] }, `columns ${s}`)
      rejected({ op: 'insert', table: 'notes', values: { title: 'x', [s]: 1 } }, `insert key ${s}`)
      rejected({ op: 'update', table: 'notes', id: 1, values: { [s]: 1 } }, `update key ${s}`)
    }
  })

  it('SQL text as an operator, a direction, a limit, an id, a cursor, an op', () => {
    for (const s of SQL) {
      rejected({ op: 'query', table: 'notes', where: { column: 'n', op: s, value: 1 } }, `op ${s}`)
      rejected({ op: 'query', table: 'notes', order: [{ column: 'n', dir: s }] }, `dir ${s}`)
      rejected({ op: 'query', table: 'notes', limit: s }, `limit ${s}`)
      rejected({ op: 'get', table: 'notes', id: s }, `id ${s}`)
      rejected({ op: 'delete', table: 'notes', id: s }, `delete id ${s}`)
      rejected({ op: 'query', table: 'notes', cursor: s === '' ? 'x' : s }, `cursor ${s}`)
      rejected({ op: s, table: 'notes' }, `op name ${s}`)
    }
    rejected({ op: 'query', table: 'notes', where: { column: 'n', op: 'eq', value: 1, raw: '1=1' } }, 'an extra field in a condition')
    rejected({ op: 'query', table: 'notes', sql: 'SELECT * FROM secret' }, 'an extra sql field')
    rejected({ op: 'query', table: 'notes', where: { column: 'n', op: 'eq', value: 1, and: [] } }, 'a condition that is also a group')
  })

  it('SQL text as a value is only ever data: it matches nothing in a filter, is refused where it is the wrong type, and is stored verbatim as text', () => {
    for (const s of SQL) {
      const res = query(t.store, { table: 'notes', where: { column: 'title', op: 'eq', value: s } }, BOB)
      assert.deepEqual(res.rows, [])
      assert.equal(query(t.store, { table: 'notes', where: { column: 'title', op: 'in', value: [s, 'nope'] } }, BOB).rows.length, 0)
      assert.equal(query(t.store, { table: 'notes', where: { column: 'title', op: 'like', value: s } }, BOB).rows.length, s === '*' || s === '' ? 0 : 0)
      rejected({ op: 'query', table: 'notes', where: { column: 'n', op: 'eq', value: s } }, `integer value ${s}`)
      rejected({ op: 'query', table: 'notes', where: { column: 'ok', op: 'in', value: [true, s] } }, `boolean in value ${s}`)
      rejected({ op: 'insert', table: 'notes', values: { title: 'x', n: s } }, `insert integer ${s}`)
      rejected({ op: 'update', table: 'notes', id: 1, values: { ok: s } }, `update boolean ${s}`)
    }
    assert.equal(checksum(t.file), sum)
    // Stored as text, exactly, and nothing else changed: the other table and the system tables are intact.
    const secretBefore = query(t.store, { table: 'secret' }).rows
    for (const s of SQL) {
      const row = insert(t.store, 'notes', { title: s }, BOB)
      assert.equal((t.store.execute({ op: 'get', table: 'notes', id: row._id }, BOB) as DataResults['get']).row?.title, s)
    }
    assert.deepEqual(query(t.store, { table: 'secret' }).rows, secretBefore)
    assert.deepEqual(t.store.tables().map(x => [x.name, x.source]), [['notes', 'owner'], ['secret', 'owner']])
    for (const s of SQL) {
      const r = query(t.store, { table: 'notes', where: { column: 'title', op: 'eq', value: s } }, BOB).rows
      t.store.execute({ op: 'delete', table: 'notes', id: r[0]._id }, BOB)
    }
    sum = checksum(t.file)
  })

  it('JSON of the wrong kind where a number, a string, a list or an object belongs', () => {
    const wrong: unknown[] = ['1', true, null, [1], { n: 1 }, 1.5, -1, 0, Number.MAX_SAFE_INTEGER + 2]
    for (const w of wrong) {
      rejected({ op: 'get', table: 'notes', id: w }, `id ${JSON.stringify(w)}`)
      rejected({ op: 'query', table: 'notes', limit: w }, `limit ${JSON.stringify(w)}`)
    }
    for (const w of [1, true, null, [], {}, ['notes']]) rejected({ op: 'query', table: w }, `table ${JSON.stringify(w)}`)
    for (const w of ['title', 1, null, { title: 'x' }]) rejected({ op: 'query', table: 'notes', columns: w }, `columns ${JSON.stringify(w)}`)
    for (const w of ['n', 1, null, [['n']], { column: 'n' }]) rejected({ op: 'query', table: 'notes', order: w }, `order ${JSON.stringify(w)}`)
    for (const w of ['title = 1', 1, null, true]) rejected({ op: 'query', table: 'notes', where: w }, `where ${JSON.stringify(w)}`)
    for (const w of ['title', [1], null, 1]) rejected({ op: 'insert', table: 'notes', values: w }, `values ${JSON.stringify(w)}`)
    for (const w of [null, 'query', [], 1, []]) rejected(w, `request ${JSON.stringify(w)}`)
    rejected({ op: 'query', table: 'notes', where: { column: 'n', op: 'eq', value: { $ne: 1 } } }, 'an object as a filter value')
    rejected({ op: 'query', table: 'notes', where: { column: 'n', op: 'in', value: [[1]] } }, 'a list in an in list')
  })

  it('oversize: long names, values, lists, patterns, cursors, too many columns or order terms', () => {
    const long = 'a'.repeat(10_000)
    rejected({ op: 'query', table: long }, 'a 10,000-character table name')
    rejected({ op: 'query', table: 'notes', where: { column: long, op: 'eq', value: 1 } }, 'a 10,000-character column')
    rejected({ op: 'insert', table: 'notes', values: { title: 'x'.repeat(70_000) } }, 'a 70,000-character text')
    rejected({ op: 'insert', table: 'notes', values: { meta: { s: 'x'.repeat(70_000) } } }, 'a 70 KB json value')
    rejected({ op: 'query', table: 'notes', where: { column: 'n', op: 'in', value: Array.from({ length: 1001 }, (_, i) => i) } }, '1,001 in values')
    rejected({ op: 'query', table: 'notes', where: { column: 'title', op: 'like', value: '%'.repeat(300) } }, 'a 300-character like')
    rejected({ op: 'query', table: 'notes', cursor: 'A'.repeat(5000) }, 'a 5,000-character cursor')
    rejected({ op: 'query', table: 'notes', columns: Array.from({ length: 65 }, () => 'title') }, '65 columns')
    rejected({ op: 'query', table: 'notes', order: Array.from({ length: 5 }, () => ({ column: 'n' })) }, '5 order terms')
    rejected({ op: 'query', table: 'notes', limit: 1_000_000 }, 'a limit of a million')
    // The largest allowed in list works.
    assert.equal(query(t.store, { table: 'notes', where: { column: 'n', op: 'in', value: Array.from({ length: 1000 }, (_, i) => i) } }).rows.length, 5)
  })

  it('a 10,000-term filter and 10,000-deep nesting are refused at once, without a stack overflow', () => {
    const cond = { column: 'n', op: 'eq', value: 1 }
    const started = performance.now()
    rejected({ op: 'query', table: 'notes', where: { and: Array.from({ length: 10_000 }, () => cond) } }, '10,000 terms in one and')
    rejected({ op: 'count', table: 'notes', where: { or: Array.from({ length: 100 }, () => ({ and: Array.from({ length: 100 }, () => cond) })) } }, '10,000 terms in 100 groups')
    let deep: unknown = cond
    for (let i = 0; i < 10_000; i++) deep = { [i % 2 === 0 ? 'and' : 'or']: [deep] }
    rejected({ op: 'query', table: 'notes', where: deep }, '10,000-deep filter')
    let deepValue: unknown = 1
    for (let i = 0; i < 10_000; i++) deepValue = [deepValue]
    rejected({ op: 'insert', table: 'notes', values: { meta: deepValue } }, '10,000-deep json value')
    let deepObject: unknown = {}
    for (let i = 0; i < 10_000; i++) deepObject = { x: deepObject }
    rejected({ op: 'update', table: 'notes', id: 1, values: { meta: deepObject } }, '10,000-deep json object')
    rejected({ op: 'query', table: 'notes', extra: deepObject }, '10,000-deep unknown field')
    rejected({ op: 'query', table: 'notes', order: deepValue }, '10,000-deep order')
    rejected({ op: 'query', table: 'notes', where: { column: 'n', op: 'in', value: deepValue } }, '10,000-deep in list')
    assert.ok(performance.now() - started < 2000, `refused quickly (${Math.round(performance.now() - started)} ms)`)
    const err = refused(() => t.store.execute({ op: 'query', table: 'notes', where: { and: Array.from({ length: 10_000 }, () => cond) } }, BOB), 'too_large')
    assert.match(err.message, /at most 64/)
    refused(() => t.store.execute({ op: 'query', table: 'notes', where: deep }, BOB), 'bad_request', /nest at most 4 levels/)
    // The limits themselves are usable: 64 terms, 4 levels.
    assert.equal(query(t.store, { table: 'notes', where: { or: Array.from({ length: 64 }, (_, i) => ({ column: 'n', op: 'eq', value: i })) } }).rows.length, 5)
    let four: unknown = cond
    for (let i = 0; i < 4; i++) four = { and: [four] }
    assert.equal(query(t.store, { table: 'notes', where: four }).rows.length, 1)
    let five: unknown = four
    five = { or: [five] }
    refused(() => query(t.store, { table: 'notes', where: five }), 'bad_request', /nest at most 4/)
    // A json value nested 64 deep is fine; 65 is not.
    let ok: unknown = 1
    for (let i = 0; i < 62; i++) ok = [ok]
    assert.ok(insert(t.store, 'notes', { meta: ok })._id > 0)
    sum = checksum(t.file)
    rejected({ op: 'insert', table: 'notes', values: { meta: [[ok]] } }, 'a json value one level too deep')
  })

  it('names that are SQL keywords work as plain names (every identifier is quoted)', () => {
    t.store.apply({ tables: { order: { columns: { select: { type: 'text', index: true }, from: { type: 'integer', unique: true }, where: { type: 'boolean' }, rowid: { type: 'text' } }, policy: { read: 'open', insert: 'open', update: 'open', delete: 'open' } } } })
    const row = insert(t.store, 'order', { select: 'a', from: 1, where: true, rowid: 'not the rowid' }, BOB)
    insert(t.store, 'order', { select: 'b', from: 2, where: false }, BOB)
    const res = query(t.store, { table: 'order', where: { and: [{ column: 'select', op: 'like', value: '%' }, { column: 'where', op: 'eq', value: true }] }, order: [{ column: 'from', dir: 'desc' }], columns: ['select', 'rowid'] }, BOB)
    assert.deepEqual(res.rows.map(r => [r._id, r.select, r.rowid]), [[row._id, 'a', 'not the rowid']])
    t.store.execute({ op: 'update', table: 'order', id: row._id, values: { from: 3 } }, BOB)
    refused(() => t.store.execute({ op: 'update', table: 'order', id: row._id, values: { from: 2 } }, BOB), 'conflict', /from is unique/)
    assert.deepEqual(t.store.execute({ op: 'delete', table: 'order', id: row._id }, BOB), { deleted: 1 })
    sum = checksum(t.file)
  })

  it('a schema cannot smuggle SQL either: names are checked, options are checked', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ tables: { 'x; DROP TABLE notes': { columns: {} } } }, /tables/],
      [{ tables: { _goop_tables: { columns: {} } } }, /system/],
      [{ tables: { sqlite_master: { columns: {} } } }, /reserved/],
      [{ tables: { ok: { columns: { 'a" TEXT); DROP TABLE notes; --': { type: 'text' } } } } }, /columns/],
      [{ tables: { ok: { columns: { _id: { type: 'integer' } } } } }, /system/],
      [{ tables: { ok: { columns: { a: { type: 'text); DROP TABLE notes; --' } } } } }, /type/],
      [{ tables: { ok: { columns: { a: { type: 'integer', default: '1; DROP TABLE notes' } } } } }, /default must be an integer/],
      [{ tables: { ok: { columns: { a: { type: 'text', min: 1 } } } } }, /min and max are for integer and real/],
      [{ tables: { ok: { columns: { a: { type: 'boolean', enum: [1] } } } } }, /enum is for text/],
      [{ tables: { ok: { columns: { a: { type: 'json', index: true } } } } }, /cannot be indexed/],
      [{ tables: { ok: { columns: { a: { type: 'text', maxLength: 100_000 } } } } }, /maxLength is at most 65536/],
      [{ tables: { ok: { columns: {}, policy: {}, sql: 'DROP TABLE notes' } } }, /unknown field "sql"/],
      [{ tables: { ok: { columns: {}, policy: { read: 'everyone' } } } }, /policy\.read/]
    ]
    for (const [schema, message] of bad) refused(() => t.store.apply(schema), 'bad_request', message)
    let deep: unknown = 1
    for (let i = 0; i < 10_000; i++) deep = [deep]
    refused(() => t.store.apply({ tables: { ok: { columns: { a: { type: 'json', default: deep } } } } }), 'bad_request', /nested more than/)
    assert.equal(checksum(t.file), sum)
  })
})
