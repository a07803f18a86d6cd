// @ts-check
// The lobby: start a game, join one that is waiting, watch one being played, see the last results.
// It follows the lobby's topic, where the referee publishes a summary of every game after each change.

import { call, getLobby, reason } from './api.js'
import { el, markIcon } from './dom.js'
import { labelOf, myMark, nameOf, savedName } from './people.js'

/** @typedef {import('../logic/shapes.js').GameSummary} GameSummary */
/** @typedef {import('../logic/shapes.js').GameState} GameState */
/** @typedef {{ go: (hash: string) => void, setTitle: (prefix: string) => void }} Nav */

const FINISHED_SHOWN = 10

function isSummary (/** @type {unknown} */ v) {
  const s = /** @type {Partial<GameSummary> | null} */ (v)
  return s != null && typeof s.id === 'number' && typeof s.seq === 'number' && typeof s.status === 'string' && s.x != null
}

/** "just now", "5 min ago", "2 h ago": the host's clock and this one may differ a little. */
function ago (/** @type {string} */ iso) {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000)
  if (!Number.isFinite(s) || s < 60) return 'just now'
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`
  return `${Math.floor(s / 86_400)} d ago`
}

/**
 * Show the lobby in `root` and keep it live. Returns a function that stops following.
 * @param {HTMLElement} root
 * @param {Nav} nav
 */
export function showLobby (root, nav) {
  /** @type {Map<number, GameSummary>} */
  const games = new Map()
  let loaded = false
  let busy = false

  const error = el('p', { className: 'error', attrs: { id: 'lobby-error', role: 'alert' } })
  const newButton = el('button', { className: 'primary', text: 'New game', attrs: { type: 'button', id: 'new-game' } })
  const openList = el('ul', { className: 'games', attrs: { id: 'open-games', 'aria-labelledby': 'open-title' } })
  const liveList = el('ul', { className: 'games', attrs: { id: 'live-games', 'aria-labelledby': 'live-title' } })
  const doneList = el('ul', { className: 'games', attrs: { id: 'finished-games', 'aria-labelledby': 'done-title' } })
  const heading = el('h2', { className: 'visually-hidden', text: 'Lobby', attrs: { tabindex: '-1' } })

  root.replaceChildren(el('section', { className: 'lobby' },
    heading,
    el('div', { className: 'card start' },
      el('div', {},
        el('h3', { text: 'Start a game' }),
        el('p', { text: 'You play X and move first. Anyone visiting this site can take the other seat.' })),
      newButton),
    error,
    el('div', { className: 'card' }, el('h3', { text: 'Waiting for a player', attrs: { id: 'open-title' } }), openList),
    el('div', { className: 'card' }, el('h3', { text: 'Being played', attrs: { id: 'live-title' } }), liveList),
    el('div', { className: 'card' }, el('h3', { text: 'Recent results', attrs: { id: 'done-title' } }), doneList)))
  heading.focus()
  nav.setTitle('')

  /**
   * @param {'newGame' | 'join'} fn
   * @param {Record<string, unknown>} args
   */
  async function enter (fn, args) {
    if (busy) return
    busy = true
    try {
      const state = /** @type {GameState} */ (await call(fn, { ...args, name: savedName() }))
      nav.go(`#/game/${state.id}`)
    } catch (err) {
      error.textContent = reason(err)
    } finally {
      busy = false
    }
  }
  newButton.addEventListener('click', () => { void enter('newGame', {}) })

  /** @param {string} text @param {string} [hint] */
  const empty = (text, hint) => el('li', { className: 'empty' }, el('span', { text }), hint != null ? el('span', { className: 'hint', text: hint }) : null)

  /** @param {GameSummary} g */
  function openItem (g) {
    const mine = myMark(g) === 'X'
    return el('li', { data: { game: String(g.id) } },
      markIcon('X'),
      el('span', { className: 'what' },
        el('span', { className: 'who', text: mine ? 'Your game' : `${labelOf(g.x)} is waiting` }),
        el('span', { className: 'when', text: `Game ${g.id} · ${ago(g.created)}` })),
      mine
        ? el('a', { className: 'button quiet', text: 'Open', attrs: { href: `#/game/${g.id}` } })
        : el('button', { text: 'Join', attrs: { type: 'button', 'aria-label': `Join game ${g.id} against ${nameOf(g.x)}` }, onClick: () => { void enter('join', { game: g.id }) } }))
  }

  /** @param {GameSummary} g */
  function liveItem (g) {
    const mine = myMark(g) != null
    return el('li', { data: { game: String(g.id) } },
      el('span', { className: 'what' },
        el('span', { className: 'who' }, el('span', { className: 'x', text: labelOf(g.x) }), ' vs ', el('span', { className: 'o', text: g.o == null ? '?' : labelOf(g.o) })),
        el('span', { className: 'when', text: `Game ${g.id} · ${g.moves} ${g.moves === 1 ? 'move' : 'moves'} · ${ago(g.updated)}` })),
      el('a', { className: mine ? 'button' : 'button quiet', text: mine ? 'Resume' : 'Watch', attrs: { href: `#/game/${g.id}` } }))
  }

  /** @param {GameSummary} g */
  function doneItem (g) {
    const winner = g.winner === 'X' ? g.x : g.winner === 'O' ? g.o : null
    const loser = g.winner === 'X' ? g.o : g.winner === 'O' ? g.x : null
    const text = winner != null && loser != null
      ? `${labelOf(winner)} beat ${labelOf(loser)}`
      : `${labelOf(g.x)} and ${g.o == null ? '?' : labelOf(g.o)} drew`
    return el('li', { data: { game: String(g.id) } },
      g.winner != null ? markIcon(g.winner) : el('span', { className: 'draw-icon', text: '=', attrs: { 'aria-hidden': 'true' } }),
      el('span', { className: 'what' },
        el('span', { className: 'who', text }),
        el('span', { className: 'when', text: `Game ${g.id} · ${ago(g.updated)}` })),
      el('a', { className: 'button quiet', text: 'View', attrs: { href: `#/game/${g.id}` } }))
  }

  function render () {
    if (!loaded) return
    const all = [...games.values()]
    const by = (/** @type {string[]} */ statuses) => all.filter(g => statuses.includes(g.status))
    const newest = (/** @type {GameSummary} */ a, /** @type {GameSummary} */ b) => b.updated.localeCompare(a.updated) || b.id - a.id
    const open = by(['open']).toSorted(newest)
    const live = by(['playing']).toSorted(newest)
    const done = by(['won', 'drawn']).toSorted(newest).slice(0, FINISHED_SHOWN)
    openList.replaceChildren(...(open.length > 0 ? open.map(openItem) : [empty('No one is waiting right now.', 'Start a game and it shows up here for everyone.')]))
    liveList.replaceChildren(...(live.length > 0 ? live.map(liveItem) : [empty('No game in progress.')]))
    doneList.replaceChildren(...(done.length > 0 ? done.map(doneItem) : [empty('No finished games yet.')]))
  }

  /** Keep the newest news of each game (answers and published summaries may cross). */
  function take (/** @type {GameSummary} */ g) {
    const known = games.get(g.id)
    if (known != null && known.seq > g.seq) return
    games.set(g.id, g)
  }

  async function refresh () {
    try {
      const lobby = await getLobby()
      for (const g of [...lobby.open, ...lobby.playing, ...lobby.finished]) take(g)
      loaded = true
      error.textContent = ''
      render()
    } catch (err) {
      error.textContent = `The games could not be loaded: ${reason(err)}`
      if (!loaded) {
        for (const list of [openList, liveList, doneList]) list.replaceChildren(empty('Not loaded.'))
      }
    }
  }

  for (const list of [openList, liveList, doneList]) list.replaceChildren(el('li', { className: 'empty loading', text: 'Loading…' }))
  const timer = setInterval(render, 30_000) // keeps "5 min ago" true
  const stops = [
    goop.events.on('app.tictactoe.lobby', (payload) => { if (isSummary(payload)) { take(/** @type {GameSummary} */ (payload)); render() } }),
    goop.events.on('goop.ready', () => { void refresh() })
  ]
  void refresh()
  return () => {
    clearInterval(timer)
    for (const stop of stops) stop()
  }
}
