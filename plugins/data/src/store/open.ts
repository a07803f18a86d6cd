import Database from 'better-sqlite3'
import { fail } from './errors.js'

export interface OpenOptions {
  /**
   * `normal` (default): in WAL mode every committed transaction survives a crash or SIGKILL of the
   * process (the WAL is in the OS's page cache); only a power loss or OS crash may lose the last
   * transactions (never corrupt the file). `full`: fsync the WAL at every commit, so commits
   * survive a power loss too, at the cost of one fsync per write.
   */
  synchronous?: 'normal' | 'full'
  /** How long a write waits for a lock held by another connection (ms, default 5000). */
  busyTimeoutMs?: number
}

/** Open (or create) a SQLite file with the pragmas the engine relies on. */
export function openDatabase (file: string, opts: OpenOptions = {}): Database.Database {
  let db: Database.Database
  try {
    db = new Database(file, { timeout: opts.busyTimeoutMs ?? 5000 })
  } catch (err) {
    fail('bad_database', `cannot open the database ${file}: ${(err as Error).message}`)
  }
  try {
    // The first statement reads the header: a file that is not SQLite fails here (SQLITE_NOTADB).
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
    db.pragma('foreign_keys = ON')
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(opts.busyTimeoutMs ?? 5000))}`)
    const mode = db.pragma('journal_mode', { simple: true })
    if (mode !== 'wal') throw new Error(`journal_mode is ${String(mode)}, not wal`)
  } catch (err) {
    db.close()
    const code = (err as { code?: string }).code
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') fail('bad_database', `${file} is not a SQLite database (or is damaged): ${(err as Error).message}`)
    fail('bad_database', `cannot open the database ${file}: ${(err as Error).message}`)
  }
  return db
}
