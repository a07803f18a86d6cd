// @ts-check
// Calls to the host's referee (goop.call → the owner's logic) and the words for what went wrong.

/** @typedef {import('../logic/shapes.js').GameState} GameState */
/** @typedef {import('../logic/shapes.js').Lobby} Lobby */

/**
 * @template T
 * @param {string} fn
 * @param {unknown} [args]
 * @returns {Promise<T>}
 */
export async function call (fn, args) {
  return await goop.call(fn, args)
}

/** @param {number} game @returns {Promise<GameState>} */
export const getState = async (game) => await call('state', { game })
/** @returns {Promise<Lobby>} */
export const getLobby = async () => await call('lobby')

/** "that cell is taken" → "That cell is taken." (the referee writes its reasons in lower case, to fit anywhere). */
const asSentence = (/** @type {string} */ s) => s === '' ? s : `${s[0].toUpperCase()}${s.slice(1)}${/[.!?]$/.test(s) ? '' : '.'}`

/**
 * What to tell a person about a failed call. The referee's refusals are written for people; the
 * runtime adds where in the logic they were thrown, which only the site's author needs.
 * @param {unknown} err
 * @returns {string}
 */
export function reason (err) {
  const e = /** @type {{ code?: unknown, message?: unknown }} */ (err ?? {})
  const message = typeof e.message === 'string' ? e.message : String(err)
  switch (e.code) {
    case 'logic_error': return asSentence(message.replace(/\s*\(at [^()]*\)$/, '').replace(/^Error: /, ''))
    case 'rate_limited': return 'Too many moves at once: wait a moment and try again.'
    case 'unreachable': return 'The host\'s peer cannot be reached right now. Is it still online?'
    case 'timeout': return 'The host took too long to answer. Try again.'
    case 'no_template': return 'The host is not running this game any more.'
    default: return message
  }
}
