// The server side of this app. It runs on the site owner's peer, in a sandbox (an isolate with no
// files, no network, a memory cap and a deadline per call). Every exported function can be called by
// a page with goop.call(name, args); goop.caller is the visitor's peer ID, as its connection proved
// it (nothing a page sends can change it).
//
// The host API is the global `goop` (typed by @goop/plugin-js/logic, see tsconfig.json): goop.db
// (acts for the caller, so the tables' policies hold), goop.db.owner (acts as the owner: only where
// the logic means to), goop.kv, goop.mq, goop.log, goop.now(). Nothing survives between calls but
// what goop.db and goop.kv store. Other files of logic/ are imported with relative paths.
import type { Row } from '@goop/sdk'

const MAX_LENGTH = 280
const MAX_NOTES_PER_VISITOR = 20

/**
 * addNote({ text }): check the note, then store it with its writer. The table lets only the owner
 * insert (goop-template.json), so this function is the one way in for visitors: its checks cannot
 * be skipped by writing to the table directly.
 */
export async function addNote (args: unknown): Promise<Row> {
  const raw = typeof args === 'object' && args !== null && 'text' in args ? args.text : undefined
  if (typeof raw !== 'string') throw new Error('send { text: "…" }')
  const text = raw.trim()
  if (text.length === 0 || [...text].length > MAX_LENGTH) throw new Error(`a note is 1 to ${MAX_LENGTH} characters`)
  const mine = await goop.db.owner.count('notes', { column: 'by', op: 'eq', value: goop.caller })
  if (mine.count >= MAX_NOTES_PER_VISITOR) throw new Error(`you have left ${MAX_NOTES_PER_VISITOR} notes already`)
  const { row } = await goop.db.owner.insert('notes', { text, by: goop.caller })
  goop.log('note added', { id: row._id })
  return row
}
