import type { DataSchemaInput, TableDefInput } from '@goop/sdk'
import { useState } from 'preact/hooks'
import { ApiError } from './api.js'
import { applySchema, type TableInfo, type ApplyReport } from './db-api.js'
import { backupFile } from './db-format.js'
import { db, refreshTables, selectTable } from './db-store.js'
import { Modal } from './modal.js'
import { toast } from './toast.js'

/**
 * "Apply schema": the owner pastes or edits a schema (the same JSON as `goop data apply FILE` and a
 * template's tables) and sees what it did to each table. A change that would lose data is refused
 * by the server (409 `destructive`); the dialog says what would be lost and offers to go on, in
 * which case the server saves the rows to a backup file first and names it in the report.
 */

/** A table as it would be declared again (the list adds `name`, `source` and `rows`, a schema has none of them). */
export function tableDef (t: TableInfo): TableDefInput {
  const columns: TableDefInput['columns'] = {}
  for (const { name, ...def } of t.columns) columns[name] = def
  return { ...(t.description != null ? { description: t.description } : {}), columns, policy: t.policy }
}

export const schemaText = (tables: TableInfo[]): string =>
  JSON.stringify({ tables: Object.fromEntries(tables.map(t => [t.name, tableDef(t)])) }, null, 2)

const EXAMPLE: DataSchemaInput = {
  tables: {
    notes: {
      description: 'Notes that visitors leave on this site',
      columns: {
        text: { type: 'text', required: true, maxLength: 500 },
        done: { type: 'boolean', default: false },
        stars: { type: 'integer', min: 0, max: 5 }
      },
      policy: { read: 'open', insert: 'open', update: 'author', delete: 'author' }
    }
  }
}
const EXAMPLE_TEXT = JSON.stringify(EXAMPLE, null, 2)

/** Where a JSON.parse error points, as line and column (browsers give a character position). */
function parseError (text: string, err: Error): string {
  const m = /position (\d+)/.exec(err.message)
  if (m == null) return err.message
  const before = text.slice(0, Number(m[1]))
  const line = before.split('\n').length
  const col = before.length - before.lastIndexOf('\n')
  return `${err.message.replace(/ in JSON at position \d+.*$/, '')} (line ${line}, column ${col})`
}

/**
 * The server's refusal, without what the dialog already says around it: its opening ("this schema
 * change would lose data —") and its advice for the command line ("Apply it with --force …"), which
 * here is the button.
 */
export function whatWouldBeLost (message: string): string {
  const core = message.replace(/^this schema change would lose data\s*[—:-]?\s*/i, '').replace(/\s*Apply it with --force[\s\S]*$/, '').trim()
  return core === '' ? message : core.charAt(0).toUpperCase() + core.slice(1)
}

