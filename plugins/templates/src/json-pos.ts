/**
 * Where things are in a JSON text, so that an error in goop-template.json can name its line and
 * column: the position of a syntax error, and the position of the value at a path (`tables.posts.
 * policy.read`) that the schema refused. JSON.parse gives neither on Node 20 (its messages carry at
 * most a character offset, and nothing about paths), so this is a small strict scanner of its own;
 * the values themselves still come from JSON.parse.
 */

export interface Position { line: number, column: number }

/** A JSON syntax error at a line and column (1-based). */
export class JsonSyntaxError extends Error {
  constructor (message: string, readonly at: Position) { super(message) }
}

/** Deepest nesting the scanner follows (deeper is refused, never a stack overflow). */
const MAX_DEPTH = 128

type PathKey = string | number

/**
 * Scan `text` as strict JSON. Throws JsonSyntaxError at the first error. Returns a lookup from a
 * path to the position of the value there (or of the nearest enclosing value that exists).
 */
export function scanJson (text: string): (path: ReadonlyArray<PropertyKey>) => Position {
  const positions = new Map<string, number>()
  let i = 0

  const positionOf = (offset: number): Position => {
    let line = 1
    let lineStart = 0
    for (let k = 0; k < offset && k < text.length; k++) {
      if (text.charCodeAt(k) === 10) { line++; lineStart = k + 1 }
    }
    return { line, column: offset - lineStart + 1 }
  }
  const fail = (what: string, at = i): never => {
    const found = at >= text.length ? 'the end of the file' : JSON.stringify(text[at])
    throw new JsonSyntaxError(`${what}, found ${found}`, positionOf(at))
  }
  const ws = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i)
      if (c === 32 || c === 9 || c === 10 || c === 13) i++
      else break
    }
  }
  const string = (): string => {
    const start = i
    i++ // the opening quote
    while (i < text.length) {
      const c = text.charCodeAt(i)
      if (c === 34) { i++; return JSON.parse(text.slice(start, i)) as string }
      if (c === 92) {
        const e = text[i + 1]
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('expected four hex digits after \\u', i + 2)
          i += 6
        } else if (e != null && '"\\/bfnrt'.includes(e)) i += 2
        else fail('expected an escape such as \\n or \\"', i + 1)
      } else if (c < 32) fail('a control character in a string (escape it, e.g. \\n)')
      else i++
    }
    return fail('a string that never ends', start)
  }
  const number = (): void => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400))
    if (m == null || m[0] === '' || m[0] === '-') fail('expected a value')
    i += m![0].length
  }
  const value = (path: PathKey[], depth: number): void => {
    ws()
    positions.set(keyOf(path), i)
    if (depth > MAX_DEPTH) fail(`nested more than ${MAX_DEPTH} levels deep`)
    const c = text[i]
    if (c === '{') {
      i++
      ws()
      if (text[i] === '}') { i++; return }
      for (;;) {
        ws()
        if (text[i] !== '"') fail(text[i] === '}' ? 'a comma before } (JSON allows no trailing comma)' : 'expected a key in double quotes')
        const key = string()
        ws()
        if (text[i] !== ':') fail(`expected : after the key ${JSON.stringify(key)}`)
        i++
        value([...path, key], depth + 1)
        ws()
        if (text[i] === ',') { i++; continue }
        if (text[i] === '}') { i++; return }
        fail('expected , or } after a value in an object')
      }
    }
    if (c === '[') {
      i++
      ws()
      if (text[i] === ']') { i++; return }
      for (let n = 0; ; n++) {
        if (text[i] === ']') fail('a comma before ] (JSON allows no trailing comma)')
        value([...path, n], depth + 1)
        ws()
        if (text[i] === ',') { i++; ws(); continue }
        if (text[i] === ']') { i++; return }
        fail('expected , or ] after a value in a list')
      }
    }
    if (c === '"') { string(); return }
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) { i += word.length; return }
    }
    if (c === '-' || (c != null && c >= '0' && c <= '9')) { number(); return }
    fail(c === "'" ? 'expected a value (JSON strings use double quotes)' : 'expected a value')
  }

  // A byte order mark is not JSON, but editors write one: skip it rather than refuse the file.
  if (text.charCodeAt(0) === 0xfeff) i = 1
  value([], 0)
  ws()
  if (i < text.length) fail('expected the end of the file after the top-level value')

  return (path) => {
    const keys = path.map(p => typeof p === 'symbol' ? String(p) : p) as PathKey[]
    for (let n = keys.length; n >= 0; n--) {
      const at = positions.get(keyOf(keys.slice(0, n)))
      if (at != null) return positionOf(at)
    }
    return { line: 1, column: 1 }
  }
}

/** A path as one map key (JSON keeps the string and number parts apart: `["0"]` is not `[0]`). */
function keyOf (path: ReadonlyArray<PathKey>): string {
  return JSON.stringify(path)
}
