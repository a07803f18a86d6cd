import type { Row } from '@goop/sdk'
import { useEffect, useState } from 'preact/hooks'
import { Badge, Empty } from './components.js'
import { dropTable, type TableInfo } from './db-api.js'
import { backupFile, policyParts, policySummary, sourceLabel } from './db-format.js'
import { db, refreshTables, selectedTable, selectTable, toastError } from './db-store.js'
import { RowsView } from './database-rows.js'
import { confirmDialog } from './dialog.js'
import { IconDatabase, IconPlus, IconTable, IconTrash } from './icons.js'
import { RowForm } from './row-form.js'
import { SchemaDialog } from './schema-dialog.js'
import { useStore } from './store.js'
import { TableSchema } from './table-schema.js'
import { toast } from './toast.js'

/**
 * The Database page: this peer's tables (the data plugin's `/api/x/data/*`), each with its columns,
 * its policy in plain words and its rows, which the owner pages through, edits, adds and deletes.
 * The address names the open table (`#database/notes`), so a reload or a bookmark comes back to it.
 */

const tableFromHash = (): string | null => {
  const m = /^#\/?database\/(.+)$/.exec(location.hash)
  return m != null ? decodeURIComponent(m[1]) : null
}

function open (name: string): void {
  history.replaceState(null, '', `#database/${encodeURIComponent(name)}`)
  selectTable(name)
}

async function drop (t: TableInfo): Promise<void> {
  const ok = await confirmDialog({
    title: `Drop table ${t.name}?`,
    body: <>
      <p><strong>{t.name}</strong> and its {t.rows === 1 ? '1 row' : `${t.rows.toLocaleString()} rows`} are removed, for you and for every visitor. Pages of your site that use it stop finding it.</p>
      <p>The rows are saved to a backup file in this peer's folder first.</p>
    </>,
    confirm: 'Drop table',
    danger: true
  })
  if (!ok) return
  try {
    const { backup } = await dropTable(t.name)
    db.set({ notice: { text: `Dropped ${t.name}.`, file: backup != null ? backupFile(backup) : undefined } })
    toast.info(`Dropped ${t.name}`)
    history.replaceState(null, '', '#database')
    selectTable(null)
  } catch (err) {
    toastError(`Could not drop ${t.name}`, err)
  }
  await refreshTables()
}

