/**
 * The data engine: one peer's SQLite database of schema-declared tables, and the structured
 * operations (sdk DataRequestSchema) visitors and the owner run on them under each table's policy.
 */
export { DataStore, type DataStoreOptions } from './store.js'
export type { ApplyReport, TableInfo } from '../api-types.js'
export type { Caller } from './policy.js'
export { permissions } from './policy.js'
export type { OpenOptions } from './open.js'
export type { StoreErrorCode } from './errors.js'
export { BackupSchema, type BackupFile } from './backup.js'
export { goopTables, MIGRATIONS_TABLE, migrationsFolder } from './system.js'
