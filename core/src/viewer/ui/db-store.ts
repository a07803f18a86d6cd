import type { Row } from '@goop/sdk'
import { ApiError } from './api.js'
import { dataOp, listTables, type TableInfo } from './db-api.js'
import { onDataChanged } from './data.js'
import { createStore } from './store.js'
import { toast } from './toast.js'

/**
 * What the Database page shows: the table list, the open table and the page of rows on screen. It
 * lives outside the screen (like the editor's draft), so a visit to another tab keeps the place.
 */

export const PAGE_SIZE = 50

export interface Sort { column: string, dir: 'asc' | 'desc' }

export interface DbState {
  tables: TableInfo[] | null
  /** Why the list could not be read (`not_found`: the data plugin is not running). */
  error: { code?: string, message: string } | null
  selected: string | null
  rows: Row[] | null
  rowsError: string | null
  loadingRows: boolean
  /**
   * The cursors of the pages walked so far: `pages[i]` loads page i (undefined: the first). The
   * server's cursor only goes forward, so "Previous" goes back by remembering the way here.
   */
  pages: Array<string | undefined>
  /** The cursor of the page after this one; undefined on the last page. */
  next: string | undefined
  sort: Sort | null
  /** A message that stays until dismissed (e.g. where a dropped table's rows were saved). */
  notice: { text: string, file?: string } | null
  /** Rows of the open table just added or changed (here or elsewhere): drawn highlighted for a moment. */
  fresh: number[]
}

export const db = createStore<DbState>({
  tables: null, error: null, selected: null, rows: null, rowsError: null, loadingRows: false, pages: [undefined], next: undefined, sort: null, notice: null, fresh: []
})

export const pageIndex = (s: DbState): number => s.pages.length - 1
export const selectedTable = (s: DbState): TableInfo | undefined => s.tables?.find(t => t.name === s.selected)

export async function refreshTables (): Promise<void> {
  try {
    const tables = (await listTables()).toSorted((a, b) => a.name.localeCompare(b.name))
    const s = db.get()
    // A table dropped elsewhere closes; the first table opens when none is chosen (or the chosen one is gone).
    const selected = s.selected != null && tables.some(t => t.name === s.selected) ? s.selected : tables[0]?.name ?? null
    db.set({ tables, error: null, selected })
    if (selected !== s.selected) {
      resetRows()
      if (selected != null) void loadRows()
    } else if (selected != null && db.get().rows == null && !db.get().loadingRows) {
      // Opened from the address, or back after the plugin was off: its rows are not loaded yet.
      void loadRows()
    }
  } catch (err) {
    const e = err as ApiError
    db.set({ tables: null, error: { code: e.code, message: e.message }, rows: null })
  }
}

let rowsSeq = 0

/** Load the page `db.get().pages` points at; a newer load makes an older answer moot. */
export async function loadRows (): Promise<void> {
  const s = db.get()
  const table = s.selected
  if (table == null) return
  const seq = ++rowsSeq
  const cursor = s.pages[s.pages.length - 1]
  db.set({ loadingRows: true })
  try {
    const res = await dataOp({
      op: 'query',
      table,
      limit: PAGE_SIZE,
      ...(cursor != null ? { cursor } : {}),
      ...(s.sort != null ? { order: [s.sort] } : {})
    })
    if (seq !== rowsSeq) return
    // Rows deleted under a later page can leave it empty: step back to the last page that has rows.
    if (res.rows.length === 0 && s.pages.length > 1) {
      db.set({ pages: s.pages.slice(0, -1) })
      await loadRows()
      return
    }
    db.set({ rows: res.rows, next: res.cursor, rowsError: null, loadingRows: false })
  } catch (err) {
    if (seq !== rowsSeq) return
    db.set({ rowsError: (err as Error).message, loadingRows: false })
  }
}

function resetRows (): void {
  rowsSeq++
  db.set({ rows: null, rowsError: null, pages: [undefined], next: undefined, sort: null, loadingRows: false })
}

export function selectTable (name: string | null): void {
  if (db.get().selected === name && db.get().rows != null) return
  db.set({ selected: name })
  resetRows()
  if (name != null) void loadRows()
}

export function nextPage (): void {
  const s = db.get()
  if (s.next == null || s.loadingRows) return
  db.set({ pages: [...s.pages, s.next] })
  void loadRows()
}

export function prevPage (): void {
  const s = db.get()
  if (s.pages.length <= 1 || s.loadingRows) return
  db.set({ pages: s.pages.slice(0, -1) })
  void loadRows()
}

/** Sort by a column: ascending, then descending, then back to the table's order (by row ID). */
export function toggleSort (column: string): void {
  const cur = db.get().sort
  const sort: Sort | null = cur?.column !== column ? { column, dir: 'asc' } : cur.dir === 'asc' ? { column, dir: 'desc' } : null
  rowsSeq++
  db.set({ sort, pages: [undefined], next: undefined })
  void loadRows()
}

/** Many changes in a burst (an import, a busy site) cause one reload, not many. */
function debounced (fn: () => Promise<void>, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  return () => {
    clearTimeout(timer)
    timer = setTimeout(() => { void fn() }, ms)
  }
}
const tablesSoon = debounced(refreshTables, 120)
const rowsSoon = debounced(loadRows, 120)

/** After a change made here: reload at once (the live event may come too; the debounce merges them). */
export async function afterChange (): Promise<void> {
  await Promise.all([refreshTables(), loadRows()])
}

// Live: rows changed by visitors, by the site's own pages or by `goop data`: the list's counts and
// the open page follow. Only once the page has loaded something (no calls for a page never opened).
onDataChanged((e) => {
  const s = db.get()
  if (s.tables == null && s.error == null) return
  tablesSoon()
  if (s.selected != null && (e == null || e.table === s.selected)) rowsSoon()
  if (e != null && e.table === s.selected && e.op !== 'delete') {
    const id = e._id
    db.set({ fresh: [...s.fresh, id] })
    setTimeout(() => { db.set({ fresh: db.get().fresh.filter(x => x !== id) }) }, 2500)
  }
})

/** An error of a change, as a toast (a validation error is shown in its form instead). */
export function toastError (what: string, err: unknown): void {
  toast.error(`${what}: ${(err as Error).message}`)
}
