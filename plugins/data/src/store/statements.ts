import type Database from 'better-sqlite3'

/**
 * Prepared statements by SQL text, least recently used dropped first. Preparing costs more than
 * running a small indexed query, and a site asks the same few queries again and again. Cleared on
 * every schema change (a statement may name a column that no longer exists).
 */
export class StatementCache {
  private readonly map = new Map<string, Database.Statement>()
  constructor (private readonly db: Database.Database, private readonly max = 256) {}

  /**
   * `mode` is part of the key: better-sqlite3's pluck()/raw() change a statement for good, so one
   * SQL text used in two modes is two statements.
   */
  get (sql: string, mode: 'rows' | 'pluck' | 'raw' = 'rows'): Database.Statement {
    const key = `${mode}:${sql}`
    let stmt = this.map.get(key)
    if (stmt !== undefined) {
      this.map.delete(key)
      this.map.set(key, stmt)
      return stmt
    }
    stmt = this.db.prepare(sql)
    if (mode === 'pluck') stmt.pluck()
    else if (mode === 'raw') stmt.raw()
    this.map.set(key, stmt)
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string)
    return stmt
  }

  clear (): void { this.map.clear() }
  get size (): number { return this.map.size }
}
