import type { ColumnDef, Operation, Policy, Value } from '@goop/sdk'

/**
 * Plain words for the data plugin's schemas: what visitors may do, what a column accepts, and how a
 * value reads in a cell. The policy words follow the SDK's definitions exactly (the owner may always
 * do everything; `author` means "only the rows that visitor wrote"), so the page and the docs agree.
 */

type Column = { name: string } & ColumnDef

/** Short words per operation, for one line ("Visitors: read all · insert · edit own"); null = visitors may not. */
const SHORT: { [O in Operation]: Record<Policy[O], string | null> } = {
  read: { open: 'read all', author: 'read own', owner: null },
  insert: { open: 'insert', owner: null },
  update: { open: 'edit all', author: 'edit own', owner: null },
  delete: { open: 'delete all', author: 'delete own', owner: null }
}

/** A sentence per operation, for the table's own view. */
const LONG: { [O in Operation]: Record<Policy[O], string> } = {
  read: { open: 'Any visitor can read every row', author: 'A visitor sees only the rows it added', owner: 'Only you' },
  insert: { open: 'Any visitor can add rows', owner: 'Only you' },
  update: { open: 'Any visitor can edit any row', author: 'A visitor can edit only the rows it added', owner: 'Only you' },
  delete: { open: 'Any visitor can delete any row', author: 'A visitor can delete only the rows it added', owner: 'Only you' }
}

export const OPERATIONS: readonly Operation[] = ['read', 'insert', 'update', 'delete']
export const OPERATION_LABELS: Record<Operation, string> = { read: 'Read', insert: 'Add', update: 'Edit', delete: 'Delete' }

/** What visitors may do, each as a short phrase (empty: nothing). */
export function policyParts (p: Policy): string[] {
  return OPERATIONS.map(op => SHORT[op][p[op] as never] as string | null).filter((s): s is string => s != null)
}

export function policySummary (p: Policy): string {
  const parts = policyParts(p)
  return parts.length === 0 ? 'Visitors: no access (only you)' : `Visitors: ${parts.join(' · ')}`
}

export function policySentence (p: Policy, op: Operation): string {
  return LONG[op][p[op] as never] as string
}

/**
 * Where a table's schema came from, for a badge: the owner's own (through this page or the admin
 * API: `admin`, `owner`), a schema file (`file:notes.json`, from `goop data apply`) or a template
 * (`template:blog`). `mine`: declared by hand, so the list shows no badge for it.
 */
export function sourceLabel (source: string): { label: string, title: string, mine: boolean } {
  if (source === 'owner' || source === 'admin') return { label: 'Yours', title: 'Declared by you, here or through the admin API', mine: true }
  if (source.startsWith('file:')) return { label: source.slice('file:'.length), title: `Applied from the file ${source.slice('file:'.length)} (goop data apply)`, mine: true }
  if (source.startsWith('template:')) return { label: `Template ${source.slice('template:'.length)}`, title: `Declared by the template ${source.slice('template:'.length)}`, mine: false }
  return { label: source, title: `Declared by ${source}`, mine: false }
}

/** A backup's file name (the server may give a path; the file is in the peer's backups/ folder either way). */
export const backupFile = (path: string): string => path.split(/[\\/]/).pop() ?? path

const fmtNumber = (n: number): string => n.toLocaleString()

/** The limits a column sets, as short phrases ("≤ 80 characters", "0 – 5", "one of a, b"). */
export function columnLimits (c: Column): string[] {
  const out: string[] = []
  if (c.minLength != null && c.minLength > 0) out.push(`≥ ${fmtNumber(c.minLength)} characters`)
  if (c.maxLength != null) out.push(c.type === 'json' ? `≤ ${fmtNumber(c.maxLength)} bytes` : `≤ ${fmtNumber(c.maxLength)} characters`)
  if (c.min != null && c.max != null) out.push(`${fmtNumber(c.min)} – ${fmtNumber(c.max)}`)
  else if (c.min != null) out.push(`≥ ${fmtNumber(c.min)}`)
  else if (c.max != null) out.push(`≤ ${fmtNumber(c.max)}`)
  if (c.enum != null) out.push(`one of ${c.enum.map(v => String(v)).join(', ')}`)
  if (c.default !== undefined) out.push(`default ${JSON.stringify(c.default)}`)
  if (c.unique === true) out.push('unique')
  if (c.index === true) out.push('indexed')
  return out
}

export const TYPE_LABELS: Record<ColumnDef['type'], string> = {
  text: 'text', integer: 'integer', real: 'number', boolean: 'yes/no', datetime: 'date & time', json: 'JSON'
}

const dateFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false })

/** An ISO timestamp as a short local date and time (the raw text if it is not one). */
export function formatDate (v: string): string {
  const t = Date.parse(v)
  return Number.isNaN(t) ? v : dateFmt.format(t)
}

/** A value as one line of text for a cell (the full value goes in its title). */
export function cellText (v: Value | undefined, type: ColumnDef['type'] | 'system'): string {
  if (v === null || v === undefined) return ''
  if (type === 'boolean' || typeof v === 'boolean') return v === true || v === 1 ? 'yes' : 'no'
  if (type === 'datetime' && typeof v === 'string') return formatDate(v)
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}
