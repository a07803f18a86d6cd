import { GoopError, type DataErrorCode } from '@goop/sdk'

/**
 * Error codes of the engine: the data operations' codes (sdk DataErrorCode) plus the owner-side ones
 * of apply/restore (`destructive`: a schema change would lose data; `bad_database`: data.db is not a
 * SQLite database). Every code has one HTTP-like status, so every way in answers alike.
 */
export type StoreErrorCode = DataErrorCode | 'destructive' | 'bad_database' | 'bad_backup'

const STATUS: Record<StoreErrorCode, number> = {
  bad_request: 400,
  unknown_table: 404,
  unknown_column: 400,
  bad_value: 400,
  forbidden: 403,
  not_found: 404,
  too_large: 413,
  rate_limited: 429,
  conflict: 409,
  destructive: 409,
  bad_database: 500,
  bad_backup: 400
}

export function fail (code: StoreErrorCode, message: string): never {
  throw new GoopError(code, message, STATUS[code])
}

/** A caller-supplied name or value quoted for a message (bounded: a message never echoes a megabyte back). */
export function q (value: unknown): string {
  let text: string
  try { text = JSON.stringify(value) ?? String(value) } catch { text = String(value) }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}
