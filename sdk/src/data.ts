import { z } from 'zod'

/**
 * The data format, defined once (since SDK 1.3.0): the schema that declares a peer's tables and their
 * access policies, and the structured operations that read and change them. goop.js, the
 * `/goop/data/1.0.0` protocol, the owner's admin API and the template runtimes all speak exactly
 * this; the data plugin enforces it on the owner's peer. A caller never sends SQL: table and column
 * names are checked against the schema and values are bound parameters.
 */

// ---------------------------------------------------------------------------------------------
// Limits (the same for every way in)

export const DATA_LIMITS = Object.freeze({
  tables: 64,
  columnsPerTable: 64,
  /** Longest text value when a column sets no `maxLength` (characters). */
  textChars: 65_536,
  /** Largest `json` value, serialised (bytes). */
  jsonBytes: 65_536,
  /** Rows one query returns at most (a larger `limit` is an error, not silently cut). */
  queryLimit: 1_000,
  /** Conditions in one filter, all levels together. */
  filterTerms: 64,
  /** Nesting of `and`/`or` groups. */
  filterDepth: 4,
  /** Values in one `in` list. */
  inValues: 1_000,
  /** Longest `like` pattern (characters). */
  likeChars: 256,
  /** Columns in one `order`. */
  orderColumns: 4,
  /** A serialised request, at most (bytes). */
  requestBytes: 256 * 1024,
  /** A serialised result, at most (bytes): a query that would return more is refused; ask for fewer rows. */
  resultBytes: 4 * 1024 * 1024
})

/** Table and column names: lower-case ASCII, starting with a letter. Names starting with `_` or `sqlite_` are the system's. */
export const NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/
const Name = z.string().regex(NAME_PATTERN, 'a name is 1–63 characters of a–z, 0–9 and _, starting with a letter')
  .refine(n => !n.startsWith('sqlite_'), 'names starting with sqlite_ are reserved')

// ---------------------------------------------------------------------------------------------
// Schemas: tables, columns, policies

export const COLUMN_TYPES = ['text', 'integer', 'real', 'boolean', 'datetime', 'json'] as const
export type ColumnType = typeof COLUMN_TYPES[number]

/** The columns every row has, set by the data plugin (never by a caller). */
export const SYSTEM_COLUMNS = Object.freeze({
  /** Row ID: an integer, increasing, never reused. */
  _id: 'integer',
  /** The peer ID that inserted the row (as authenticated by its connection; the owner's own ID for the owner). */
  _author: 'text',
  /** When the row was inserted / last updated: ISO 8601 UTC with milliseconds. */
  _created: 'datetime',
  _updated: 'datetime'
} as const)
export type SystemColumn = keyof typeof SYSTEM_COLUMNS

/** A value a column holds: JSON in and out (`datetime` is an ISO 8601 string, `json` any JSON value). */
export type Value = string | number | boolean | null | Value[] | { [k: string]: Value }
/** A scalar a filter compares with. */
export type Scalar = string | number | boolean | null

const ScalarSchema = z.union([z.string(), z.number(), z.boolean(), z.null()])

export const ColumnSchema = z.strictObject({
  type: z.enum(COLUMN_TYPES),
  description: z.string().max(500).optional(),
  /** A row must have a non-null value (after `default`). */
  required: z.boolean().optional(),
  /** Used when an insert leaves the column out. */
  default: z.json().optional(),
  /** `text`: most characters; `json`: most bytes serialised. Capped by DATA_LIMITS. */
  maxLength: z.number().int().positive().optional(),
  /** `text`: fewest characters (1: not empty). */
  minLength: z.number().int().nonnegative().optional(),
  /** `integer`, `real`: the smallest and largest value allowed. */
  min: z.number().optional(),
  max: z.number().optional(),
  /** `text`, `integer`, `real`: the only values allowed. */
  enum: z.array(z.union([z.string(), z.number()])).min(1).max(256).optional(),
  /** Make filters and ordering on this column fast. */
  index: z.boolean().optional(),
  /** No two rows may have the same (non-null) value. */
  unique: z.boolean().optional()
})
export type ColumnDef = z.infer<typeof ColumnSchema>

/**
 * Who may do what, per operation. The site owner may always do everything; these words are about
 * visitors (other peers), and mean the same in the docs, the code and the tests:
 * - `open`: any visitor;
 * - `author`: a visitor, for the rows it wrote (`_author` = its peer ID) only: it sees (read) or
 *   changes (update, delete) only those;
 * - `owner`: no visitor.
 * Anything a schema leaves out is `owner`.
 *
 * Update and delete act on rows the visitor can read: a row it cannot read (another's, under read
 * `author`) is `not_found`; a row it can read but did not write, under update/delete `author`, is
 * `forbidden`; and with read `owner` a visitor can change no row at all (`forbidden`). `describe`'s
 * `can` says exactly this per operation (`'own'` where only its own rows).
 */
export const PolicySchema = z.strictObject({
  read: z.enum(['open', 'author', 'owner']).default('owner'),
  insert: z.enum(['open', 'owner']).default('owner'),
  update: z.enum(['author', 'owner', 'open']).default('owner'),
  delete: z.enum(['author', 'owner', 'open']).default('owner')
})
export type Policy = z.output<typeof PolicySchema>
export type Operation = keyof Policy

export const TableSchema = z.strictObject({
  description: z.string().max(500).optional(),
  columns: z.record(Name.refine(n => !n.startsWith('_'), 'column names starting with _ are the system\'s'), ColumnSchema)
    .refine(c => Object.keys(c).length <= DATA_LIMITS.columnsPerTable, `a table has at most ${DATA_LIMITS.columnsPerTable} columns`),
  policy: PolicySchema.prefault({})
})
export type TableDef = z.output<typeof TableSchema>
export type TableDefInput = z.input<typeof TableSchema>

