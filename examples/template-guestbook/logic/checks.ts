// Checks for what visitors send. Every argument of every exported function comes from a page the
// visitor controls (or from a script that never was a page), so each one is checked here, on the
// owner's peer, before anything is read or written. A refusal is an Error whose message the page
// shows as it is. The table's schema (goop-template.json) holds the same limits, so even a bug here
// could not store a longer name or message: the data plugin would refuse it.
//
// Nothing in this file uses the host API, so it is plain TypeScript (the tests could import it too).

/** The longest name and message, in characters (Unicode code points, as the data plugin counts). */
export const NAME_MAX = 80
export const MESSAGE_MAX = 1000

/** Refuse the call: the visitor sees `message` (followed by the runtime's "(at checks.ts:…)", which the page drops). */
export function refuse (message: string): never {
  throw new Error(message)
}

function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * The call's one argument as an object with only the keys `fn` takes (`null`, a call without
 * arguments, is `{}`). An unknown key is refused, not ignored: a page that sends `{ by: someone }`
 * learns at once that it cannot choose who signs — the signer is always `goop.caller`.
 */
export function argsOf (args: unknown, fn: string, allowed: readonly string[]): Record<string, unknown> {
  if (args == null) return {}
  if (!isRecord(args)) refuse(`${fn} takes an object such as { ${allowed.join(', ')} }`)
  for (const key of Object.keys(args)) {
    if (!allowed.includes(key)) refuse(`${fn} does not take ${JSON.stringify(key).slice(0, 40)} (only ${allowed.join(', ')})`)
  }
  return args
}

const length = (s: string): number => [...s].length

// Control characters (line breaks included: a name is one line), and the bidirectional overrides
// and isolates that could make a name read as something else next to the text around it.
const UNSAFE_IN_NAME = /[\p{Cc}\u200E\u200F\u202A-\u202E\u2066-\u2069]/u
// In a message, line breaks and tabs are welcome; other control characters and the bidi controls are not.
const UNSAFE_IN_MESSAGE = /(?![\n\t])[\p{Cc}\u202A-\u202E\u2066-\u2069]/u

/** A signer's name: trimmed, inner runs of spaces made one, 1 to NAME_MAX characters, one line. */
export function nameOf (v: unknown): string {
  if (typeof v !== 'string') refuse('name must be text')
  const name = v.trim().replace(/\s+/g, ' ')
  if (name === '') refuse('please give a name')
  if (length(name) > NAME_MAX) refuse(`a name is at most ${NAME_MAX} characters (this one has ${length(name)})`)
  if (UNSAFE_IN_NAME.test(name)) refuse('a name cannot hold control characters')
  return name
}

/** A message: line breaks made \n, trimmed, 1 to MESSAGE_MAX characters. */
export function messageOf (v: unknown): string {
  if (typeof v !== 'string') refuse('message must be text')
  const message = v.replace(/\r\n?/g, '\n').trim()
  if (message === '') refuse('please write a message')
  if (length(message) > MESSAGE_MAX) refuse(`a message is at most ${MESSAGE_MAX} characters (this one has ${length(message)})`)
  if (UNSAFE_IN_MESSAGE.test(message)) refuse('a message cannot hold control characters')
  return message
}

/** An entry's number: a row ID of the entries table. */
export function entryId (v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) refuse('id must be an entry number (a whole number from 1)')
  return v
}

/** How many entries a page asks for at once. */
export function limitOf (v: unknown, fallback: number, max: number): number {
  if (v == null) return fallback
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) refuse(`limit must be a whole number from 1 to ${max}`)
  return v
}

/** The `cursor` a previous page came with (opaque: the data plugin checks it). */
export function cursorOf (v: unknown): string | undefined {
  if (v == null) return undefined
  if (typeof v !== 'string' || v.length > 4096) refuse('cursor must be the cursor of the previous page')
  return v
}
