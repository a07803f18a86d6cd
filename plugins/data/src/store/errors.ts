import { ERROR_STATUS, GoopError, type DataErrorCode } from '@goop/sdk'

/**
 * Error codes of the engine: the data operations' codes (sdk DataErrorCode) plus the owner-side ones
 * of apply/restore (`destructive`: a schema change would lose data; `bad_database`: data.db is not a
 * SQLite database). Every code has one HTTP-like status, so every way in answers alike: the data
 * codes' are the SDK's `ERROR_STATUS`, the owner-side ones' are here.
 */
export type StoreErrorCode = DataErrorCode | 'destructive' | 'bad_database' | 'bad_backup'

/** The statuses of the engine's own codes (the rest are the SDK's `ERROR_STATUS`). */
export const STORE_STATUS: Readonly<Record<Exclude<StoreErrorCode, DataErrorCode>, number>> = Object.freeze({
  destructive: 409,
  bad_database: 500,
  bad_backup: 400
})

export function fail (code: StoreErrorCode, message: string): never {
  throw new GoopError(code, message, (STORE_STATUS as Record<string, number>)[code] ?? ERROR_STATUS[code])
}

/** A caller-supplied name or value quoted for a message (bounded: a message never echoes a megabyte back). */
export function q (value: unknown): string {
  let text: string
  try { text = JSON.stringify(value) ?? String(value) } catch { text = String(value) }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}
