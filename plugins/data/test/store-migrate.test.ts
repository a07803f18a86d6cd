import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import Database from 'better-sqlite3'
import type { DataSchemaInput } from '@goop/sdk'
import { ALICE, BOB, OWNER, checksum, insert, query, refused, tempStore } from './store-fixtures.js'

function indexes (file: string, table: string): string[] {
  const db = new Database(file, { readonly: true })
  try {
    return db.prepare("SELECT name || CASE WHEN sql LIKE 'CREATE UNIQUE%' THEN ' unique' ELSE '' END FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name").pluck().all(table) as string[]
  } finally { db.close() }
}

const base: DataSchemaInput = {
  tables: {
    posts: {
      columns: { title: { type: 'text', required: true }, views: { type: 'integer' }, tag: { type: 'text' } },
      policy: { read: 'open', insert: 'open' }
    }
  }
}

function withPosts (change: (cols: Record<string, unknown>) => void, policy?: Record<string, string>): DataSchemaInput {
  const s = structuredClone(base) as { tables: { posts: { columns: Record<string, unknown>, policy: Record<string, string> } } }
  change(s.tables.posts.columns)
  if (policy !== undefined) s.tables.posts.policy = policy
  return s as DataSchemaInput
}

describe('data store: applying schemas, migrations, backups', () => {
  it('creates tables with their indexes; re-applying is unchanged; policy and description are metadata only', () => {
    const t = tempStore()
    try {
      const first = t.store.apply({ tables: { ...base.tables, tags: { columns: { name: { type: 'text', unique: true }, n: { type: 'integer', index: true } } } } })
      assert.deepEqual(first.tables.map(x => [x.name, x.action]), [['posts', 'created'], ['tags', 'created']])
      assert.deepEqual(indexes(t.file, 'tags'), ['_goop_ix-tags-_author', '_goop_ix-tags-n', '_goop_ux-tags-name unique'])
      const same = checksum(t.file)
      assert.deepEqual(t.store.apply(base).tables, [{ name: 'posts', action: 'unchanged', changes: [] }])
      assert.equal(checksum(t.file), same, 're-applying the same schema changes nothing')
      insert(t.store, 'posts', { title: 'p' })
      const before = checksum(t.file)
      const meta = t.store.apply(withPosts(() => {}, { read: 'author', insert: 'open', update: 'author' }))
      assert.equal(meta.tables[0].action, 'migrated')
      assert.deepEqual(meta.tables[0].changes, ['policy read: open → author', 'policy update: owner → author'])
      assert.deepEqual(t.store.tables().find(x => x.name === 'posts')?.policy, { read: 'author', insert: 'open', update: 'author', delete: 'owner' })
      // The rows and the table are untouched; only the stored schema changed.
      const db = new Database(t.file, { readonly: true })
      assert.deepEqual(db.prepare('SELECT _id, title FROM posts').all(), [{ _id: 1, title: 'p' }])
      db.close()
      assert.notEqual(checksum(t.file), before)
      assert.equal(query(t.store, { table: 'posts' }, ALICE).rows.length, 0, 'the new policy applies at once: Alice sees only her rows')
      assert.deepEqual(t.store.tables().map(x => x.name), ['posts', 'tags'])
      // Tables a schema leaves out stay.
      t.store.apply({ tables: { other: { columns: {} } } })
      assert.deepEqual(t.store.tables().map(x => x.name), ['other', 'posts', 'tags'])
    } finally { t.cleanup() }
  })

  it('adds columns (existing rows get the default), adds and drops indexes', () => {
    const t = tempStore()
    try {
      t.store.apply(base)
      insert(t.store, 'posts', { title: 'a', views: 1 })
      insert(t.store, 'posts', { title: 'b', views: 2 })
      const r = t.store.apply(withPosts(c => {
        c.score = { type: 'real', default: 0.5, index: true }
        c.note = { type: 'text' }
        c.views = { type: 'integer', index: true }
      }))
      assert.equal(r.tables[0].action, 'migrated')
      assert.deepEqual(r.tables[0].changes, ['column views: index unset → true', 'added column score (real)', 'added column note (text)'])
      assert.deepEqual(query(t.store, { table: 'posts' }).rows.map(x => [x.title, x.score, x.note]), [['a', 0.5, null], ['b', 0.5, null]])
      assert.deepEqual(indexes(t.file, 'posts'), ['_goop_ix-posts-_author', '_goop_ix-posts-score', '_goop_ix-posts-views'])
      assert.equal(insert(t.store, 'posts', { title: 'c' }).score, 0.5)
      // A required column without a default cannot be added to a table with rows.
      const before = checksum(t.file)
      refused(() => t.store.apply(withPosts(c => { c.must = { type: 'text', required: true } })), 'bad_request', /posts\.columns\.must is required but the table's 3 existing rows have no value for it: give it a default/)
      // With a default it can; without the index on views and score, the indexes go.
      assert.equal(checksum(t.file), before)
      t.store.apply(withPosts(c => { c.must = { type: 'text', required: true, default: 'x' }; c.score = { type: 'real', default: 0.5 }; c.note = { type: 'text' } }))
      assert.deepEqual(indexes(t.file, 'posts'), ['_goop_ix-posts-_author'])
      assert.deepEqual(query(t.store, { table: 'posts' }).rows.map(x => x.must), ['x', 'x', 'x'])
      // A new unique over distinct values is just an index.
      t.store.apply(withPosts(c => { c.must = { type: 'text', required: true, default: 'x' }; c.score = { type: 'real', default: 0.5 }; c.note = { type: 'text' }; c.title = { type: 'text', required: true, unique: true } }))
      assert.deepEqual(indexes(t.file, 'posts'), ['_goop_ix-posts-_author', '_goop_ux-posts-title unique'])
      refused(() => insert(t.store, 'posts', { title: 'a' }), 'conflict')
    } finally { t.cleanup() }
  })

  it('refuses destructive changes naming the column and --force; forced, backs up first, rebuilds, and the backup restores', () => {
    const t = tempStore()
    try {
      t.store.apply(base)
      for (const [title, views, tag] of [['a', 1, 'x'], ['b', 2, 'x'], ['c', 3, 'y']] as const) insert(t.store, 'posts', { title, views, tag }, ALICE)
      t.store.execute({ op: 'delete', table: 'posts', id: 3 }, OWNER)
      insert(t.store, 'posts', { title: 'd', views: 4, tag: 'y' }, BOB)
      const before = checksum(t.file)
      const rowsBefore = query(t.store, { table: 'posts' }).rows
      const cases: Array<[DataSchemaInput, RegExp]> = [
        [withPosts(c => { delete c.views }), /table posts: column views would be removed with the values of 3 rows/],
        [withPosts(c => { c.views = { type: 'text' } }), /column views changes type from integer to text: the values of 3 rows would be lost/],
        [withPosts(c => { c.tag = { type: 'text', unique: true } }), /column tag becomes unique but 1 rows repeat a value/]
      ]
      for (const [schema, message] of cases) {
        const err = refused(() => t.store.apply(schema), 'destructive', message)
        assert.equal(err.status, 409)
        assert.match(err.message, /--force/)
        assert.equal(checksum(t.file), before, 'nothing changed')
      }
      assert.equal(existsSync(t.backups), false, 'no backup for a refused change')

      // Removing a column nobody filled is not destructive.
      t.store.apply(withPosts(c => { c.empty = { type: 'text' } }))
      const plain = t.store.apply(base)
      assert.equal(plain.backup, undefined)
      assert.ok(plain.tables[0].changes.includes('removed column empty'))

      // Forced: a backup first, then the table is rebuilt.
      const forced = t.store.apply(withPosts(c => { delete c.views; c.tag = { type: 'text', unique: true }; c.added = { type: 'boolean', default: true } }), { force: true })
      assert.equal(forced.tables[0].action, 'migrated')
      assert.ok(forced.backup !== undefined && existsSync(forced.backup))
      assert.match(basename(forced.backup), /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z-before-apply\.json$/)
      assert.equal(statSync(forced.backup).mode & 0o777, 0o600)
      const rows = query(t.store, { table: 'posts' }).rows
      // Of the repeated tag x the lowest _id stays; system columns are kept as they were.
      assert.deepEqual(rows.map(r => [r._id, r.title, r.tag, r.added, r.views]), [[1, 'a', 'x', true, undefined], [4, 'd', 'y', true, undefined]])
      assert.deepEqual(rows.map(r => [r._author, r._created]), [[rowsBefore[0]._author, rowsBefore[0]._created], [rowsBefore[2]._author, rowsBefore[2]._created]])
      assert.deepEqual(indexes(t.file, 'posts'), ['_goop_ix-posts-_author', '_goop_ux-posts-tag unique'])
      assert.equal(insert(t.store, 'posts', { title: 'e' })._id, 5, 'ids are never reused, even after a rebuild')

      // The backup holds the table as it was: schema and every row.
      const backup = JSON.parse(readFileSync(forced.backup, 'utf8')) as { goop: string, version: number, reason: string, tables: Array<{ name: string, schema: { columns: Record<string, unknown> }, source: string, rows: unknown[] }> }
      assert.equal(backup.goop, 'data-backup')
      assert.equal(backup.version, 1)
      assert.equal(backup.reason, 'before-apply')
      assert.equal(backup.tables[0].name, 'posts')
      assert.deepEqual(Object.keys(backup.tables[0].schema.columns), ['title', 'views', 'tag'])
      assert.deepEqual(backup.tables[0].rows, rowsBefore)

      // Restoring over a table with rows needs force (and backs that table up first).
      refused(() => t.store.restore(forced.backup as string), 'destructive', /posts \(3 rows\).*--force/)
      const restored = t.store.restore(forced.backup, { force: true })
      assert.deepEqual(restored, { tables: ['posts'], rows: 3 })
      assert.deepEqual(query(t.store, { table: 'posts' }).rows, rowsBefore)
      assert.deepEqual(Object.keys(t.store.schema().tables.posts.columns), ['title', 'views', 'tag'])
      assert.equal(readdirSync(t.backups).filter(f => f.includes('before-restore')).length, 1)
      assert.equal(insert(t.store, 'posts', { title: 'f' })._id, 5, 'the id counter came back with the backup')

      // A forced type change: the column's old values go (they are in the backup), rows get its default.
      const typed = t.store.apply(withPosts(c => { c.views = { type: 'text', default: 'n/a' } }), { force: true })
      assert.ok(typed.backup !== undefined)
      assert.ok(typed.tables[0].changes.includes('column views: type integer → text (the values of 3 rows are dropped)'))
      assert.deepEqual(query(t.store, { table: 'posts' }).rows.map(r => [r._id, r.views]), [[1, 'n/a'], [2, 'n/a'], [4, 'n/a'], [5, 'n/a']])
    } finally { t.cleanup() }
  })

  it('apply is all or nothing: a later table that fails leaves earlier ones unmade', () => {
    const t = tempStore()
    try {
      t.store.apply(base)
      insert(t.store, 'posts', { title: 'a' })
      const before = checksum(t.file)
      refused(() => t.store.apply({ tables: { aaa: { columns: { x: { type: 'text' } } }, posts: { columns: { title: { type: 'text' }, must: { type: 'integer', required: true } } } } }), 'bad_request', /give it a default/)
      assert.equal(checksum(t.file), before)
      refused(() => t.store.apply({ tables: { aaa: { columns: { x: { type: 'text' } } }, posts: { columns: {} } } }), 'destructive')
      assert.equal(checksum(t.file), before)
      assert.deepEqual(t.store.tables().map(x => x.name), ['posts'])
      // A table someone made behind the engine's back is not taken over.
      const db = new Database(t.file)
      db.exec('CREATE TABLE stray (x)')
      db.close()
      refused(() => t.store.apply({ tables: { stray: { columns: {} } } }), 'conflict', /stray/)
    } finally { t.cleanup() }
  })

  it('drop backs up, then drops; restore brings the table back with its rows, ids, authors and times', () => {
    const t = tempStore()
    try {
      t.store.apply({ tables: { ...base.tables, keep: { columns: { v: { type: 'json' }, b: { type: 'boolean' }, at: { type: 'datetime' } }, policy: { read: 'author', insert: 'open' } } } }, { source: 'template:quiz' })
      for (let i = 0; i < 5; i++) insert(t.store, 'keep', { v: { i, list: [i, 'x'] }, b: i % 2 === 0, at: '2025-05-05T05:05:05Z' }, i % 2 === 0 ? ALICE : BOB)
      t.store.execute({ op: 'delete', table: 'keep', id: 5 }, OWNER)
      const rows = query(t.store, { table: 'keep' }).rows
      const { backup } = t.store.drop(['keep'])
      assert.match(basename(backup), /-drop\.json$/)
      assert.deepEqual(t.store.tables().map(x => x.name), ['posts'])
      refused(() => query(t.store, { table: 'keep' }), 'unknown_table')
      refused(() => t.store.drop(['nope']), 'unknown_table')
      const r = t.store.restore(backup)
      assert.deepEqual(r, { tables: ['keep'], rows: 4 })
      assert.deepEqual(query(t.store, { table: 'keep' }).rows, rows)
      assert.equal(query(t.store, { table: 'keep' }, ALICE).rows.length, 2, 'the policy came back too')
      assert.equal(t.store.tables().find(x => x.name === 'keep')?.source, 'template:quiz')
      assert.equal(insert(t.store, 'keep', {})._id, 6, 'the id of the deleted row is not reused')
      // Restoring onto an empty table needs no force.
      t.store.execute({ op: 'delete', table: 'keep', id: 6 }, OWNER)
      for (const row of rows) t.store.execute({ op: 'delete', table: 'keep', id: row._id }, OWNER)
      assert.deepEqual(t.store.restore(backup), { tables: ['keep'], rows: 4 })
    } finally { t.cleanup() }
  })

  it('refuses a file that is not a backup, or a backup with bad rows, changing nothing', () => {
    const t = tempStore()
    try {
      t.store.apply(base)
      const before = checksum(t.file)
      const file = join(t.dir, 'x.json')
      const write = (v: unknown): string => { writeFileSync(file, JSON.stringify(v)); return file }
      const good = { goop: 'data-backup', version: 1, reason: 'r', created: '2025-01-01T00:00:00.000Z', tables: [{ name: 'zz', schema: { columns: { n: { type: 'integer' } } }, source: 'owner', rows: [{ _id: 1, _author: 'p', _created: '2025-01-01T00:00:00.000Z', _updated: '2025-01-01T00:00:00.000Z', n: 1 }] }] }
      writeFileSync(file, 'not json')
      refused(() => t.store.restore(file), 'bad_backup', /not JSON/)
      refused(() => t.store.restore(write({ ...good, goop: 'other' })), 'bad_backup', /not a goop data backup/)
      refused(() => t.store.restore(write({ ...good, tables: [{ ...good.tables[0], name: '_goop_tables' }] })), 'bad_backup', /not a table name/)
      refused(() => t.store.restore(write({ ...good, tables: [{ ...good.tables[0], rows: [{ ...good.tables[0].rows[0], n: 'one' }] }] })), 'bad_backup', /row 0: zz\.n must be an integer/)
      refused(() => t.store.restore(write({ ...good, tables: [{ ...good.tables[0], rows: [{ ...good.tables[0].rows[0], evil: 1 }] }] })), 'bad_backup', /unknown column "evil"/)
      refused(() => t.store.restore(write({ ...good, tables: [good.tables[0], { ...good.tables[0], name: 'yy', rows: [{ _id: 0 }] }] })), 'bad_backup', /_id must be a positive integer/)
      refused(() => t.store.restore(join(t.dir, 'missing.json')), 'bad_backup', /cannot read/)
      assert.equal(checksum(t.file), before)
      assert.deepEqual(t.store.restore(write(good)), { tables: ['zz'], rows: 1 })
    } finally { t.cleanup() }
  })
})
