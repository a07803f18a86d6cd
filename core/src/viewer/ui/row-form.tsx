import type { ColumnDef, Row, Value } from '@goop/sdk'
import { useEffect, useState } from 'preact/hooks'
import { ApiError } from './api.js'
import { dataOp, type TableInfo } from './db-api.js'
import { columnLimits, formatDate, TYPE_LABELS } from './db-format.js'
import { afterChange, toastError } from './db-store.js'
import { onDataChanged } from './data.js'
import { confirmDialog } from './dialog.js'
import { shortId } from './format.js'
import { IconTrash } from './icons.js'
import { Modal } from './modal.js'
import { getState } from './store.js'
import { toast } from './toast.js'

/**
 * Add or edit one row, as the owner: a field per column, by its type. The page checks only what it
 * must to build the request (a number, a date, JSON that parses); the limits (required, ranges,
 * lengths, choices, unique) are the server's to check, so its message is the one a person reads, the
 * same one a visitor's page would get.
 */

type Column = { name: string } & ColumnDef
/** A field's state: text for inputs and text areas, a boolean for a checkbox. */
type Draft = Record<string, string | boolean>

/** Errors that are about the values given: shown next to the form, not as a toast. */
const VALIDATION = new Set(['bad_value', 'bad_request', 'conflict', 'unknown_column', 'too_large'])

const pad = (n: number): string => String(n).padStart(2, '0')

