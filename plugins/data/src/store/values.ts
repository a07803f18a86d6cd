import { DATA_LIMITS, type ColumnDef, type ColumnType, type Row, type Value } from '@goop/sdk'
import { fail, q } from './errors.js'

/** What SQLite stores and binds: booleans are 0/1, datetimes ISO text, json its serialised text. */
export type SqlValue = string | number | null

/**
 * How strictly a value is checked: `write` (insert, update, a default) applies every rule of the
 * column; `filter` (a value compared in a query) and `restore` (rows from a backup, which may predate
 * a tightened rule) check the type only.
 */
export type Mode = 'write' | 'filter' | 'restore'

const TYPE_WORDS: Record<ColumnType, string> = {
  text: 'text (a string)',
  integer: 'an integer',
  real: 'a number',
  boolean: 'true or false',
  datetime: 'an ISO 8601 date-time string such as 2025-01-31T12:00:00Z',
  json: 'any JSON value'
}

function kind (v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'string') return `the string ${q(v)}`
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return typeof v === 'object' ? 'an object' : typeof v
}

function bad (where: string, type: ColumnType, v: unknown): never {
  fail('bad_value', `${where} must be ${TYPE_WORDS[type]}, not ${kind(v)}`)
}

/** Characters of a string as a person counts them (code points), cheaply for the common case. */
export function charCount (s: string): number {
  if (s.length <= 1 || !/[\uD800-\uDBFF]/.test(s)) return s.length
  let n = 0
  for (const _ of s) n++
  return n
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}))?$/

/**
 * A strict ISO 8601 date-time (with `Z` or an offset) or a plain date (midnight UTC), normalised to
 * `YYYY-MM-DDTHH:mm:ss.sssZ` so that stored values compare and sort as text. Impossible dates
 * (February 30) are refused rather than rolled over.
 */
export function normaliseDatetime (s: string): string | null {
  const m = ISO.exec(s)
  if (m == null) return null
  const [, y, mo, d, h, mi, sec, , zone] = m
  const year = Number(y); const month = Number(mo); const day = Number(d)
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null
  if (h != null && (Number(h) > 23 || Number(mi) > 59 || Number(sec ?? 0) > 59)) return null
  if (zone != null && zone !== 'Z' && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(4)) > 59)) return null
  const ms = Date.parse(h == null ? `${s}T00:00:00Z` : s)
  if (!Number.isFinite(ms)) return null
  const out = new Date(ms).toISOString()
  return out.length === 24 ? out : null // a year outside 0000–9999 after the offset: not sortable as text
}

/** Check one value against its column and turn it into what SQLite stores. */
export function encodeValue (where: string, def: ColumnDef, v: unknown, mode: Mode): SqlValue {
  if (v === null) return null
  const write = mode === 'write'
  switch (def.type) {
    case 'text': {
      if (typeof v !== 'string') bad(where, 'text', v)
      const max = write ? (def.maxLength ?? DATA_LIMITS.textChars) : DATA_LIMITS.textChars
      if (mode !== 'restore' && v.length > max && charCount(v) > max) {
        fail('bad_value', `${where} is ${charCount(v)} characters long; at most ${max} are allowed`)
      }
      if (write && def.minLength !== undefined && v.length < def.minLength * 2 && charCount(v) < def.minLength) {
        fail('bad_value', `${where} is ${charCount(v)} characters long; at least ${def.minLength} are needed`)
      }
      if (write && def.enum != null && !def.enum.includes(v)) fail('bad_value', `${where} must be one of ${def.enum.map(e => q(e)).join(', ')}, not ${q(v)}`)
      return v
    }
    case 'integer':
    case 'real': {
      if (typeof v !== 'number' || !Number.isFinite(v)) bad(where, def.type, v)
      if (def.type === 'integer' && !Number.isSafeInteger(v)) {
        // A filter may compare an integer column with any number (`lt 2.5`); a stored value is whole.
        if (mode !== 'filter') fail('bad_value', `${where} must be a whole number between -(2^53-1) and 2^53-1, not ${v}`)
      }
      if (write) {
        if (def.min != null && v < def.min) fail('bad_value', `${where} is ${v}; the smallest value allowed is ${def.min}`)
        if (def.max != null && v > def.max) fail('bad_value', `${where} is ${v}; the largest value allowed is ${def.max}`)
        if (def.enum != null && !def.enum.includes(v)) fail('bad_value', `${where} must be one of ${def.enum.map(e => q(e)).join(', ')}, not ${v}`)
      }
      return v
    }
    case 'boolean':
      if (typeof v !== 'boolean') bad(where, 'boolean', v)
      return v ? 1 : 0
    case 'datetime': {
      if (typeof v !== 'string') bad(where, 'datetime', v)
      const iso = normaliseDatetime(v)
      if (iso == null) bad(where, 'datetime', v)
      return iso
    }
    case 'json': {
      if (mode === 'filter') fail('bad_request', `${where}: json columns cannot be filtered or ordered`)
      const text = JSON.stringify(v)
      const max = write ? (def.maxLength ?? DATA_LIMITS.jsonBytes) : DATA_LIMITS.jsonBytes
      if (mode !== 'restore' && text.length > max / 3 && Buffer.byteLength(text) > max) {
        fail('bad_value', `${where} is ${Buffer.byteLength(text)} bytes as JSON; at most ${max} are allowed`)
      }
      return text
    }
  }
}

/** Turns stored rows back into JSON rows: only boolean and json columns need work. */
export type RowDecoder = (row: Record<string, SqlValue>) => Row

export function rowDecoder (columns: ReadonlyArray<{ name: string, def: ColumnDef }>): RowDecoder {
  const booleans = columns.filter(c => c.def.type === 'boolean').map(c => c.name)
  const jsons = columns.filter(c => c.def.type === 'json').map(c => c.name)
  if (booleans.length === 0 && jsons.length === 0) return row => row as Row
  return (row) => {
    const out = row as Record<string, Value>
    for (const name of booleans) {
      const v = row[name]
      if (v !== undefined && v !== null) out[name] = v === 1
    }
    for (const name of jsons) {
      const v = row[name]
      if (typeof v === 'string') out[name] = JSON.parse(v) as Value
    }
    return out as Row
  }
}

/** A decoded value back to its stored form (for cursors: the last row's order values). */
export function storedForm (def: ColumnDef | undefined, v: Value | undefined): SqlValue {
  if (v === undefined || v === null) return null
  if (typeof v === 'boolean') return v ? 1 : 0
  if (typeof v === 'string' || typeof v === 'number') return v
  return def?.type === 'json' ? JSON.stringify(v) : null
}
