// The games table and the ledger, as the referee uses them. Reads go through `goop.db`, acting for
// the caller (games are readable by everyone, so the policy lets them); every write goes through
// `goop.db.owner`, deliberately: visitors may not write either table themselves, so the only way a
// board changes is a move this logic has checked.

import type { Row, Value } from '@goop/sdk'
import { parseBoard, type Board, type Mark } from './rules.js'
import type { Player, Status } from './shapes.js'
import { refuse } from './validate.js'

export type Action = 'join' | 'move' | 'leave' | 'rematch'

/** A game as the logic works with it (a row of `games`, typed). */
export interface Game {
  id: number
  /** Changes so far; the next change claims `seq + 1` in the ledger. */
  seq: number
  status: Status
  board: Board
  x: Player
  o: Player | null
  winner: Mark | null
  line: number[] | null
  previous: number | null
  rematch: number | null
  created: string
  updated: string
}

const STATUSES: readonly string[] = ['open', 'playing', 'won', 'drawn', 'canceled']

const text = (v: Value | undefined): string | null => (typeof v === 'string' ? v : null)
const int = (v: Value | undefined): number | null => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null)
const mark = (v: Value | undefined): Mark | null => (v === 'X' || v === 'O' ? v : null)

/** A stored row as a Game. The table's schema already holds each column to its type; this only gives them names and types. */
export function gameOf (row: Row): Game {
  const status = text(row.status)
  if (status == null || !STATUSES.includes(status)) throw new Error(`game ${row._id} has no valid status`)
  const x = text(row.x)
  if (x == null) throw new Error(`game ${row._id} has no player X`)
  const o = text(row.o)
  const line = Array.isArray(row.line) && row.line.every(c => typeof c === 'number') ? row.line as number[] : null
  return {
    id: row._id,
    seq: int(row.seq) ?? 0,
    status: status as Status,
    board: parseBoard(text(row.board) ?? ''),
    x: { peer: x, name: text(row.x_name) },
    o: o == null ? null : { peer: o, name: text(row.o_name) },
    winner: mark(row.winner),
    line,
    previous: int(row.previous),
    rematch: int(row.rematch),
    created: row._created,
    updated: row._updated
  }
}

/** The game, read as the caller; a game that does not exist is refused with its number. */
export async function loadGame (id: number): Promise<Game> {
  const { row } = await goop.db.get('games', id)
  if (row == null) refuse(`there is no game ${id}`)
  return gameOf(row)
}

/** Start a game: a new row, as the owner (visitors may not insert). */
export async function createGame (values: Record<string, Value>): Promise<Game> {
  const { row } = await goop.db.owner.insert('games', values)
  return gameOf(row)
}

function isConflict (err: unknown): boolean {
  return err instanceof Error && (err as Error & { code?: unknown }).code === 'conflict'
}

/**
 * Take the game's next step before changing it. The ledger's `key` is unique, so of two calls that
 * read the same game at once (a double click, two tabs, a script firing moves in parallel) exactly
 * one inserts `<game>:<seq + 1>`; the other is refused here and changes nothing. Logic calls run
 * concurrently and module state lasts one call, so this unique key is the one lock there is.
 */
export async function claim (game: Game, action: Action, cell: number | null = null): Promise<void> {
  const seq = game.seq + 1
  try {
    await goop.db.owner.insert('ledger', { key: `${game.id}:${seq}`, game: game.id, seq, action, cell, by: goop.caller })
  } catch (err) {
    if (isConflict(err)) refuse('the game changed at that very moment; look at the board again')
    throw err
  }
}

/** Write a claimed change (with the seq it claimed) and return the game as stored. */
export async function saveGame (game: Game, values: Record<string, Value>): Promise<Game> {
  const { row } = await goop.db.owner.update('games', game.id, { ...values, seq: game.seq + 1 })
  return gameOf(row)
}

/** Games by status, newest change first. */
export async function gamesWith (statuses: Status[], limit: number): Promise<Game[]> {
  const { rows } = await goop.db.query('games', {
    where: { column: 'status', op: 'in', value: statuses },
    order: [{ column: '_updated', dir: 'desc' }],
    limit
  })
  return rows.map(gameOf)
}

/** The caller's own game that is still waiting for an opponent, if any. */
export async function openGameOf (peer: string): Promise<Game | null> {
  const { rows } = await goop.db.query('games', {
    where: { and: [{ column: 'status', op: 'eq', value: 'open' }, { column: 'x', op: 'eq', value: peer }] },
    limit: 1
  })
  return rows.length > 0 ? gameOf(rows[0]) : null
}

/** How many games `peer` started since `since` (epoch ms): the referee's own bookkeeping, so as the owner. */
export async function startedSince (peer: string, since: number): Promise<number> {
  const { count } = await goop.db.owner.count('games', { and: [
    { column: 'x', op: 'eq', value: peer },
    { column: '_created', op: 'gt', value: new Date(since).toISOString() }
  ] })
  return count
}