export function SchemaDialog (props: { onClose: () => void }) {
  const s = db.get()
  const open = s.tables?.find(t => t.name === s.selected)
  const [text, setText] = useState(() => open != null ? schemaText([open]) : EXAMPLE_TEXT)
  const [error, setError] = useState<string | null>(null)
  const [destructive, setDestructive] = useState<string | null>(null)
  const [report, setReport] = useState<ApplyReport | null>(null)
  const [busy, setBusy] = useState(false)

  const apply = async (force: boolean): Promise<void> => {
    let schema: DataSchemaInput
    try {
      schema = JSON.parse(text) as DataSchemaInput
    } catch (err) {
      setError(`This is not valid JSON: ${parseError(text, err as Error)}`)
      return
    }
    if (typeof schema !== 'object' || schema == null || typeof schema.tables !== 'object' || schema.tables == null) {
      setError('A schema is an object with "tables": { "name": { "columns": { … }, "policy": { … } } }.')
      return
    }
    setBusy(true)
    setError(null)
    try {
      const r = await applySchema(schema, force)
      setReport(r)
      setDestructive(null)
      toast.info(r.tables.length === 1 ? `Applied the schema of ${r.tables[0].name}` : `Applied the schema (${r.tables.length} tables)`)
      await refreshTables()
      if (r.tables.length > 0 && db.get().selected == null) selectTable(r.tables[0].name)
      else if (db.get().selected != null && r.tables.some(t => t.name === db.get().selected)) selectTable(db.get().selected)
    } catch (err) {
      if (err instanceof ApiError && err.code === 'destructive') setDestructive(whatWouldBeLost(err.message))
      else setError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }

  return (
    <Modal id='schema-dialog' wide title='Apply a schema' onClose={props.onClose}>
      <form class='modal-form' noValidate onSubmit={(e) => { e.preventDefault(); void apply(false) }}>
        <div class='modal-body'>
          {report == null
            ? (
              <>
                <p class='muted'>
                  Declare tables, their columns and what visitors may do. Tables named here are created, or changed to match;
                  other tables stay as they are. The same file works with <code>goop data apply</code>.
                </p>
                <div class='schema-tools'>
                  <label for='schema-text' class='field-label-text'>Schema (JSON)</label>
                  <span class='grow' />
                  {open != null && <button type='button' class='link-btn' onClick={() => { setText(schemaText([open])); setError(null) }}>This table</button>}
                  {(s.tables?.length ?? 0) > 0 && <button type='button' class='link-btn' onClick={() => { setText(schemaText(s.tables ?? [])); setError(null) }}>All tables</button>}
                  <button type='button' class='link-btn' onClick={() => { setText(EXAMPLE_TEXT); setError(null) }}>Example</button>
                </div>
                <textarea id='schema-text' class='input code-input schema-text' spellcheck={false} autocomplete='off' rows={18} value={text}
                  aria-invalid={error != null} aria-describedby={error != null ? 'schema-error' : undefined}
                  onInput={(e) => { setText((e.target as HTMLTextAreaElement).value); setError(null); setDestructive(null) }} />
                {error != null && <p id='schema-error' class='form-error' role='alert'>{error}</p>}
                {destructive != null && (
                  <div id='schema-destructive' class='notice warn-box' role='alert'>
                    <p><strong>This change would lose data.</strong> {destructive}</p>
                    <p>If you go on, the affected rows are first saved to a backup file in this peer's folder (its name is shown next), then the change is made.</p>
                  </div>
                )}
              </>
              )
            : <Report report={report} />}
        </div>
        <div class='dialog-actions modal-actions'>
          {report == null
            ? (
              <>
                <button type='button' class='btn' onClick={props.onClose}>Cancel</button>
                {destructive != null
                  ? <button type='button' class='btn danger' id='schema-force' disabled={busy} onClick={() => { void apply(true) }}>Back up and apply</button>
                  : <button type='submit' class='btn primary' id='schema-apply' disabled={busy}>{busy ? 'Applying…' : 'Apply'}</button>}
              </>
              )
            : (
              <>
                <button type='button' class='btn' onClick={() => { setReport(null) }}>Edit again</button>
                <button type='button' class='btn primary' id='schema-done' onClick={props.onClose}>Done</button>
              </>
              )}
        </div>
      </form>
    </Modal>
  )
}

const ACTIONS: Record<string, string> = { create: 'Created', created: 'Created', migrate: 'Changed', migrated: 'Changed', alter: 'Changed', altered: 'Changed', unchanged: 'Unchanged', none: 'Unchanged' }

function Report ({ report }: { report: ApplyReport }) {
  return (
    <div id='schema-report' class='schema-report' role='status'>
      <ul>
        {report.tables.map(t => (
          <li key={t.name} data-table={t.name}>
            <div class='report-head'>
              <span class='mono strong'>{t.name}</span>
              <span class={`badge action-${t.action}`}>{ACTIONS[t.action] ?? t.action}</span>
            </div>
            {t.changes.length > 0 && <ul class='changes'>{t.changes.map((c, i) => <li key={i}>{c}</li>)}</ul>}
          </li>
        ))}
      </ul>
      {report.backup != null && (
        <p class='backup'>
          The data was saved first to <code id='schema-backup'>{backupFile(report.backup)}</code> in this peer's <code>backups/</code> folder
          (<code>goop data restore</code> puts it back).
        </p>
      )}
    </div>
  )
}