/** A schema file: the tables it declares (`goop data apply FILE`, and a template's `tables`). */
export const DataSchema = z.strictObject({
  $schema: z.string().optional(),
  tables: z.record(Name.refine(n => !n.startsWith('_'), 'table names starting with _ are the system\'s'), TableSchema)
    .refine(t => Object.keys(t).length <= DATA_LIMITS.tables, `a schema has at most ${DATA_LIMITS.tables} tables`)
})
export type DataSchemaDef = z.output<typeof DataSchema>
export type DataSchemaInput = z.input<typeof DataSchema>

// ---------------------------------------------------------------------------------------------
// Operations

export const FILTER_OPS = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'like'] as const
export type FilterOp = typeof FILTER_OPS[number]

/** One comparison: `{ column: 'done', op: 'eq', value: false }`; `in` takes a list; `like` a pattern with % and _. */
export interface Condition { column: string, op: FilterOp, value: Scalar | Scalar[] }
/** Conditions combined: `{ and: [...] }` or `{ or: [...] }`, nested at most DATA_LIMITS.filterDepth deep. */
export type Filter = Condition | { and: Filter[] } | { or: Filter[] }

export const ConditionSchema = z.strictObject({
  column: z.string().max(64),
  op: z.enum(FILTER_OPS),
  value: z.union([ScalarSchema, z.array(ScalarSchema).max(DATA_LIMITS.inValues)])
})
export const FilterSchema: z.ZodType<Filter> = z.lazy(() => z.union([
  ConditionSchema,
  z.strictObject({ and: z.array(FilterSchema).min(1).max(DATA_LIMITS.filterTerms) }),
  z.strictObject({ or: z.array(FilterSchema).min(1).max(DATA_LIMITS.filterTerms) })
]))

export const OrderSchema = z.array(z.strictObject({
  column: z.string().max(64),
  dir: z.enum(['asc', 'desc']).default('asc')
})).max(DATA_LIMITS.orderColumns)

const Table = z.string().max(64)
const RowId = z.number().int().positive()
const Values = z.record(z.string().max(64), z.json())

export const DataRequestSchema = z.discriminatedUnion('op', [
  /** The tables this caller can see, their columns, and what it may do with each. */
  z.strictObject({ op: z.literal('describe') }),
  /** Rows that match, in order (default: `_id` ascending), at most `limit` (default 100, at most 1,000), then `cursor` for the next page. */
  z.strictObject({
    op: z.literal('query'),
    table: Table,
    where: FilterSchema.optional(),
    order: OrderSchema.optional(),
    limit: z.number().int().min(1).max(DATA_LIMITS.queryLimit).optional(),
    /** The `cursor` of the previous page, as it came (opaque). */
    cursor: z.string().max(4096).optional(),
    /** Only these columns (system columns are always included). */
    columns: z.array(z.string().max(64)).max(DATA_LIMITS.columnsPerTable).optional()
  }),
  z.strictObject({ op: z.literal('get'), table: Table, id: RowId }),
  z.strictObject({ op: z.literal('count'), table: Table, where: FilterSchema.optional() }),
  z.strictObject({ op: z.literal('insert'), table: Table, values: Values }),
  z.strictObject({ op: z.literal('update'), table: Table, id: RowId, values: Values }),
  z.strictObject({ op: z.literal('delete'), table: Table, id: RowId })
])
export type DataRequest = z.infer<typeof DataRequestSchema>
export type DataOpName = DataRequest['op']

/** A row as it comes back: the table's columns plus the system columns. */
export type Row = { _id: number, _author: string, _created: string, _updated: string } & Record<string, Value>

/** What the caller may do with a table: `true`, `false`, or `'own'` (only the rows it wrote). */
export type Permission = boolean | 'own'

export interface TableDescription {
  name: string
  description?: string
  columns: Array<{ name: string } & ColumnDef>
  policy: Policy
  can: Record<Operation, Permission>
}

export interface DataResults {
  describe: { role: 'owner' | 'visitor', tables: TableDescription[] }
  query: { rows: Row[], cursor?: string }
  get: { row: Row | null }
  count: { count: number }
  insert: { row: Row }
  update: { row: Row }
  delete: { deleted: number }
}
export type DataResult<O extends DataOpName = DataOpName> = DataResults[O]

/** The MQ topic every change is published on (shared: a site's visitors follow it through goop.events). */
export const DATA_CHANGED_TOPIC = 'data.changed'
export interface DataChanged { table: string, op: 'insert' | 'update' | 'delete', _id: number }

/** The libp2p protocol visitors use to reach an owner's data. */
export const DATA_PROTOCOL = '/goop/data/1.0.0'

/**
 * Error codes data operations answer with (GoopError codes, the same over every way in):
 * `bad_request` (not a valid operation; the message says which field), `unknown_table`,
 * `unknown_column`, `bad_value` (a value that does not fit its column), `forbidden` (the policy
 * refuses this caller), `not_found` (no such row, or none this caller can see), `too_large`,
 * `rate_limited`, `conflict` (a unique column already has that value).
 */
export type DataErrorCode = 'bad_request' | 'unknown_table' | 'unknown_column' | 'bad_value' | 'forbidden' | 'not_found' | 'too_large' | 'rate_limited' | 'conflict'

/** JSON Schemas of the schema file and of a request, for editors and other languages. */
export function dataJsonSchemas (): { schema: unknown, request: unknown } {
  return {
    schema: z.toJSONSchema(DataSchema, { io: 'input', unrepresentable: 'any' }),
    request: z.toJSONSchema(DataRequestSchema, { io: 'input', unrepresentable: 'any' })
  }
}
