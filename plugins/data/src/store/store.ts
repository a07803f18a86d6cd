import type Database from 'better-sqlite3'
import { eq } from 'drizzle-orm'
import { NAME_PATTERN, type DataChanged, type DataResult, type DataSchemaDef, type TableDef } from '@goop/sdk'
import type { ApplyReport, TableInfo } from '../api-types.js'
import { readBackup, writeBackup, type BackupTableSource } from './backup.js'
import { createIndexSql, createTableSql, wantedIndexes } from './ddl.js'
import { fail, q } from './errors.js'
import { columnList, ident, tableMeta, type TableMeta } from './meta.js'
import { planCreate, planMigrate, type TablePlan } from './migrate.js'
import { openDatabase, type OpenOptions } from './open.js'
import { Operations } from './operations.js'
import type { Caller } from './policy.js'
import { parseRequest } from './request.js'
import { StatementCache } from './statements.js'
import { goopTables, migrateSystem, type SystemDb } from './system.js'
import { parseSchema, parseTableDef } from './schema.js'
import { encodeValue, normaliseDatetime, type SqlValue } from './values.js'

export interface DataStoreOptions extends OpenOptions {
  /** Where backups are written (created if missing). */
  backupDir: string
  /** The system tables' migrations (default: the package's `drizzle/` folder). */
  migrationsFolder?: string
}

/**
 * One peer's database: user tables declared by schemas, read and changed only through structured
 * operations checked against those schemas and their policies. Synchronous, like better-sqlite3:
 * every call runs to completion, so no two operations interleave.
 */
export class DataStore {
  private readonly stmts: StatementCache
  private readonly ops: Operations
  private metas = new Map<string, TableMeta>()
  private readonly listeners = new Set<(c: DataChanged) => void>()
  private closed = false

  private constructor (private readonly db: Database.Database, private readonly sys: SystemDb, private readonly backupDir: string) {
    this.stmts = new StatementCache(db)
    this.ops = new Operations({
      stmts: this.stmts,
      meta: name => this.meta(name),
      sorted: () => this.sorted(),
      changed: c => { this.changed(c) }
    })
    this.load()
  }

  static open (file: string, opts: DataStoreOptions): DataStore {
    const db = openDatabase(file, opts)
    let sys: SystemDb
    try {
      sys = migrateSystem(db, opts.migrationsFolder)
    } catch (err) {
      db.close()
      fail('bad_database', `cannot set up the data plugin's tables in ${file}: ${(err as Error).message}`)
    }
    try {
      return new DataStore(db, sys, opts.backupDir)
    } catch (err) {
      db.close()
      throw err
    }
  }

  // -------------------------------------------------------------------------------------------
  // Schemas

  /** Create or migrate the tables a schema declares, all or nothing. Tables it does not name are left alone. */
  apply (schema: unknown, opts: { force?: boolean, source?: string } = {}): ApplyReport {
    this.assertOpen()
    const parsed = parseSchema(schema)
    const source = opts.source ?? 'owner'
    /** `write`: the table's row in _goop_tables changes (re-applying the same schema changes nothing at all). */
    const plans: Array<TablePlan & { def: TableDef, write: boolean }> = []
    for (const [name, def] of Object.entries(parsed.tables)) {
      const old = this.metas.get(name)
      if (old === undefined && this.sqliteHas(name)) {
        fail('conflict', `data.db already has a table named ${name} that no schema declared; rename the table in the schema`)
      }
      const plan = old === undefined ? planCreate(name, def) : planMigrate(this.db, old, def)
      const sourceChanged = old !== undefined && old.source !== source
      if (sourceChanged) plan.changes.push(`source: ${old.source} → ${source}`)
      plans.push({ ...plan, def, write: plan.action !== 'unchanged' || sourceChanged })
    }
    const destructive = plans.flatMap(p => p.destructive.map(d => `table ${p.name}: ${d}`))
    if (destructive.length > 0 && opts.force !== true) {
      fail('destructive', `this schema change would lose data — ${destructive.join('; ')}. Apply it with --force to do it anyway (the tables are backed up first)`)
    }
    const rebuilt = plans.filter(p => p.rebuild).map(p => p.name)
    const backup = rebuilt.length > 0 && destructive.length > 0 ? this.backup(rebuilt, 'before-apply') : undefined
    const now = new Date().toISOString()
    this.db.transaction(() => {
      for (const p of plans) {
        if (!p.write) continue
        p.run(this.db)
        const json = JSON.stringify(p.def)
        this.sys.insert(goopTables).values({ name: p.name, schema: json, source, created: now, updated: now })
          .onConflictDoUpdate({ target: goopTables.name, set: { schema: json, source, updated: now } }).run()
      }
    })()
    if (plans.some(p => p.write)) this.reload()
    return { tables: plans.map(p => ({ name: p.name, action: p.action, changes: p.changes })), ...(backup !== undefined ? { backup } : {}) }
  }

