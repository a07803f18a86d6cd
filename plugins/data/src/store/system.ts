import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type Database from 'better-sqlite3'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { sqliteTable, text } from 'drizzle-orm/sqlite-core'

/**
 * The engine's own tables. Every name starts with `_goop_`, which no schema can declare (names start
 * with a letter) and no caller can name. They are defined here with drizzle and created by drizzle's
 * migrator from `plugins/data/drizzle/` (hand-written in drizzle-kit's format: meta/_journal.json
 * lists the SQL files in order). A new migration is a new SQL file plus a journal entry with a later
 * `when`; the migrator runs each one once, recorded in `_goop_migrations`.
 */
export const goopTables = sqliteTable('_goop_tables', {
  /** The user table's name. */
  name: text('name').primaryKey(),
  /** Its TableDef as JSON (sdk TableSchema output: defaults filled in). */
  schema: text('schema').notNull(),
  /** Who declared it: `owner`, `template:<name>`, `restore`. */
  source: text('source').notNull(),
  created: text('created').notNull(),
  updated: text('updated').notNull()
})

export const MIGRATIONS_TABLE = '_goop_migrations'

export type SystemDb = BetterSQLite3Database

/**
 * The migrations folder. It sits next to the package (`plugins/data/drizzle`), found from this file
 * (src/store/ or dist/store/) or, when this code runs from a bundle elsewhere (core's dist/goop.mjs),
 * from the package's own location.
 */
export function migrationsFolder (): string {
  const candidates = [fileURLToPath(new URL('../../drizzle', import.meta.url))]
  try {
    const entry = fileURLToPath(import.meta.resolve('@goop/plugin-data'))
    candidates.push(join(dirname(entry), '..', 'drizzle'))
  } catch { /* not resolvable from here: the first candidate is the only one */ }
  const found = candidates.find(c => existsSync(join(c, 'meta', '_journal.json')))
  if (found == null) throw new Error(`the data plugin's migrations folder is missing (looked in ${candidates.join(', ')})`)
  return found
}

/** Create or upgrade the system tables; idempotent (applied migrations are recorded and skipped). */
export function migrateSystem (sqlite: Database.Database, folder = migrationsFolder()): SystemDb {
  const db = drizzle(sqlite)
  migrate(db, { migrationsFolder: folder, migrationsTable: MIGRATIONS_TABLE })
  return db
}