/** An ISO timestamp as a datetime-local field's value (local time, to the second). */
function toLocalInput (iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

function toDraft (c: Column, v: Value | undefined): string | boolean {
  if (c.type === 'boolean') return v === true
  if (v === undefined || v === null) return ''
  if (c.type === 'datetime' && typeof v === 'string') return toLocalInput(v)
  if (c.type === 'json') return JSON.stringify(v, null, 2)
  return String(v)
}

/** A field's draft as the value to send, or why it cannot be sent. */
function fromDraft (c: Column, d: string | boolean): { value: Value } | { error: string } {
  if (typeof d === 'boolean') return { value: d }
  if (d === '' && c.type !== 'text') return { value: null }
  switch (c.type) {
    case 'text': return { value: d === '' && c.required !== true ? null : d }
    case 'integer':
    case 'real': {
      const n = Number(d)
      return Number.isFinite(n) ? { value: n } : { error: 'Enter a number.' }
    }
    case 'datetime': {
      const t = new Date(d)
      return Number.isNaN(t.getTime()) ? { error: 'Enter a date and time.' } : { value: t.toISOString() }
    }
    case 'json':
      try {
        return { value: JSON.parse(d) as Value }
      } catch (err) {
        return { error: `This is not valid JSON: ${(err as Error).message}` }
      }
    default: return { value: d }
  }
}

/**
 * The column a server message is about: the server's messages start with where the problem is
 * (`notes.stars is 9; the largest value allowed is 5`), so the column named first wins.
 */
function columnOf (message: string, columns: Column[]): string | null {
  let best: { name: string, at: number } | null = null
  for (const c of columns) {
    const at = message.search(new RegExp(`(^|[^a-z0-9_])${c.name}([^a-z0-9_]|$)`))
    if (at >= 0 && (best == null || at < best.at || (at === best.at && c.name.length > best.name.length))) best = { name: c.name, at }
  }
  return best?.name ?? null
}

function initialDraft (table: TableInfo, row: Row | null): Draft {
  const d: Draft = {}
  for (const c of table.columns) d[c.name] = toDraft(c, row != null ? row[c.name] : c.default as Value | undefined)
  return d
}

export function RowForm (props: { table: TableInfo, row: Row | null, onClose: () => void }) {
  const { table, row } = props
  const [start] = useState(() => initialDraft(table, row))
  const [draft, setDraft] = useState<Draft>(start)
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({})
  const [formError, setFormError] = useState<string | null>(null)
  const [saving, setSaving] = useState(false)
  const [elsewhere, setElsewhere] = useState<'update' | 'delete' | null>(null)
  const self = getState().self?.peerId
  const formId = 'row-form'

  // Someone else changes this row while it is open: say so, rather than overwrite it unknowingly.
  useEffect(() => onDataChanged((e) => {
    if (row != null && e != null && e.table === table.name && e._id === row._id && (e.op === 'update' || e.op === 'delete')) setElsewhere(e.op)
  }), [])

  const set = (name: string, v: string | boolean): void => {
    setDraft(d => ({ ...d, [name]: v }))
    setFieldErrors(e => Object.fromEntries(Object.entries(e).filter(([k]) => k !== name)))
    setFormError(null)
  }

  const submit = async (e?: Event): Promise<void> => {
    e?.preventDefault()
    if (saving) return
    const values: Record<string, Value> = {}
    const errors: Record<string, string> = {}
    for (const c of table.columns) {
      const d = draft[c.name]
      // An edit sends only what changed; a new row leaves empty fields out, so defaults apply.
      if (row != null ? d === start[c.name] : d === '') continue
      const r = fromDraft(c, d)
      if ('error' in r) errors[c.name] = r.error
      else values[c.name] = r.value
    }
    setFieldErrors(errors)
    if (Object.keys(errors).length > 0) { setFormError('Some fields need a look.'); return }
    if (row != null && Object.keys(values).length === 0) { toast.info('Nothing changed'); props.onClose(); return }
    setSaving(true)
    try {
      const res = row != null
        ? await dataOp({ op: 'update', table: table.name, id: row._id, values })
        : await dataOp({ op: 'insert', table: table.name, values })
      toast.info(row != null ? `Saved row ${res.row._id}` : `Added row ${res.row._id} to ${table.name}`)
      props.onClose()
      void afterChange()
    } catch (err) {
      setSaving(false)
      const ae = err instanceof ApiError ? err : null
      if (ae?.code != null && VALIDATION.has(ae.code)) {
        const col = columnOf(ae.message, table.columns)
        // Next to its field when the message names one (the full text there), else under the form.
        if (col != null) setFieldErrors({ [col]: ae.message })
        setFormError(col != null ? `Not saved: check ${col}.` : ae.message)
        document.getElementById(col != null ? `field-${col}` : 'row-form-error')?.focus()
      } else {
        toastError(row != null ? `Could not save row ${row._id}` : 'Could not add the row', err)
      }
    }
  }

  // Closing (Escape, ×, Cancel) with fields changed asks first, as the site editor does for a draft.
  const close = async (): Promise<void> => {
    const dirty = table.columns.some(c => draft[c.name] !== start[c.name])
    if (dirty && !await confirmDialog({
      title: 'Discard your changes?',
      body: <p>{row != null ? `The changes to row ${row._id} are not saved.` : 'This row is not added yet.'}</p>,
      confirm: 'Discard',
      cancel: 'Keep editing',
      danger: true
    })) return
    props.onClose()
  }

  const remove = async (): Promise<void> => {
    if (row == null) return
    if (!await confirmRowDelete(table.name, row._id)) return
    props.onClose()
    await deleteRow(table.name, row._id)
  }

  return (
    <Modal id='row-dialog' wide title={row != null ? `Edit row ${row._id}` : `Add a row to ${table.name}`} onClose={() => { void close() }}>
      <form id={formId} class='modal-form' noValidate aria-busy={saving}
        onSubmit={(e) => { void submit(e) }}
        onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit(e) }}>
        <div class='modal-body'>
          {row != null && (
            <p class='row-meta small-text muted'>
              In <strong>{table.name}</strong> · added by <span title={row._author}>{row._author === self ? 'you' : shortId(row._author)}</span>
              {' '}· {formatDate(row._created)}{row._updated !== row._created && <> · edited {formatDate(row._updated)}</>}
            </p>
          )}
          {elsewhere != null && (
            <div class='notice warn' role='alert'>
              {elsewhere === 'delete' ? 'This row was deleted elsewhere.' : 'This row was just changed elsewhere. Saving replaces the fields you changed.'}
            </div>
          )}
          {table.columns.length === 0 && <p class='muted'>This table has no columns of its own: a row holds only its ID, author and times.</p>}
          {table.columns.map(c => (
            <Field key={c.name} c={c} value={draft[c.name]} error={fieldErrors[c.name]} onChange={(v) => { set(c.name, v) }} />
          ))}
        </div>
        {formError != null && <p id='row-form-error' class='form-error' role='alert' tabIndex={-1}>{formError}</p>}
        <div class='dialog-actions modal-actions'>
          {row != null && <button type='button' class='btn danger-outline' id='row-delete' onClick={() => { void remove() }}><IconTrash /> Delete row</button>}
          <span class='grow' />
          <button type='button' class='btn' onClick={() => { void close() }}>Cancel</button>
          <button type='submit' class='btn primary' id='row-save' disabled={saving} aria-keyshortcuts='Control+Enter Meta+Enter'>
            {saving ? 'Saving…' : row != null ? 'Save' : 'Add row'}
          </button>
        </div>
      </form>
    </Modal>
  )
}

