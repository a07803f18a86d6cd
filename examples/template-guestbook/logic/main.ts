// The guestbook's server side. It runs on the site owner's peer, in a sandbox (an isolate with no
// files, no network, a memory cap and a deadline per call). Each exported function is something a
// page may ask for with goop.call(name, args); goop.caller is the visitor's peer ID as its
// connection proved it, so "who is asking" is never taken from the arguments.
//
// Both tables let only the owner read and write them (goop-template.json), so these functions are
// the one way in for visitors, and their checks cannot be skipped:
//   sign      a visitor adds an entry: name and message checked, one entry an hour per visitor
//   list      the entries, newest first; visitors get the visible ones, the owner all of them
//   status    who the caller is to this guestbook (the owner?) and when it may sign again
//   hide, unhide, remove   the owner's moderation
// Every change is announced on the topic `app.guestbook`, which every page follows (goop.events.on).

import type { Row, Value } from '@goop/sdk'
import { argsOf, cursorOf, entryId, limitOf, messageOf, nameOf, refuse } from './checks.js'

/** A visitor signs at most once in this long (the owner, on its own guestbook, as often as it likes). */
export const SIGN_EVERY_MS = 60 * 60 * 1000
/** The topic every change is announced on. `app.*` topics are shared: visitors' pages follow them. */
export const TOPIC = 'app.guestbook'

/** An entry as pages get it. */
export interface Entry {
  id: number
  name: string
  message: string
  /** The signer's peer ID (the owner's for the welcome entry, which the template seeds). */
  by: string
  /** When it was signed: ISO 8601, UTC. */
  at: string
  /** Hidden by the owner. Only the owner is ever sent hidden entries. */
  hidden: boolean
}

export interface Page {
  entries: Entry[]
  /** Give it back to `list` for the next, older page; null when there is none. */
  cursor: string | null
}

export interface Status {
  /** The caller is the site's owner: it sees hidden entries and may hide, unhide and remove. */
  owner: boolean
  /** When the caller may sign again (epoch ms), or null: now. */
  nextSignAt: number | null
}

/** What a change announces: pages that follow TOPIC load the list again. Never an entry's text: a hidden one must not travel. */
export interface Change { op: 'signed' | 'hidden' | 'shown' | 'removed', id: number }

const isOwner = (): boolean => goop.caller === goop.peer

function ownerOnly (what: string): void {
  if (!isOwner()) refuse(`only the owner of this guestbook can ${what} entries`)
}

/** A host refusal's code (`conflict`, `not_found`, …): host errors reach logic as Errors with a `code`. */
function codeOf (err: unknown): unknown {
  return err instanceof Error ? (err as Error & { code?: unknown }).code : undefined
}

/** A stored row as an Entry. The schema already holds each column to its type; this names and types them. */
function entryOf (row: Row): Entry {
  return {
    id: row._id,
    name: String(row.name),
    message: String(row.message),
    by: typeof row.by === 'string' ? row.by : goop.peer,
    at: row._created,
    hidden: row.hidden === true
  }
}

async function announce (change: Change): Promise<void> {
  await goop.mq.publish(TOPIC, change as unknown as Value)
}

/** The caller's latest signing (its seq and time), or null if it never signed. */
async function lastSigning (): Promise<{ seq: number, at: number } | null> {
  const { rows } = await goop.db.owner.query('signings', {
    where: { column: 'by', op: 'eq', value: goop.caller },
    order: [{ column: 'seq', dir: 'desc' }],
    limit: 1
  })
  const row = rows[0]
  return row == null ? null : { seq: Number(row.seq), at: Number(row.at) }
}

function minutes (ms: number): string {
  const m = Math.max(1, Math.ceil(ms / 60_000))
  return m === 1 ? '1 minute' : `${m} minutes`
}

/**
 * The hourly rule, safe against a visitor who sends many entries at once: the caller's next signing
 * is claimed first, as the row `<peer>:<seq + 1>` of `signings`, whose `key` is unique. Two calls
 * that read the same latest signing both try to insert the same key, and the data plugin lets
 * exactly one through. The other is refused here and writes nothing.
 */
