import { DATA_LIMITS, DataSchema, TableSchema, type ColumnDef, type DataSchemaDef, type TableDef } from '@goop/sdk'
import { fail, q } from './errors.js'
import { checkShape } from './guard.js'
import { encodeValue } from './values.js'
import { zodMessage } from './zod-message.js'

/** Parse a schema file's content (sdk DataSchema) and check what zod cannot: options that fit each column's type. */
export function parseSchema (input: unknown): DataSchemaDef {
  checkShape(input, 'schema')
  const parsed = DataSchema.safeParse(input)
  if (!parsed.success) fail('bad_request', `not a valid data schema: ${zodMessage(parsed.error)}`)
  for (const [name, def] of Object.entries(parsed.data.tables)) checkTableDef(name, def)
  return parsed.data
}

/** The same for one table (a backup's schema, a template's table). */
export function parseTableDef (name: string, input: unknown): TableDef {
  checkShape(input, `table ${name}`)
  const parsed = TableSchema.safeParse(input)
  if (!parsed.success) fail('bad_request', `table ${name} is not a valid table schema: ${zodMessage(parsed.error)}`)
  checkTableDef(name, parsed.data)
  return parsed.data
}

const NUMERIC = new Set(['integer', 'real'])

export function checkTableDef (table: string, def: TableDef): void {
  for (const [name, col] of Object.entries(def.columns)) checkColumn(`tables.${table}.columns.${name}`, col)
}

function checkColumn (at: string, col: ColumnDef): void {
  const t = col.type
  if (col.maxLength !== undefined) {
    if (t !== 'text' && t !== 'json') fail('bad_request', `${at}: maxLength is for text and json columns, not ${t}`)
    const cap = t === 'text' ? DATA_LIMITS.textChars : DATA_LIMITS.jsonBytes
    if (col.maxLength > cap) fail('bad_request', `${at}: maxLength is at most ${cap} for a ${t} column`)
  }
  if (col.minLength !== undefined) {
    if (t !== 'text') fail('bad_request', `${at}: minLength is for text columns, not ${t}`)
    const most = col.maxLength ?? DATA_LIMITS.textChars
    if (col.minLength > most) fail('bad_request', `${at}: minLength (${col.minLength}) is larger than the longest value allowed (${most})`)
  }
  if ((col.min !== undefined || col.max !== undefined) && !NUMERIC.has(t)) fail('bad_request', `${at}: min and max are for integer and real columns, not ${t}`)
  if (col.min !== undefined && col.max !== undefined && col.min > col.max) fail('bad_request', `${at}: min (${col.min}) is larger than max (${col.max})`)
  if (col.enum !== undefined) {
    if (t !== 'text' && !NUMERIC.has(t)) fail('bad_request', `${at}: enum is for text, integer and real columns, not ${t}`)
    for (const e of col.enum) {
      const ok = t === 'text' ? typeof e === 'string' : t === 'integer' ? Number.isSafeInteger(e) : typeof e === 'number' && Number.isFinite(e)
      if (!ok) fail('bad_request', `${at}: enum value ${q(e)} is not ${t === 'text' ? 'a string' : t === 'integer' ? 'an integer' : 'a number'}`)
    }
  }
  if ((col.index === true || col.unique === true) && t === 'json') fail('bad_request', `${at}: json columns cannot be indexed or unique`)
  if (col.default !== undefined) {
    if (col.default === null) {
      if (col.required === true) fail('bad_request', `${at}: a required column's default cannot be null`)
    } else {
      // A default must be a value the column accepts: the same checks as an insert.
      try { encodeValue(`${at}.default`, col, col.default, 'write') } catch (err) { fail('bad_request', (err as Error).message) }
    }
  }
}

/** JSON with object keys sorted: two equal schemas give the same text whatever their key order. */
export function canonical (value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(v).toSorted()) out[k] = (v as Record<string, unknown>)[k]
    return out
  })
}
