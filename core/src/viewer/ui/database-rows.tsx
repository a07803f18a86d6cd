import type { ColumnDef, Row } from '@goop/sdk'
import type { TableInfo } from './db-api.js'
import { cellText, formatDate, TYPE_LABELS } from './db-format.js'
import { db, loadRows, nextPage, PAGE_SIZE, pageIndex, prevPage, toggleSort, type DbState } from './db-store.js'
import { Empty } from './components.js'
import { displayName, shortId } from './format.js'
import { IconChevronLeft, IconChevronRight, IconEdit, IconPlus, IconTable, IconTrash } from './icons.js'
import { confirmRowDelete, deleteRow } from './row-form.js'
import { useStore } from './store.js'

/**
 * The open table's rows, a page of PAGE_SIZE at a time: the table's own columns between the row ID
 * and who wrote it when, each row editable and deletable. Paging follows the server's cursor
 * forward and the page's remembered cursors back (db-store.ts).
 */

const MAX_CELL = 120

/** Who wrote a row: "you", a known peer's name, or its short ID. */
function useAuthor (): (peerId: string) => string {
  const s = useStore()
  return (peerId) => {
    if (peerId === s.self?.peerId) return 'you'
    const p = s.peers.get(peerId)
    return p != null ? displayName(p) : shortId(peerId)
  }
}

function Cell (props: { v: Row[string], type: ColumnDef['type'] }) {
  const { v, type } = props
  if (v === null || v === undefined) return <td class='cell-null'><span class='muted' aria-label='empty'>–</span></td>
  const text = cellText(v, type)
  const full = typeof v === 'object' ? JSON.stringify(v, null, 2) : String(v)
  const cls = type === 'integer' || type === 'real' ? 'cell-num' : type === 'json' ? 'cell-json mono' : type === 'boolean' ? `cell-bool ${v === true ? 'yes' : 'no'}` : ''
  return <td class={cls} title={full.length > 0 && (text !== full || text.length > 40) ? full : undefined}>{text.length > MAX_CELL ? text.slice(0, MAX_CELL) + '…' : text}</td>
}

function SortHeader (props: { s: DbState, column: string, label: string, title?: string, cls?: string, sortable?: boolean }) {
  const { s, column } = props
  // JSON values have no order the server can sort by.
  if (props.sortable === false) return <th scope='col' class={props.cls} title={props.title}><span class='sort-btn plain'>{props.label}</span></th>
  const dir = s.sort?.column === column ? s.sort.dir : column === '_id' && s.sort == null ? 'asc' : null
  return (
    <th scope='col' class={props.cls} aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none'}>
      <button type='button' class='sort-btn' title={props.title} onClick={() => { toggleSort(column) }}>
        {props.label}<span class='sort-mark' aria-hidden='true'>{dir === 'asc' ? '↑' : dir === 'desc' ? '↓' : ''}</span>
      </button>
    </th>
  )
}

export function Pager (props: { s: DbState, total: number, id?: string }) {
  const { s, total } = props
  const first = pageIndex(s) * PAGE_SIZE
  const shown = s.rows?.length ?? 0
  return (
    <div class='pager' id={props.id}>
      <span class='pager-text' aria-live='polite'>
        {shown === 0 ? 'No rows' : `Rows ${(first + 1).toLocaleString()}–${(first + shown).toLocaleString()} of ${Math.max(total, first + shown).toLocaleString()}`}
      </span>
      <button type='button' class='btn small' data-page='prev' onClick={prevPage} disabled={pageIndex(s) === 0 || s.loadingRows} aria-label='Previous page'><IconChevronLeft /> Previous</button>
      <button type='button' class='btn small' data-page='next' onClick={nextPage} disabled={s.next == null || s.loadingRows} aria-label='Next page'>Next <IconChevronRight /></button>
    </div>
  )
}

export function RowsView (props: { table: TableInfo, onEdit: (row: Row) => void, onAdd: () => void }) {
  const { table } = props
  const s = db.use()
  const author = useAuthor()

  if (s.rowsError != null) {
    return (
      <div class='notice' role='alert'>
        <p>Could not read the rows of {table.name}: {s.rowsError}</p>
        <button type='button' class='btn small' onClick={() => { void loadRows() }}>Try again</button>
      </div>
    )
  }
  if (s.rows == null) return <div class='loading'>Loading rows…</div>
  if (s.rows.length === 0 && pageIndex(s) === 0) {
    return (
      <Empty icon={<IconTable />} title={`${table.name} has no rows yet`}>
        <p>Rows appear here as you or your site's visitors add them{table.policy.insert === 'open' ? '' : ' (visitors may not add rows to this table)'}.</p>
        <button type='button' class='btn primary' onClick={props.onAdd}><IconPlus /> Add the first row</button>
      </Empty>
    )
  }

  return (
    <>
      <div class='grid-wrap' tabIndex={0} role='region' aria-label={`Rows of ${table.name}`}>
        <table class='db-grid' id='db-rows' aria-busy={s.loadingRows}>
          <thead>
            <tr>
              <SortHeader s={s} column='_id' label='#' title='Row ID' cls='col-id' />
              {table.columns.map(c => <SortHeader key={c.name} s={s} column={c.name} label={c.name} title={TYPE_LABELS[c.type]} sortable={c.type !== 'json'} cls={c.type === 'integer' || c.type === 'real' ? 'cell-num' : undefined} />)}
              <SortHeader s={s} column='_author' label='Added by' />
              <SortHeader s={s} column='_updated' label='Updated' />
              <th scope='col' class='col-actions'><span class='offscreen'>Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {s.rows.map(r => (
              <tr key={r._id} data-row={r._id} class={s.fresh.includes(r._id) ? 'fresh' : undefined}>
                <td class='col-id'><button type='button' class='link-btn mono' aria-label={`Edit row ${r._id}`} onClick={() => { props.onEdit(r) }}>{r._id}</button></td>
                {table.columns.map(c => <Cell key={c.name} v={r[c.name]} type={c.type} />)}
                <td class='cell-author' title={r._author}>{author(r._author)}</td>
                <td class='cell-date' title={r._updated}>{formatDate(r._updated)}</td>
                <td class='col-actions'>
                  <div class='row-actions'>
                    <button type='button' class='icon-btn' data-action='edit' aria-label={`Edit row ${r._id}`} title='Edit' onClick={() => { props.onEdit(r) }}><IconEdit /></button>
                    <button type='button' class='icon-btn danger-hover' data-action='delete' aria-label={`Delete row ${r._id}`} title='Delete'
                      onClick={() => { void (async () => { if (await confirmRowDelete(table.name, r._id)) await deleteRow(table.name, r._id) })() }}><IconTrash /></button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager s={s} total={table.rows} id='db-pager' />
    </>
  )
}
