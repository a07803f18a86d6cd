// What pages get: a game's full state (calls and the game's own topic) and a short summary (the
// lobby and its topic), and the publishing of both after every change.

import type { Value } from '@goop/sdk'
import type { Game } from './games.js'
import { count, turnOf } from './rules.js'
import type { GameState, GameSummary } from './shapes.js'

/** The game's own topic: its pages follow it (`goop.events.on`) to see every change live. */
export const gameTopic = (id: number): string => `app.tictactoe.${id}`
/** Every game's summary after each change, for lobby pages. */
export const LOBBY_TOPIC = 'app.tictactoe.lobby'

export function stateOf (g: Game): GameState {
  return {
    id: g.id,
    seq: g.seq,
    status: g.status,
    board: g.board,
    turn: g.status === 'playing' ? turnOf(g.board) : null,
    x: g.x,
    o: g.o,
    winner: g.winner,
    line: g.line,
    previous: g.previous,
    rematch: g.rematch,
    updated: g.updated
  }
}

export function summaryOf (g: Game): GameSummary {
  return {
    id: g.id,
    seq: g.seq,
    status: g.status,
    x: g.x,
    o: g.o,
    moves: count(g.board, 'X') + count(g.board, 'O'),
    winner: g.winner,
    rematch: g.rematch,
    created: g.created,
    updated: g.updated
  }
}

/**
 * Tell everyone watching: the game's followers get its state, lobby pages its summary. (The casts:
 * interfaces carry no index signature, so TypeScript cannot see that they are plain JSON.)
 */
export async function announce (g: Game): Promise<GameState> {
  const state = stateOf(g)
  await goop.mq.publish(gameTopic(g.id), state as unknown as Value)
  await goop.mq.publish(LOBBY_TOPIC, summaryOf(g) as unknown as Value)
  return state
}
