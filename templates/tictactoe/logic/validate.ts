// Checks for what visitors send. Every argument of every exported function comes from a page the
// visitor controls (or from a script that never was a page), so each is checked here, on the owner's
// peer, before anything is read or written. A refusal is an Error whose message the page shows as is.

import { CELLS } from './rules.js'

/** Longest player name, in characters (the games table says the same). */
export const NAME_MAX = 24

/** Refuse the call: the visitor sees `message` (after the runtime's "(at file:line)", which the page drops). */
export function refuse (message: string): never {
  throw new Error(message)
}

function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * The call's one argument as an object with only the keys `fn` takes. `null` (goop.call without
 * arguments) is an empty object. An unknown key is refused rather than ignored, so a typo in a page
 * shows up at once instead of silently doing something else.
 */
export function argsOf (args: unknown, fn: string, allowed: readonly string[]): Record<string, unknown> {
  if (args == null) return {}
  if (!isRecord(args)) refuse(`${fn} takes an object such as { ${allowed.join(', ')} }`)
  for (const key of Object.keys(args)) {
    if (!allowed.includes(key)) refuse(`${fn} does not take ${JSON.stringify(key).slice(0, 40)}${allowed.length > 0 ? ` (only ${allowed.join(', ')})` : ''}`)
  }
  return args
}

/** A game number: a positive whole number (row IDs of the games table). */
export function gameId (v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) refuse('game must be a game number (a whole number from 1)')
  return v
}

/** A cell: 0–8, row by row. */
export function cellIndex (v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= CELLS) refuse(`cell must be a whole number from 0 to ${CELLS - 1} (row by row), not ${JSON.stringify(v) ?? String(v)}`)
  return v
}

// Control characters, and the bidirectional overrides and isolates that could make a name shown
// next to another one read as something else.
const UNSAFE = /[\p{Cc}\u200E\u200F\u202A-\u202E\u2066-\u2069]/u

/** An optional display name: trimmed, at most NAME_MAX characters, no control characters; empty is none. */
export function playerName (v: unknown): string | null {
  if (v == null) return null
  if (typeof v !== 'string') refuse('name must be text')
  const name = v.trim().replace(/\s+/g, ' ')
  if (name === '') return null
  if ([...name].length > NAME_MAX) refuse(`a name is at most ${NAME_MAX} characters`)
  if (UNSAFE.test(name)) refuse('a name cannot hold control characters')
  return name
}