/** One column's field: its label, a control fit for its type, what it accepts and the error. */
function Field (props: { c: Column, value: string | boolean, error?: string, onChange: (v: string | boolean) => void }) {
  const { c, value, error } = props
  const id = `field-${c.name}`
  const hintId = `${id}-hint`
  const errId = `${id}-error`
  const limits = columnLimits(c).filter(l => !l.startsWith('one of'))
  const describedBy = [error != null ? errId : '', hintId].filter(Boolean).join(' ')
  const common = { id, name: c.name, 'aria-invalid': error != null, 'aria-describedby': describedBy, 'aria-required': c.required === true }
  const text = typeof value === 'string' ? value : ''
  const onText = (e: Event): void => { props.onChange((e.target as HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement).value) }

  let control
  if (c.type === 'boolean') {
    control = (
      <label class='check'>
        <input type='checkbox' {...common} checked={value === true} onChange={(e) => { props.onChange((e.target as HTMLInputElement).checked) }} />
        <span>{value === true ? 'Yes' : 'No'}</span>
      </label>
    )
  } else if (c.enum != null) {
    control = (
      <select class='input' {...common} value={text} onChange={onText}>
        {(c.required !== true || text === '') && <option value=''>{c.required === true ? 'Choose…' : '(none)'}</option>}
        {c.enum.map(v => <option key={String(v)} value={String(v)}>{String(v)}</option>)}
      </select>
    )
  } else if (c.type === 'integer' || c.type === 'real') {
    control = <input type='number' class='input' {...common} value={text} step={c.type === 'integer' ? 1 : 'any'} min={c.min} max={c.max} inputMode={c.type === 'integer' ? 'numeric' : 'decimal'} onInput={onText} />
  } else if (c.type === 'datetime') {
    control = <input type='datetime-local' class='input' {...common} value={text} step={1} onInput={onText} />
  } else if (c.type === 'json') {
    control = <textarea class='input code-input' {...common} rows={Math.min(10, Math.max(3, text.split('\n').length))} spellcheck={false} value={text} onInput={onText} />
  } else if (c.maxLength != null && c.maxLength <= 120) {
    control = <input type='text' class='input' {...common} value={text} autocomplete='off' onInput={onText} />
  } else {
    control = <textarea class='input' {...common} rows={Math.min(8, Math.max(2, Math.ceil(text.length / 70), text.split('\n').length))} value={text} onInput={onText} />
  }

  return (
    <div class={`form-field${error != null ? ' invalid' : ''}`} data-column={c.name}>
      <div class='field-label'>
        <span><label for={id} class='mono'>{c.name}</label>{c.required === true && <span class='req' aria-hidden='true'> *</span>}</span>
        <span class='field-type'>{TYPE_LABELS[c.type]}{c.required === true ? ' · required' : ''}</span>
      </div>
      {control}
      <div class='field-foot'>
        {error != null && <span id={errId} class='field-error'>{error}</span>}
        <span id={hintId} class='field-hint'>
          {c.description}{c.description != null && limits.length > 0 ? ' · ' : ''}{limits.join(' · ')}
          {c.type === 'text' && c.maxLength != null && <span class='counter'> ({text.length}/{c.maxLength})</span>}
        </span>
      </div>
    </div>
  )
}

export async function confirmRowDelete (table: string, id: number): Promise<boolean> {
  return await confirmDialog({
    title: `Delete row ${id}?`,
    body: <p>Row <strong>{id}</strong> is removed from <strong>{table}</strong>, for you and for every visitor. This cannot be undone.</p>,
    confirm: 'Delete row',
    danger: true
  })
}

export async function deleteRow (table: string, id: number): Promise<void> {
  try {
    await dataOp({ op: 'delete', table, id })
    toast.info(`Deleted row ${id}`)
  } catch (err) {
    toastError(`Could not delete row ${id}`, err)
  }
  await afterChange()
}