async function claimSigning (): Promise<void> {
  const now = goop.now()
  const last = await lastSigning()
  if (last != null && now < last.at + SIGN_EVERY_MS) {
    refuse(`you have signed in the last hour: one entry an hour, so you can sign again in ${minutes(last.at + SIGN_EVERY_MS - now)}`)
  }
  const seq = (last?.seq ?? 0) + 1
  try {
    await goop.db.owner.insert('signings', { key: `${goop.caller}:${seq}`, by: goop.caller, seq, at: now })
  } catch (err) {
    if (codeOf(err) === 'conflict') refuse('you have just signed: one entry an hour')
    throw err
  }
}

/** sign({ name, message }): add the caller's entry. The signer is always the caller: nothing sent can name another. */
export async function sign (args: unknown): Promise<Entry> {
  const a = argsOf(args, 'sign', ['name', 'message'])
  const name = nameOf(a.name)
  const message = messageOf(a.message)
  if (!isOwner()) await claimSigning()
  // As the owner, deliberately: visitors may not insert into `entries` themselves (its policy).
  const { row } = await goop.db.owner.insert('entries', { name, message, by: goop.caller, hidden: false })
  goop.log('signed', { id: row._id })
  await announce({ op: 'signed', id: row._id })
  return entryOf(row)
}

/** list({ cursor?, limit? }): entries, newest first, `limit` (1–100, default 20) at a time. */
export async function list (args: unknown): Promise<Page> {
  const a = argsOf(args, 'list', ['cursor', 'limit'])
  const limit = limitOf(a.limit, 20, 100)
  const cursor = cursorOf(a.cursor)
  // The table's read policy is `owner`, so the logic reads it as the owner, and leaves hidden
  // entries out for everyone else: that is what makes hiding hide.
  const page = await goop.db.owner.query('entries', {
    ...(isOwner() ? {} : { where: { column: 'hidden', op: 'eq', value: false } }),
    order: [{ column: '_id', dir: 'desc' }],
    limit,
    ...(cursor != null ? { cursor } : {})
  })
  return { entries: page.rows.map(entryOf), cursor: page.cursor ?? null }
}

/** status(): whether the caller owns this guestbook, and when it may sign again. */
export async function status (args: unknown): Promise<Status> {
  argsOf(args, 'status', [])
  if (isOwner()) return { owner: true, nextSignAt: null }
  const last = await lastSigning()
  const next = last == null ? null : last.at + SIGN_EVERY_MS
  return { owner: false, nextSignAt: next != null && next > goop.now() ? next : null }
}

async function setHidden (args: unknown, fn: string, hidden: boolean): Promise<Entry> {
  ownerOnly(fn)
  const id = entryId(argsOf(args, fn, ['id']).id)
  const { row } = await goop.db.owner.get('entries', id)
  if (row == null) refuse(`there is no entry ${id}`)
  if (row.hidden === hidden) return entryOf(row)
  const updated = await goop.db.owner.update('entries', id, { hidden })
  await announce({ op: hidden ? 'hidden' : 'shown', id })
  return entryOf(updated.row)
}

/** hide({ id }): the owner takes an entry off the page for everyone else; it is kept, and can come back. */
export async function hide (args: unknown): Promise<Entry> {
  return await setHidden(args, 'hide', true)
}

/** unhide({ id }): the owner shows a hidden entry again. */
export async function unhide (args: unknown): Promise<Entry> {
  return await setHidden(args, 'unhide', false)
}

/** remove({ id }): the owner deletes an entry for good. (The signer's hourly limit still counts it.) */
export async function remove (args: unknown): Promise<{ removed: number }> {
  ownerOnly('remove')
  const id = entryId(argsOf(args, 'remove', ['id']).id)
  try {
    await goop.db.owner.delete('entries', id)
  } catch (err) {
    if (codeOf(err) === 'not_found') refuse(`there is no entry ${id}`)
    throw err
  }
  await announce({ op: 'removed', id })
  return { removed: id }
}
