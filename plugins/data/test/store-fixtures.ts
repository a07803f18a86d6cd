import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { isGoopError, type DataResults } from '@goop/sdk'
import { DataStore, type Caller } from '../src/store/index.js'

/** Helpers shared by the store tests: real SQLite files in a temporary folder. */

export const OWNER: Caller = { peer: '12D3KooWOwner', owner: true }
export const ALICE: Caller = { peer: '12D3KooWAlice', owner: false }
export const BOB: Caller = { peer: '12D3KooWBob', owner: false }

export interface Temp { dir: string, file: string, backups: string, store: DataStore, reopen: () => DataStore, cleanup: () => void }

export function tempStore (opts: { synchronous?: 'normal' | 'full' } = {}): Temp {
  const dir = mkdtempSync(join(tmpdir(), 'goop-data-'))
  const file = join(dir, 'data.db')
  const backups = join(dir, 'backups')
  const t: Temp = {
    dir, file, backups,
    store: DataStore.open(file, { backupDir: backups, ...opts }),
    reopen: () => {
      t.store.close()
      t.store = DataStore.open(file, { backupDir: backups, ...opts })
      return t.store
    },
    cleanup: () => {
      t.store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return t
}

/**
 * A digest of everything in the database, read through a separate connection: every object in
 * sqlite_master (tables, indexes, their SQL) and every row of every table, system tables and
 * sqlite_sequence included. Equal digests: nothing changed.
 */
export function checksum (file: string): string {
  const db = new Database(file, { readonly: true })
  try {
    const hash = createHash('sha256')
    const objects = db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').all() as Array<{ type: string, name: string }>
    hash.update(JSON.stringify(objects))
    for (const o of objects) {
      if (o.type !== 'table') continue
      const rows = db.prepare(`SELECT * FROM "${o.name.replaceAll('"', '""')}" ORDER BY rowid`).raw().all()
      hash.update(`${o.name}\n${JSON.stringify(rows)}\n`)
    }
    return hash.digest('hex')
  } finally {
    db.close()
  }
}

/** Assert that fn throws a GoopError with this code (and a message matching `message`, if given); returns it. */
export function refused (fn: () => unknown, code: string, message?: RegExp): Error & { code: string, status: number } {
  try {
    fn()
  } catch (err) {
    assert.ok(isGoopError(err), `expected a GoopError ${code}, got ${String(err)}`)
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`)
    if (message !== undefined) assert.match(err.message, message)
    return err
  }
  assert.fail(`expected a GoopError ${code}, but it succeeded`)
}

/** Typed shortcuts. */
export function query (store: DataStore, req: Record<string, unknown>, caller: Caller = OWNER): DataResults['query'] {
  return store.execute({ op: 'query', ...req }, caller) as DataResults['query']
}
export function insert (store: DataStore, table: string, values: Record<string, unknown>, caller: Caller = OWNER): DataResults['insert']['row'] {
  return (store.execute({ op: 'insert', table, values }, caller) as DataResults['insert']).row
}

/** A small deterministic PRNG (mulberry32), so random data is the same on every run. */
export function rng (seed: number): () => number {
  let a = seed
  return () => {
    a |= 0; a = a + 0x6D2B79F5 | 0
    let t = Math.imul(a ^ a >>> 15, 1 | a)
    t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t
    return ((t ^ t >>> 14) >>> 0) / 4294967296
  }
}
