// @ts-check
// One game: the players, whose turn it is, the board, the result and what one can do next. The
// page never decides anything itself: every move goes to the referee (the host's logic), and the
// board shows what the referee answers or publishes on the game's topic.

import { call, getState, reason } from './api.js'
import { cellName, createBoard } from './board.js'
import { el, markIcon } from './dom.js'
import { labelOf, myMark, nameOf, savedName } from './people.js'

/** @typedef {import('../logic/shapes.js').GameState} GameState */
/** @typedef {import('../logic/shapes.js').Player} Player */
/** @typedef {{ go: (hash: string) => void, setTitle: (prefix: string) => void }} Nav */

/** A published state is only trusted as far as its shape: it must be this game's. */
function isStateOf (/** @type {unknown} */ v, /** @type {number} */ id) {
  const s = /** @type {Partial<GameState> | null} */ (v)
  return s != null && s.id === id && typeof s.seq === 'number' && Array.isArray(s.board) && s.board.length === 9
}

/**
 * A button that asks once more before it acts (resigning is final; a native confirm() would
 * block the page and its live updates).
 * @param {string} label
 * @param {string} confirmLabel
 * @param {() => void} act
 */
function confirmButton (label, confirmLabel, act) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer
  const button = el('button', { className: 'quiet', text: label, attrs: { type: 'button' } })
  button.addEventListener('click', () => {
    if (button.dataset.armed === 'yes') { clearTimeout(timer); act(); return }
    button.dataset.armed = 'yes'
    button.textContent = confirmLabel
    timer = setTimeout(() => { delete button.dataset.armed; button.textContent = label }, 4000)
  })
  return button
}

/**
 * Show game `id` in `root` and follow it live. Returns a function that stops following.
 * @param {HTMLElement} root
 * @param {number} id
 * @param {Nav} nav
 */
