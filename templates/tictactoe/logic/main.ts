// Tic-tac-toe, refereed by the site owner's peer. Each exported function is something a page may
// ask for with `goop.call(name, args)`; `goop.caller` is the visitor as its connection proved it,
// so "who is asking" is never taken from the arguments. Nothing is kept between calls: a game is its
// row in `games`, each change is first claimed in `ledger` (see games.ts), and every change is
// published to the game's topic and the lobby's (views.ts).

import { claim, createGame, gamesWith, loadGame, openGameOf, saveGame, startedSince, type Game } from './games.js'
import { EMPTY_BOARD, formatBoard, isFull, other, place, turnOf, winningLine, type Mark } from './rules.js'
import { argsOf, cellIndex, gameId, playerName, refuse } from './validate.js'
import type { GameState, Lobby } from './shapes.js'
import { announce, stateOf, summaryOf } from './views.js'

/** A visitor starts at most this many games an hour (each is a row on the owner's disk). */
const GAMES_PER_HOUR = 30
const HOUR_MS = 3_600_000

/** The caller's mark in this game, or null for anyone else (spectators). */
function markOf (g: Game, peer: string): Mark | null {
  if (g.x.peer === peer) return 'X'
  if (g.o?.peer === peer) return 'O'
  return null
}

/** Why a game that is not being played takes no move. */
function notPlaying (g: Game): never {
  switch (g.status) {
    case 'open': return refuse('the game has not started: it is waiting for a second player')
    case 'canceled': return refuse('this game was called off')
    default: return refuse('the game is over')
  }
}

/**
 * Start a game as X and wait in the lobby for someone to join as O. A caller that already has a
 * game waiting gets that one back instead of a second: no one fills the lobby with empty games.
 */
export async function newGame (args: unknown): Promise<GameState> {
  const a = argsOf(args, 'newGame', ['name'])
  const name = playerName(a.name)
  const waiting = await openGameOf(goop.caller)
  if (waiting != null) return stateOf(waiting)
  if (goop.caller !== goop.peer && await startedSince(goop.caller, goop.now() - HOUR_MS) >= GAMES_PER_HOUR) {
    refuse(`you have started ${GAMES_PER_HOUR} games in the last hour: play one of them, or try again later`)
  }
  const game = await createGame({ status: 'open', board: EMPTY_BOARD, x: goop.caller, x_name: name, seq: 0 })
  goop.log('new game', { game: game.id })
  return await announce(game)
}

/** Take the O seat of an open game; the game starts, X to move. */
export async function join (args: unknown): Promise<GameState> {
  const a = argsOf(args, 'join', ['game', 'name'])
  const id = gameId(a.game)
  const name = playerName(a.name)
  const g = await loadGame(id)
  // Asking twice (a double click) is not an error: the seat is already the caller's.
  if (g.o?.peer === goop.caller) return stateOf(g)
  if (g.x.peer === goop.caller) refuse('this is your own game: wait for someone else to join it')
  if (g.status !== 'open') refuse(g.status === 'playing' ? 'this game already has two players' : 'this game is no longer open')
  await claim(g, 'join')
  return await announce(await saveGame(g, { o: goop.caller, o_name: name, status: 'playing' }))
}

/** Put the caller's mark in `cell` (0–8, row by row), if the rules allow it; the owner's peer decides a win or a draw. */
export async function move (args: unknown): Promise<GameState> {
  const a = argsOf(args, 'move', ['game', 'cell'])
  const id = gameId(a.game)
  const cell = cellIndex(a.cell)
  const g = await loadGame(id)
  const mine = markOf(g, goop.caller)
  if (mine == null) refuse('you are not a player in this game')
  if (g.status !== 'playing') notPlaying(g)
  const turn = turnOf(g.board)
  if (mine !== turn) refuse(`it is not your turn: ${turn} moves next`)
  if (g.board[cell] != null) refuse(`that cell is taken (by ${g.board[cell]})`)
  await claim(g, 'move', cell)
  const board = place(g.board, cell, mine)
  const won = winningLine(board)
  const status = won != null ? 'won' : isFull(board) ? 'drawn' : 'playing'
  const saved = await saveGame(g, { board: formatBoard(board), status, winner: won?.winner ?? null, line: won?.line ?? null })
  if (status !== 'playing') goop.log('game over', { game: id, status, winner: won?.winner ?? null })
  return await announce(saved)
}

/**
 * Leave a game: X calls off a game no one has joined yet; a player of a game in progress resigns, and
 * the other wins. The host (the site's owner) may also call off any game that is not over, so
 * games that people walked away from do not stay in the lobby for ever.
 */
export async function leave (args: unknown): Promise<GameState> {
  const a = argsOf(args, 'leave', ['game'])
  const g = await loadGame(gameId(a.game))
  const mine = markOf(g, goop.caller)
  if (g.status !== 'open' && g.status !== 'playing') notPlaying(g)
  if (mine == null && goop.caller !== goop.peer) refuse('you are not a player in this game')
  await claim(g, 'leave')
  if (mine == null || g.status === 'open') return await announce(await saveGame(g, { status: 'canceled' }))
  return await announce(await saveGame(g, { status: 'won', winner: other(mine), line: null }))
}

/**
 * Play again after a game ends: the same two players with the marks swapped, so the one who went
 * second now starts. Either player may ask; whoever asks second (or twice) gets the same new game.
 */
export async function rematch (args: unknown): Promise<GameState> {
  const a = argsOf(args, 'rematch', ['game'])
  const g = await loadGame(gameId(a.game))
  if (markOf(g, goop.caller) == null) refuse('you are not a player in this game')
  if (g.rematch != null) return stateOf(await loadGame(g.rematch))
  if (g.status !== 'won' && g.status !== 'drawn') refuse('a rematch comes after the game is over')
  if (g.o == null) refuse('this game never had a second player')
  await claim(g, 'rematch')
  const next = await createGame({
    status: 'playing', board: EMPTY_BOARD, seq: 0, previous: g.id,
    x: g.o.peer, x_name: g.o.name, o: g.x.peer, o_name: g.x.name
  })
  await announce(await saveGame(g, { rematch: next.id }))
  return await announce(next)
}

/** One game as it stands (anyone may look: spectators too). */
export async function state (args: unknown): Promise<GameState> {
  const a = argsOf(args, 'state', ['game'])
  return stateOf(await loadGame(gameId(a.game)))
}

/** The lobby: games waiting for a player, games being played, and the last few results. */
export async function lobby (args: unknown): Promise<Lobby> {
  argsOf(args, 'lobby', [])
  const [open, playing, finished] = await Promise.all([
    gamesWith(['open'], 30),
    gamesWith(['playing'], 30),
    gamesWith(['won', 'drawn'], 10)
  ])
  return { open: open.map(summaryOf), playing: playing.map(summaryOf), finished: finished.map(summaryOf) }
}