  /** The current tables as a schema file (what `apply` would recreate). */
  schema (): DataSchemaDef {
    const tables: Record<string, TableDef> = {}
    for (const m of this.sorted()) tables[m.name] = m.def
    return { tables }
  }

  /** Every user table, for the owner: schema, policy, source and row count. */
  tables (): TableInfo[] {
    this.assertOpen()
    return this.sorted().map(m => ({
      name: m.name,
      ...(m.def.description !== undefined ? { description: m.def.description } : {}),
      columns: columnList(m),
      policy: m.def.policy,
      source: m.source,
      rows: this.stmts.get(`SELECT COUNT(*) FROM ${m.quoted}`, 'pluck').get() as number
    }))
  }

  /** Back the tables up, then drop them. */
  drop (names: string[]): { backup: string } {
    this.assertOpen()
    const metas = names.map(n => this.meta(n))
    const backup = this.backup(names, 'drop')
    this.db.transaction(() => {
      for (const m of metas) {
        this.db.exec(`DROP TABLE ${m.quoted}`)
        this.db.prepare('DELETE FROM sqlite_sequence WHERE name = ?').run(m.name)
        this.sys.delete(goopTables).where(eq(goopTables.name, m.name)).run()
      }
    })()
    this.reload()
    return { backup }
  }

  /** Write the tables (schema and every row) to a JSON file in the backup folder; returns its path. */
  backup (names: string[], reason: string): string {
    this.assertOpen()
    const metas = [...new Set(names)].map(n => this.meta(n))
    return writeBackup(this.backupDir, reason, this.backupSources(metas))
  }

  /** Each table as the backup writer reads it: rows streamed, one table after the other. */
  private * backupSources (metas: readonly TableMeta[]): Generator<BackupTableSource> {
    for (const m of metas) {
      const sequence = (this.db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get(m.name) as number | undefined) ?? 0
      const stmt = this.db.prepare(`SELECT ${m.selectAll} FROM ${m.quoted} ORDER BY "_id"`)
      const rows = (function * () { for (const r of stmt.iterate()) yield m.decode(r as Record<string, SqlValue>) })()
      yield { name: m.name, schema: m.def, source: m.source, sequence, rows }
    }
  }

  /**
   * Re-create the tables of a backup with their rows (original `_id`, `_author` and times). A table
   * that exists and has rows is replaced only with `force` (and is backed up first).
   */
  restore (file: string, opts: { force?: boolean } = {}): { tables: string[], rows: number } {
    this.assertOpen()
    const backup = readBackup(file)
    const seen = new Set<string>()
    const tables = backup.tables.map((t, i) => {
      if (!NAME_PATTERN.test(t.name) || t.name.startsWith('sqlite_')) fail('bad_backup', `${file}: tables[${i}].name ${q(t.name)} is not a table name`)
      if (seen.has(t.name)) fail('bad_backup', `${file}: table ${t.name} appears twice`)
      seen.add(t.name)
      let def: TableDef
      try { def = parseTableDef(t.name, t.schema) } catch (err) { fail('bad_backup', `${file}: ${(err as Error).message}`) }
      return { ...t, def }
    })
    const occupied: string[] = []
    for (const t of tables) {
      if (this.metas.has(t.name)) {
        const n = this.stmts.get(`SELECT COUNT(*) FROM ${ident(t.name)}`, 'pluck').get() as number
        if (n > 0) occupied.push(`${t.name} (${n} rows)`)
      } else if (this.sqliteHas(t.name)) {
        fail('conflict', `data.db already has a table named ${t.name} that no schema declared`)
      }
    }
    if (occupied.length > 0 && opts.force !== true) {
      fail('destructive', `restoring would replace the rows of ${occupied.join(', ')}; restore with --force to do it anyway (they are backed up first)`)
    }
    const existing = tables.filter(t => this.metas.has(t.name)).map(t => t.name)
    if (occupied.length > 0) this.backup(existing, 'before-restore')
    let rows = 0
    const now = new Date().toISOString()
    this.db.transaction(() => {
      for (const t of tables) {
        const quoted = ident(t.name)
        if (this.metas.has(t.name)) {
          this.db.exec(`DROP TABLE ${quoted}`)
          this.db.prepare('DELETE FROM sqlite_sequence WHERE name = ?').run(t.name)
        }
        this.db.exec(createTableSql(t.name, t.def))
        for (const ix of wantedIndexes(t.name, t.def)) this.db.exec(createIndexSql(t.name, ix))
        rows += this.restoreRows(file, t.name, t.def, t.rows)
        const top = (this.db.prepare(`SELECT MAX("_id") FROM ${quoted}`).pluck().get() as number | null) ?? 0
        const seq = Math.max(top, t.sequence ?? 0)
        this.db.prepare('DELETE FROM sqlite_sequence WHERE name = ?').run(t.name)
        if (seq > 0) this.db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(t.name, seq)
        const json = JSON.stringify(t.def)
        this.sys.insert(goopTables).values({ name: t.name, schema: json, source: t.source, created: now, updated: now })
          .onConflictDoUpdate({ target: goopTables.name, set: { schema: json, source: t.source, updated: now } }).run()
      }
    })()
    this.reload()
    return { tables: tables.map(t => t.name), rows }
  }

