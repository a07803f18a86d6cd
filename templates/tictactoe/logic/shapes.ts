// The JSON the logic answers with and publishes: what pages get. Types only (no host calls), so the
// pages' type-check (tsconfig.site.json) can use them too.

import type { Cell, Mark } from './rules.js'

export type Status = 'open' | 'playing' | 'won' | 'drawn' | 'canceled'

/** A seat: the player's peer ID (as its connection proved it) and the name it chose, if any. */
export interface Player { peer: string, name: string | null }

/** One game in full: what `state`, `join`, `move`, `leave` and `rematch` answer, and what its topic carries. */
export interface GameState {
  id: number
  /** Increases with every change: a page keeps the highest it has seen and ignores older news. */
  seq: number
  status: Status
  /** Nine cells, row by row. */
  board: Cell[]
  /** Whose move it is (only while playing). */
  turn: Mark | null
  x: Player
  o: Player | null
  winner: Mark | null
  /** The three cells that won; null for a draw, or a game won because the other player resigned. */
  line: number[] | null
  previous: number | null
  rematch: number | null
  updated: string
}

/** One game in short: what the lobby lists, and what the lobby's topic carries after each change. */
export interface GameSummary {
  id: number
  seq: number
  status: Status
  x: Player
  o: Player | null
  moves: number
  winner: Mark | null
  rematch: number | null
  created: string
  updated: string
}

export interface Lobby { open: GameSummary[], playing: GameSummary[], finished: GameSummary[] }
