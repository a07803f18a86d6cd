import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { DataStore } from '../src/store/index.js'
import { fileURLToPath } from 'node:url'
import type { DataResults } from '@goop/sdk'
import { ALICE, OWNER, insert, query, refused, tempStore } from './store-fixtures.js'

describe('data store: opening a database', () => {
  it('sets WAL, synchronous NORMAL, foreign keys and a 5 s busy timeout by default; FULL when asked', () => {
    const t = tempStore()
    try {
      assert.deepEqual(t.store.settings(), { journalMode: 'wal', synchronous: 'normal', foreignKeys: true, busyTimeoutMs: 5000 })
      t.store.close()
      t.store = DataStore.open(t.file, { backupDir: t.backups, synchronous: 'full', busyTimeoutMs: 1234 })
      assert.deepEqual(t.store.settings(), { journalMode: 'wal', synchronous: 'full', foreignKeys: true, busyTimeoutMs: 1234 })
      // WAL is a property of the file: another connection sees it too.
      const other = new Database(t.file, { readonly: true })
      assert.equal(other.pragma('journal_mode', { simple: true }), 'wal')
      other.close()
    } finally { t.cleanup() }
  })

  it('refuses a file that is not a SQLite database, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'goop-data-'))
    try {
      const file = join(dir, 'data.db')
      writeFileSync(file, 'this is a text file, not a database. '.repeat(200))
      const err = refused(() => DataStore.open(file, { backupDir: join(dir, 'b') }), 'bad_database')
      assert.ok(err.message.includes(file), err.message)
      assert.match(err.message, /not a SQLite database/)
      refused(() => DataStore.open(join(dir, 'no', 'such', 'dir', 'data.db'), { backupDir: dir }), 'bad_database', /no[/\\]such/)
    } finally { rmSync(dir, { recursive: true, force: true }) }
  })

  it('creates the system tables by drizzle migrations, idempotently: empty file, old database, reopened database', () => {
    const dir = mkdtempSync(join(tmpdir(), 'goop-data-'))
    try {
      // An empty (0-byte) file and a database with someone else's table in it: both are set up.
      const empty = join(dir, 'empty.db')
      writeFileSync(empty, '')
      const old = join(dir, 'old.db')
      const raw = new Database(old)
      raw.exec('CREATE TABLE legacy (x); INSERT INTO legacy VALUES (42)')
      raw.close()
      for (const file of [empty, old]) {
        for (let i = 0; i < 3; i++) {
          const s = DataStore.open(file, { backupDir: join(dir, 'b') })
          s.close()
        }
        const db = new Database(file, { readonly: true })
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '\\_goop\\_%' ESCAPE '\\' ORDER BY name").pluck().all()
        assert.deepEqual(tables, ['_goop_migrations', '_goop_tables'])
        assert.equal(db.prepare('SELECT COUNT(*) FROM _goop_migrations').pluck().get(), 1, 'each migration runs once')
        if (file === old) assert.equal(db.prepare('SELECT x FROM legacy').pluck().get(), 42, 'other tables are left alone')
        db.close()
      }
    } finally { rmSync(dir, { recursive: true, force: true }) }
  })

  it('keeps tables, schemas and rows across a reopen', () => {
    const t = tempStore()
    try {
      t.store.apply({ tables: { notes: { columns: { title: { type: 'text' }, done: { type: 'boolean' } }, policy: { read: 'open', insert: 'open' } } } }, { source: 'template:blog' })
      insert(t.store, 'notes', { title: 'kept', done: true }, ALICE)
      const s = t.reopen()
      const [info] = s.tables()
      assert.equal(info.name, 'notes')
      assert.equal(info.source, 'template:blog')
      assert.equal(info.rows, 1)
      assert.deepEqual(info.policy, { read: 'open', insert: 'open', update: 'owner', delete: 'owner' })
      const row = (s.execute({ op: 'get', table: 'notes', id: 1 }, OWNER) as { row: Record<string, unknown> }).row
      assert.equal(row.title, 'kept')
      assert.equal(row.done, true)
      assert.equal(row._author, ALICE.peer)
      assert.equal(s.apply({ tables: { notes: { columns: { title: { type: 'text' }, done: { type: 'boolean' } }, policy: { read: 'open', insert: 'open' } } } }, { source: 'template:blog' }).tables[0].action, 'unchanged')
    } finally { t.cleanup() }
  })

  it('every insert acknowledged before a SIGKILL is there after reopening (WAL, synchronous NORMAL)', async () => {
    const t = tempStore()
    try {
      t.store.apply({ tables: { storm: { columns: { n: { type: 'integer' }, s: { type: 'text' } }, policy: { read: 'open', insert: 'open' } } } })
      t.store.close()
      const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=development', fileURLToPath(new URL('store-crash-child.ts', import.meta.url)), t.file, t.backups], { stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      const acked = await new Promise<number[]>((resolve, reject) => {
        child.stdout.setEncoding('utf8')
        child.stdout.on('data', (chunk: string) => {
          out += chunk
          const lines = out.split('\n').filter(l => /^\d+$/.test(l))
          // Kill it in the middle of the storm, once it has acknowledged a good number of inserts.
          if (lines.length >= 300 && child.exitCode === null && !child.killed) child.kill('SIGKILL')
        })
        child.on('error', reject)
        child.on('exit', (_code, signal) => {
          if (signal !== 'SIGKILL') { reject(new Error(`the child ended by itself: ${String(signal)}`)); return }
          // Only complete lines were acknowledged; a partial last line was not.
          const complete = out.slice(0, out.lastIndexOf('\n') + 1)
          resolve(complete.split('\n').filter(l => /^\d+$/.test(l)).map(Number))
        })
      })
      assert.ok(acked.length >= 300)
      const s = t.reopen()
      const have = new Set<number>()
      let cursor: string | undefined
      do {
        const page = query(s, { table: 'storm', limit: 1000, columns: [], ...(cursor !== undefined ? { cursor } : {}) })
        for (const r of page.rows) have.add(r._id)
        cursor = page.cursor
      } while (cursor !== undefined)
      for (const id of acked) assert.ok(have.has(id), `acknowledged insert ${id} survived`)
      assert.equal((s.execute({ op: 'count', table: 'storm' }, OWNER) as DataResults['count']).count, have.size)
      assert.ok(have.size >= acked.length)
    } finally { t.cleanup() }
  })
})
