// @ts-check
// Who is who: players' display names, "you" and the host, and the visitor's own chosen name.

/** @typedef {import('../logic/shapes.js').Player} Player */
/** @typedef {import('../logic/shapes.js').GameState} GameState */
/** @typedef {import('../logic/shapes.js').GameSummary} GameSummary */

const NAME_KEY = 'tictactoe.name'
/** The logic's limit (validate.ts, NAME_MAX); the input enforces it too so no one types in vain. */
export const NAME_MAX = 24

/** The end of a peer ID: enough to tell people apart when they chose no name. */
export const shortId = (/** @type {string} */ peer) => `…${peer.slice(-6)}`

/** A player as people see it: the chosen name, or "Player …abc123". */
export function nameOf (/** @type {Player} */ p) {
  return p.name ?? `Player ${shortId(p.peer)}`
}

/** The same, with "(you)" or "(host)" where it applies: a name alone could be anyone's. */
export function labelOf (/** @type {Player} */ p) {
  if (p.peer === goop.me) return `${nameOf(p)} (you)`
  if (p.peer === goop.peer) return `${nameOf(p)} (host)`
  return nameOf(p)
}

/**
 * This visitor's mark in a game, or null when watching.
 * @param {GameState | GameSummary} g
 * @returns {'X' | 'O' | null}
 */
export function myMark (g) {
  if (g.x.peer === goop.me) return 'X'
  if (g.o?.peer === goop.me) return 'O'
  return null
}

/** The name this visitor chose (kept in this browser for this site), or null. */
export function savedName () {
  try {
    const name = localStorage.getItem(NAME_KEY)?.trim() ?? ''
    return name === '' ? null : name.slice(0, NAME_MAX)
  } catch {
    return null // storage blocked: play without a name
  }
}

export function saveName (/** @type {string} */ name) {
  try {
    if (name.trim() === '') localStorage.removeItem(NAME_KEY)
    else localStorage.setItem(NAME_KEY, name.trim())
  } catch { /* storage blocked: the name lasts until the page closes */ }
}