  private restoreRows (file: string, table: string, def: TableDef, rows: ReadonlyArray<Record<string, unknown>>): number {
    const declared = Object.keys(def.columns)
    const cols = ['_id', '_author', '_created', '_updated', ...declared]
    const insert = this.db.prepare(`INSERT INTO ${ident(table)} (${cols.map(ident).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`)
    rows.forEach((row, i) => {
      const at = `${file}: table ${table}, row ${i}`
      for (const k of Object.keys(row)) if (!cols.includes(k)) fail('bad_backup', `${at}: unknown column ${q(k)}`)
      const id = row._id
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) fail('bad_backup', `${at}: _id must be a positive integer`)
      if (typeof row._author !== 'string' || row._author === '') fail('bad_backup', `${at}: _author must be a peer ID`)
      const times = [row._created, row._updated].map(v => typeof v === 'string' ? normaliseDatetime(v) : null)
      if (times[0] == null || times[1] == null) fail('bad_backup', `${at}: _created and _updated must be ISO 8601 date-times`)
      const values: SqlValue[] = [id, row._author, times[0], times[1]]
      for (const c of declared) {
        try {
          values.push(encodeValue(`${table}.${c}`, def.columns[c], row[c] ?? null, 'restore'))
        } catch (err) { fail('bad_backup', `${at}: ${(err as Error).message}`) }
      }
      try {
        insert.run(...values)
      } catch (err) {
        fail('bad_backup', `${at}: ${(err as Error).message}`)
      }
    })
    return rows.length
  }

  // -------------------------------------------------------------------------------------------
  // Operations

  /** Run one operation for a caller: the request is checked here (format, limits, the table's schema, its policy). */
  execute (request: unknown, caller: Caller): DataResult {
    this.assertOpen()
    return this.ops.execute(parseRequest(request), caller)
  }

  /** Called after each committed insert, update and delete. Returns the unsubscribe function. */
  onChange (fn: (c: DataChanged) => void): () => void {
    this.listeners.add(fn)
    return () => { this.listeners.delete(fn) }
  }

  private changed (c: DataChanged): void {
    for (const fn of this.listeners) {
      try { fn(c) } catch { /* a listener's failure is its own; the change is committed */ }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  /** The connection's settings that durability depends on (for checks and tests). */
  settings (): { journalMode: string, synchronous: 'normal' | 'full' | 'off' | 'extra', foreignKeys: boolean, busyTimeoutMs: number } {
    this.assertOpen()
    const sync = this.db.pragma('synchronous', { simple: true }) as number
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: (['off', 'normal', 'full', 'extra'] as const)[sync] ?? 'off',
      foreignKeys: this.db.pragma('foreign_keys', { simple: true }) === 1,
      busyTimeoutMs: this.db.pragma('busy_timeout', { simple: true }) as number
    }
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    this.stmts.clear()
    this.listeners.clear()
    this.db.close()
  }

  private assertOpen (): void {
    if (this.closed) throw new Error('the data store is closed')
  }

  /** A user table by a caller-given name: anything else (system tables included) is the same `unknown_table`. */
  private meta (name: string): TableMeta {
    const m = this.metas.get(name)
    if (m === undefined) fail('unknown_table', `there is no table ${q(name)}`)
    return m
  }

  private sorted (): TableMeta[] {
    return [...this.metas.values()].toSorted((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  }

  private sqliteHas (name: string): boolean {
    return this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined
  }

  private load (): void {
    const metas = new Map<string, TableMeta>()
    for (const r of this.sys.select().from(goopTables).all()) {
      if (!this.sqliteHas(r.name)) continue // dropped behind our back: nothing to serve
      let def: TableDef
      try { def = parseTableDef(r.name, JSON.parse(r.schema)) } catch (err) {
        fail('bad_database', `the stored schema of table ${r.name} is damaged: ${(err as Error).message}`)
      }
      metas.set(r.name, tableMeta(r.name, def, r.source, r.created, r.updated))
    }
    this.metas = metas
  }

  private reload (): void {
    this.stmts.clear()
    this.load()
  }
}