export function showGame (root, id, nav) {
  /** @type {GameState | null} */
  let state = null
  let busy = false

  const board = createBoard((cell) => { void act('move', { game: id, cell }) })
  const heading = el('h2', { text: `Game ${id}`, attrs: { id: 'game-title', tabindex: '-1' } })
  const players = el('div', { className: 'players', attrs: { id: 'players' } })
  const status = el('p', { className: 'status', attrs: { id: 'status' }, text: 'Loading the game…' })
  const banner = el('div', { className: 'banner', attrs: { id: 'banner' } })
  // One live region says what changed ("Bob placed O top left. Your turn…"), so a screen reader
  // follows the other player's moves without hunting for them on the board.
  const announcer = el('p', { className: 'visually-hidden', attrs: { 'aria-live': 'polite', id: 'announcer' } })
  const error = el('p', { className: 'error', attrs: { id: 'game-error', role: 'alert' } })
  const actions = el('div', { className: 'actions', attrs: { id: 'actions' } })
  banner.hidden = true
  board.root.hidden = true
  root.replaceChildren(el('section', { className: 'game', attrs: { 'aria-labelledby': 'game-title' } },
    el('div', { className: 'game-head' },
      el('a', { className: 'back', text: '← Lobby', attrs: { href: '#/' } }),
      heading),
    players, status, banner, board.root, error, actions, announcer))
  heading.focus()

  const showError = (/** @type {string} */ text) => { error.textContent = text }

  /** Take a state if it is newer than the one shown (answers and published news may cross). */
  function apply (/** @type {GameState} */ next) {
    if (state != null && next.seq < state.seq) return
    const previous = state
    const changed = previous == null || next.seq > previous.seq || next.rematch !== previous.rematch
    state = next
    if (changed) showError('')
    render()
    if (previous != null && next.seq > previous.seq) announce(previous, next)
  }

  /** Put the change into words for the live region. */
  function announce (/** @type {GameState} */ before, /** @type {GameState} */ after) {
    const mine = myMark(after)
    const placed = after.board.findIndex((mark, i) => mark != null && before.board[i] == null)
    const parts = []
    if (placed >= 0) {
      const mark = after.board[placed]
      const by = mark === mine ? 'You' : nameOf(mark === 'X' ? after.x : after.o ?? after.x)
      parts.push(`${by} placed ${mark} ${cellName(placed)}.`)
    }
    if (before.status === 'open' && after.o != null) parts.push(`${nameOf(after.o)} joined.`)
    const end = after.status === 'won' || after.status === 'drawn' ? result(after, mine) : null
    parts.push(end != null ? `${end.headline} ${end.detail}` : sentence(after, mine))
    announcer.textContent = parts.join(' ')
  }

  /**
   * Ask the referee; a refusal shows in words beside the board.
   * @param {'move' | 'join' | 'leave' | 'rematch'} fn
   * @param {Record<string, unknown>} args
   */
  async function act (fn, args) {
    if (busy) return
    busy = true
    board.root.setAttribute('aria-busy', 'true')
    try {
      const next = /** @type {GameState} */ (await call(fn, args))
      if (fn === 'rematch' && next.id !== id) { nav.go(`#/game/${next.id}`); return }
      apply(next)
    } catch (err) {
      showError(reason(err))
    } finally {
      busy = false
      board.root.removeAttribute('aria-busy')
    }
  }

  async function refresh () {
    try {
      apply(await getState(id))
    } catch (err) {
      if (state == null) {
        status.textContent = 'This game could not be loaded.'
        showError(reason(err))
        actions.replaceChildren(el('button', { text: 'Try again', attrs: { type: 'button' }, onClick: () => { void refresh() } }))
      } else {
        showError(reason(err))
      }
    }
  }

  /** @param {Player} p @param {'X' | 'O'} mark @param {boolean} toMove */
  function chip (p, mark, toMove) {
    return el('div', { className: `player player-${mark.toLowerCase()}${toMove ? ' to-move' : ''}`, data: { mark } },
      markIcon(mark), el('span', { className: 'player-name', text: labelOf(p) }))
  }

  /** The sentence under the players while the game is on: what is happening, from this visitor's side. */
  function sentence (/** @type {GameState} */ s, /** @type {'X' | 'O' | null} */ mine) {
    switch (s.status) {
      case 'open': return mine === 'X' ? 'Waiting for someone to join. Your game is listed in the lobby.' : `${nameOf(s.x)} is waiting for an opponent.`
      case 'canceled': return 'This game was called off.'
      case 'playing': {
        if (mine === s.turn) return `Your turn: place an ${mine}.`
        const next = s.turn === 'X' ? s.x : s.o
        return mine == null ? `${next == null ? '' : nameOf(next)} (${s.turn}) to move. You are watching.` : `Waiting for ${next == null ? 'the other player' : nameOf(next)}…`
      }
      default: return ''
    }
  }

  /** The result in a few words, from this visitor's side, and how it came about. */
  function result (/** @type {GameState} */ s, /** @type {'X' | 'O' | null} */ mine) {
    if (s.status === 'drawn') return { headline: 'It\'s a draw!', detail: 'The board is full.' }
    const winner = s.winner === 'X' ? s.x : s.o
    const loser = s.winner === 'X' ? s.o : s.x
    const headline = mine != null ? (s.winner === mine ? 'You won!' : 'You lost.') : `${winner == null ? s.winner : nameOf(winner)} won!`
    const detail = s.line != null
      ? `Three in a row for ${s.winner}.`
      : `${loser == null ? 'The other player' : loser.peer === goop.me ? 'You' : nameOf(loser)} resigned.`
    return { headline, detail }
  }

  function render () {
    const s = state
    if (s == null) return
    const mine = myMark(s)
    const over = s.status === 'won' || s.status === 'drawn'
    players.replaceChildren(
      chip(s.x, 'X', s.turn === 'X'),
      el('span', { className: 'versus', text: 'vs' }),
      s.o != null ? chip(s.o, 'O', s.turn === 'O') : el('div', { className: 'player player-o empty', data: { mark: 'O' } }, markIcon('O'), el('span', { className: 'player-name', text: 'open seat' })))
    const myTurn = s.status === 'playing' && mine === s.turn
    status.textContent = sentence(s, mine)
    status.hidden = over
    status.classList.toggle('your-turn', myTurn)
    // While waiting for a second player the empty board is shown, faded: this is what is coming.
    board.root.hidden = s.status === 'canceled'
    board.root.classList.toggle('waiting', s.status === 'open')
    board.render(s, myTurn)

    // The result replaces the sentence: one banner, coloured for the visitor (won, lost, or neither).
    const end = over ? result(s, mine) : null
    banner.hidden = end == null
    banner.className = `banner${over ? ` result-${s.winner == null ? 'draw' : mine == null ? 'other' : s.winner === mine ? 'win' : 'loss'}` : ''}`
    banner.replaceChildren(...(end == null ? [] : [el('strong', { text: end.headline, attrs: { id: 'result' } }), el('span', { className: 'detail', text: end.detail })]))

    nav.setTitle(myTurn ? 'Your turn' : end != null ? end.headline : '')
    actions.replaceChildren(...buttons(s, mine))
  }

  /** What this visitor can do now. */
  function buttons (/** @type {GameState} */ s, /** @type {'X' | 'O' | null} */ mine) {
    /** @type {HTMLElement[]} */
    const out = []
    if (s.status === 'open' && mine === 'X') out.push(confirmButton('Call off', 'Really call it off?', () => { void act('leave', { game: id }) }))
    if ((s.status === 'open' || s.status === 'playing') && mine == null && goop.me === goop.peer) {
      out.push(confirmButton('Call off (host)', 'Really call it off?', () => { void act('leave', { game: id }) }))
    }
    if (s.status === 'open' && mine == null) out.push(el('button', { text: 'Join as O', attrs: { type: 'button' }, onClick: () => { void act('join', { game: id, name: savedName() }) } }))
    if (s.status === 'playing' && mine != null) out.push(confirmButton('Resign', 'Really resign?', () => { void act('leave', { game: id }) }))
    if ((s.status === 'won' || s.status === 'drawn') && s.rematch == null && mine != null) {
      out.push(el('button', { text: 'Rematch', attrs: { type: 'button', id: 'rematch' }, onClick: () => { void act('rematch', { game: id }) } }))
    }
    if (s.rematch != null) {
      // The other player asked: the new game has already started, with the marks swapped.
      const label = mine == null ? 'Watch the rematch' : `Play the rematch (you are ${mine === 'X' ? 'O' : 'X'})`
      out.push(el('a', { className: 'button', text: label, attrs: { href: `#/game/${s.rematch}`, id: 'to-rematch' } }))
    }
    out.push(el('a', { className: 'button quiet', text: 'All games', attrs: { href: '#/' } }))
    return out
  }

  const stops = [
    goop.events.on(`app.tictactoe.${id}`, (payload) => { if (isStateOf(payload, id)) apply(/** @type {GameState} */ (payload)) }),
    // The stream (re)opened: anything published while it was closed was missed, so ask again.
    goop.events.on('goop.ready', () => { void refresh() })
  ]
  void refresh()
  return () => { for (const stop of stops) stop() }
}