export function DatabaseScreen (props: { go: (screen: string) => void }) {
  const s = useStore()
  const d = db.use()
  /** The row form: a row to edit, 'new' to add one, null when closed. */
  const [editing, setEditing] = useState<Row | 'new' | null>(null)
  const [schemaOpen, setSchemaOpen] = useState(false)
  const plugin = s.plugins.find(p => p.name === 'data')
  const running = plugin?.state === 'running'

  // Open the table the address names, then load (again: rows may have changed while away).
  useEffect(() => {
    const named = tableFromHash()
    const selected = db.get().selected
    if (named != null && named !== selected) db.set({ selected: named, rows: null })
    else if (named == null && selected != null) history.replaceState(null, '', `#database/${encodeURIComponent(selected)}`)
    const onHash = (): void => { const n = tableFromHash(); if (n != null && n !== db.get().selected) selectTable(n) }
    window.addEventListener('hashchange', onHash)
    return () => { window.removeEventListener('hashchange', onHash) }
  }, [])
  useEffect(() => {
    if (!running) return
    void refreshTables()
  }, [running])

  const table = selectedTable(d)
  const totalRows = (d.tables ?? []).reduce((n, t) => n + t.rows, 0)

  if (s.plugins.length > 0 && !running) {
    return (
      <div class='screen narrow-screen'>
        <section class='panel' aria-labelledby='db-title'>
          <div class='panel-head'><div><h1 id='db-title'>Database</h1></div></div>
          <div class='notice' id='db-off'>
            <p>
              {plugin == null
                ? 'This peer has no data plugin, so it has no database.'
                : plugin.state === 'failed'
                  ? <>The <strong>data</strong> plugin failed to start{plugin.error != null ? `: ${plugin.error}` : '.'}</>
                  : plugin.state === 'starting'
                    ? <>The <strong>data</strong> plugin is starting…</>
                    : <>The <strong>data</strong> plugin is off, so this peer has no database: your site's pages cannot store anything, and visitors cannot read or add rows.</>}
            </p>
            {plugin != null && plugin.state !== 'starting' && <button type='button' class='btn' onClick={() => { props.go('plugins') }}>Go to Plugins</button>}
          </div>
        </section>
      </div>
    )
  }

  return (
    <div class='screen db-screen'>
      {d.notice != null && (
        <div class='notice ok-box db-notice' id='db-notice' role='status'>
          <span>{d.notice.text}{d.notice.file != null && <> Its rows were saved to <code id='db-backup'>{d.notice.file}</code> in this peer's <code>backups/</code> folder (<code>goop data restore</code> puts them back).</>}</span>
          <button type='button' class='link-btn' onClick={() => { db.set({ notice: null }) }}>Dismiss</button>
        </div>
      )}
      <section class='panel tables-panel' aria-labelledby='db-title'>
        <div class='panel-head'>
          <div>
            <h1 id='db-title'>Database</h1>
            <p class='sub'>{d.tables == null ? 'Tables your site and its visitors use' : `${d.tables.length} ${d.tables.length === 1 ? 'table' : 'tables'} · ${totalRows.toLocaleString()} ${totalRows === 1 ? 'row' : 'rows'}`}</p>
          </div>
        </div>
        <button type='button' class='btn block-btn' id='db-apply-schema' onClick={() => { setSchemaOpen(true) }} disabled={d.tables == null}><IconPlus /> Apply schema</button>
        {d.error != null
          ? <div class='notice' role='alert'><p>Could not list the tables: {d.error.message}</p><button type='button' class='btn small' onClick={() => { void refreshTables() }}>Try again</button></div>
          : d.tables == null
            ? <div class='loading'>Loading tables…</div>
            : d.tables.length === 0
              ? <p class='muted small-text tables-empty'>No tables yet.</p>
              : (
                <ul class='table-list' id='db-tables' aria-label='Tables'>
                  {d.tables.map(t => {
                    const active = t.name === d.selected
                    const parts = policyParts(t.policy)
                    return (
                      <li key={t.name} data-table={t.name} class={active ? 'active' : ''}>
                        <button type='button' class='table-row' aria-current={active ? 'true' : undefined} onClick={() => { open(t.name) }}>
                          <span class='table-row-top'>
                            <IconTable />
                            <span class='table-name mono'>{t.name}</span>
                            <span class='table-count' data-rows={t.rows}>{t.rows.toLocaleString()} {t.rows === 1 ? 'row' : 'rows'}</span>
                          </span>
                          <span class='table-policy' title={policySummary(t.policy)}>
                            <span class='policy-who'>Visitors:</span>{' '}
                            {parts.length === 0 ? <span class='pol none'>no access</span> : parts.map((p, i) => <span key={p}>{i > 0 && <span class='sep' aria-hidden='true'> · </span>}<span class='pol'>{p}</span></span>)}
                          </span>
                          {!sourceLabel(t.source).mine && <span class='table-source'><Badge kind='accent' title={sourceLabel(t.source).title}>{sourceLabel(t.source).label}</Badge></span>}
                        </button>
                      </li>
                    )
                  })}
                </ul>
                )}
      </section>

      <section class='panel table-panel' id='db-table' aria-labelledby={table != null ? 'db-table-title' : undefined} aria-label={table == null ? 'Table' : undefined}>
        {d.tables != null && d.tables.length === 0
          ? (
            <Empty icon={<IconDatabase />} title='No tables yet'>
              <p>A table holds rows your site's pages read and write with <code>goop.data</code>: notes, scores, sign-ups. Its schema says what each row holds and what visitors may do.</p>
              <button type='button' class='btn primary' onClick={() => { setSchemaOpen(true) }}>Apply a schema</button>
            </Empty>
            )
          : table == null
            ? (d.tables == null ? <div class='loading'>Loading…</div> : <Empty icon={<IconTable />} title='Pick a table on the left' />)
            : (
              <>
                <div class='table-head'>
                  <div class='table-title'>
                    <h2 id='db-table-title' class='mono'>{table.name}</h2>
                    <Badge kind={sourceLabel(table.source).mine ? 'neutral' : 'accent'} title={sourceLabel(table.source).title}>{sourceLabel(table.source).label}</Badge>
                    <span class='muted small-text' id='db-row-count'>{table.rows.toLocaleString()} {table.rows === 1 ? 'row' : 'rows'}</span>
                  </div>
                  <div class='table-actions'>
                    <button type='button' class='btn primary' id='db-add-row' onClick={() => { setEditing('new') }}><IconPlus /> Add row</button>
                    <button type='button' class='btn' id='db-edit-schema' onClick={() => { setSchemaOpen(true) }}>Edit schema</button>
                    <button type='button' class='icon-btn danger-hover' id='db-drop-table' aria-label={`Drop table ${table.name}`} title={`Drop table ${table.name}`} onClick={() => { void drop(table) }}><IconTrash /></button>
                  </div>
                </div>
                {table.description != null && <p class='table-desc'>{table.description}</p>}
                <TableSchema table={table} />
                <h3 class='rows-title'>Rows</h3>
                <RowsView key={table.name} table={table} onEdit={(r) => { setEditing(r) }} onAdd={() => { setEditing('new') }} />
              </>
              )}
      </section>

      {editing != null && table != null && (
        <RowForm key={editing === 'new' ? 'new' : editing._id} table={table} row={editing === 'new' ? null : editing} onClose={() => { setEditing(null) }} />
      )}
      {schemaOpen && <SchemaDialog onClose={() => { setSchemaOpen(false) }} />}
    </div>
  )
}
