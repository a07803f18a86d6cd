import Database from 'better-sqlite3'
import { fail, q } from './errors.js'

/** What `goop.kv` holds, per template. */
export const KV_LIMITS = Object.freeze({
  keyChars: 256,
  /** One value, serialised as JSON (bytes). */
  valueBytes: 64 * 1024,
  keys: 10_000,
  /** Keys one `list` returns at most (ask with a longer prefix for the rest). */
  list: 1_000
})

/**
 * The small key-value state of template logic (`goop.kv`), one SQLite file for the plugin
 * (`<peer>/state/templates/kv.db`), rows keyed by (template, key). Kept apart from data.db on
 * purpose: it is the logic's private state, never reachable through the data API or its policies, and
 * it goes with the template (removed when the template is switched or removed).
 */
export class KvStore {
  private readonly db: Database.Database
  private readonly stmts

  constructor (file: string) {
    this.db = new Database(file, { timeout: 5000 })
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = NORMAL')
    this.db.exec('CREATE TABLE IF NOT EXISTS kv (template TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (template, key)) WITHOUT ROWID')
    this.stmts = {
      get: this.db.prepare<[string, string], { value: string }>('SELECT value FROM kv WHERE template = ? AND key = ?'),
      has: this.db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM kv WHERE template = ? AND key = ?'),
      count: this.db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM kv WHERE template = ?'),
      put: this.db.prepare<[string, string, string]>('INSERT INTO kv (template, key, value) VALUES (?, ?, ?) ON CONFLICT (template, key) DO UPDATE SET value = excluded.value'),
      del: this.db.prepare<[string, string]>('DELETE FROM kv WHERE template = ? AND key = ?'),
      // A prefix compared as text, with no LIKE: no character of a key is a wildcard. The range start
      // lets SQLite seek on the primary key; a template has at most 10,000 keys to look past.
      list: this.db.prepare<[string, string, number, string, number], { key: string }>('SELECT key FROM kv WHERE template = ? AND key >= ? AND substr(key, 1, ?) = ? ORDER BY key LIMIT ?'),
      listAll: this.db.prepare<[string, number], { key: string }>('SELECT key FROM kv WHERE template = ? ORDER BY key LIMIT ?'),
      drop: this.db.prepare<[string]>('DELETE FROM kv WHERE template = ?')
    }
  }

  private static key (key: unknown): string {
    if (typeof key !== 'string' || key === '') fail('bad_request', `a kv key is a non-empty string, not ${q(key)}`)
    if (key.length > KV_LIMITS.keyChars) fail('bad_request', `a kv key is at most ${KV_LIMITS.keyChars} characters`)
    // A lone surrogate would be stored as U+FFFD and come back as another key.
    if (/\p{Cs}/u.test(key)) fail('bad_request', 'a kv key must be well-formed Unicode text')
    return key
  }

  get (template: string, key: unknown): unknown {
    const row = this.stmts.get.get(template, KvStore.key(key))
    return row == null ? null : JSON.parse(row.value) as unknown
  }

  /** Store a JSON value (`null` deletes the key, so "absent" and "null" read the same). */
  set (template: string, key: unknown, value: unknown): void {
    const k = KvStore.key(key)
    if (value === null || value === undefined) { this.stmts.del.run(template, k); return }
    let text: string | undefined
    try { text = JSON.stringify(value) } catch { fail('bad_request', `the value of kv key ${q(k)} is not JSON`) }
    if (text === undefined) fail('bad_request', `the value of kv key ${q(k)} is not JSON`)
    if (text.length > KV_LIMITS.valueBytes || Buffer.byteLength(text) > KV_LIMITS.valueBytes) fail('too_large', `a kv value is at most ${KV_LIMITS.valueBytes} bytes of JSON`)
    const write = this.db.transaction(() => {
      if (this.stmts.has.get(template, k) == null && (this.stmts.count.get(template)?.n ?? 0) >= KV_LIMITS.keys) {
        fail('too_large', `a template keeps at most ${KV_LIMITS.keys} kv keys (delete some first)`)
      }
      this.stmts.put.run(template, k, text)
    })
    write.immediate()
  }

  delete (template: string, key: unknown): boolean {
    return this.stmts.del.run(template, KvStore.key(key)).changes > 0
  }

  /** Keys that start with `prefix`, in order, at most KV_LIMITS.list. */
  list (template: string, prefix: unknown = ''): string[] {
    if (typeof prefix !== 'string' || prefix.length > KV_LIMITS.keyChars) fail('bad_request', `a kv prefix is a string of at most ${KV_LIMITS.keyChars} characters`)
    if (prefix === '') return this.stmts.listAll.all(template, KV_LIMITS.list).map(r => r.key)
    // substr counts characters (code points), not UTF-16 units.
    return this.stmts.list.all(template, prefix, [...prefix].length, prefix, KV_LIMITS.list).map(r => r.key)
  }

  count (template: string): number {
    return this.stmts.count.get(template)?.n ?? 0
  }

  /** Forget all of a template's state (it was switched or removed). */
  drop (template: string): number {
    return this.stmts.drop.run(template).changes
  }

  close (): void {
    this.db.close()
  }
}
