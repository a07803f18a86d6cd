import { GoopError, type DataRequest, type DataResult, type DataSchemaInput } from '@goop/sdk'
import { backupName, backupPath, listBackups, type BackupEntry } from './backups.js'
import { checkRequestSize, type DataClient, type RemoteOptions } from './protocol.js'
import type { ApplyReport, Caller, DataStore, TableInfo } from './store/index.js'

/**
 * The `data` service (`ctx.use('data')` in a plugin that lists `requires: ['data']`). Every method
 * returns a Promise, so a runtime in another thread can proxy it as it is.
 */
export interface DataService {
  /**
   * Run an operation on this peer's data. As the owner by default; `{ as: peerId }` runs it as that
   * visitor, under the table policies exactly as if it had come over `/goop/data/1.0.0` from that
   * peer (for template runtimes acting for an authenticated caller; never pass an ID taken from a
   * request body).
   */
  run<R extends DataRequest>(request: R, opts?: { as?: string }): Promise<DataResult<R['op']>>
  /** Ask another peer's data plugin, as this peer (a visitor there). */
  remote<R extends DataRequest>(peer: string, request: R, opts?: RemoteOptions): Promise<DataResult<R['op']>>
  /** Create or migrate tables. A destructive change (dropping a column or a table's data) needs `force` and makes a backup first. */
  apply(schema: DataSchemaInput, opts?: { force?: boolean, source?: string }): Promise<ApplyReport>
  /** Every table with its columns, policy, where its schema came from and its row count. */
  tables(): Promise<TableInfo[]>
  /** Drop tables after backing them up; `backup` is the backup's file name in `<peer>/backups/`. */
  drop(names: string[]): Promise<{ backup: string }>
  /** Back up tables; returns the file name in `<peer>/backups/`. */
  backup(names: string[], reason: string): Promise<string>
  /** The files in `<peer>/backups/`, newest first. */
  backups(): Promise<BackupEntry[]>
  /** Restore a backup by its file name in `<peer>/backups/` (never a path). */
  restore(file: string, opts?: { force?: boolean }): Promise<{ tables: string[], rows: number }>
}

/** The longest peer ID `as` may name (goop's Ed25519 IDs have 52 characters). */
const MAX_PEER_ID = 128

/**
 * The same operations on untyped input (JSON from HTTP bodies and the CLI): the engine validates
 * everything it is given, so these take `unknown` and the typed service is a view of them.
 */
export interface DataInternals {
  execute(request: unknown, caller: Caller): unknown
  run(request: unknown, as?: string): unknown
  apply(schema: unknown, opts?: { force?: boolean, source?: string }): ApplyReport
  restore(file: unknown, opts?: { force?: boolean }): { tables: string[], rows: number }
}

export function dataInternals (self: string, store: DataStore, backupDir: string): DataInternals {
  const execute = (request: unknown, caller: Caller): unknown => {
    checkRequestSize(request)
    return store.execute(request, caller)
  }
  return {
    execute,
    run: (request, as = self) => {
      if (typeof as !== 'string' || as === '' || as.length > MAX_PEER_ID) throw new GoopError('bad_request', '`as` must be a peer ID', 400)
      return execute(request, { peer: as, owner: as === self })
    },
    apply: (schema, opts) => store.apply(schema, opts),
    restore: (file, opts) => store.restore(backupPath(backupDir, file), opts)
  }
}

export function dataService (internals: DataInternals, store: DataStore, client: DataClient, backupDir: string): DataService {
  return {
    run: async <R extends DataRequest>(request: R, o: { as?: string } = {}) => internals.run(request, o.as) as DataResult<R['op']>,
    remote: async (peer, request, o) => await client.request(peer, request, o),
    apply: async (schema, o) => internals.apply(schema, o),
    tables: async () => store.tables(),
    drop: async (names) => ({ backup: backupName(store.drop(names).backup) }),
    backup: async (names, reason) => backupName(store.backup(names, reason)),
    backups: async () => listBackups(backupDir),
    restore: async (file, o) => internals.restore(file, o)
  }
}
