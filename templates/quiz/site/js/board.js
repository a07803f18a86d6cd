// The leaderboard: the top 10 as the owner's logic publishes them on `app.quiz.leaderboard` after
// every scored answer (and a page's first load from goop.call('state')). Names are the players' own
// choice, so they are shown as text only; the end of the peer ID beside each tells two Adas apart.
import { fill, h, plural } from './dom.js'

export const TOPIC = 'app.quiz.leaderboard'

/** A panel that shows `board` ({ top, players, questions }); `me` is this page's visitor, if playing. */
export function boardPanel ({ me = null, extra = null } = {}) {
  const list = h('ol', { id: 'board', class: 'board-list' })
  const empty = h('p', { id: 'board-empty', class: 'muted' }, 'No scores yet. The first right answer tops the board!')
  const total = h('p', { id: 'board-total', class: 'muted small' })
  const live = h('span', { id: 'live', class: 'live', title: 'Updates as people answer' }, 'connecting…')
  const panel = h('aside', { class: 'card board', 'aria-labelledby': 'board-title' },
    h('div', { class: 'board-head' }, h('h2', { id: 'board-title' }, 'Leaderboard'), live),
    // Announced politely: a screen reader hears the new standings without losing its place.
    h('div', { 'aria-live': 'polite' }, list, empty), total, extra)

  function render (board) {
    const top = Array.isArray(board?.top) ? board.top : []
    fill(list, top.map((p) => {
      const mine = me != null && p.player === me
      const name = typeof p.name === 'string' && p.name !== '' ? p.name : `Player ${p.short}`
      return h('li', { class: mine ? 'me' : null, dataset: { player: p.player, score: p.score } },
        h('span', { class: 'rank', 'aria-hidden': 'true', dataset: p.rank <= 3 ? { medal: p.rank } : null }, String(p.rank)),
        h('span', { class: 'who' },
          h('span', { class: 'name' }, name),
          mine ? h('span', { class: 'tag' }, 'you') : null,
          h('span', { class: 'id muted', title: p.player }, `…${p.short}`)),
        h('span', { class: 'score', 'aria-label': `rank ${p.rank}, ${plural(p.score, 'point')}` }, String(p.score)))
    }))
    empty.hidden = top.length > 0
    total.textContent = board?.players > top.length
      ? `${plural(board.players, 'player')} so far; the top ${top.length} are shown.`
      : top.length > 0 ? `${plural(board.players, 'player')} so far.` : ''
  }

  function setLive (state) {
    live.dataset.state = state
    live.textContent = state === 'on' ? 'live' : state === 'off' ? 'not live' : 'connecting…'
    live.title = state === 'off' ? 'Live updates stopped: reload the page to see new scores' : 'Updates as people answer'
  }
  setLive('connecting')

  return { el: panel, render, setLive }
}

/** Follow the leaderboard topic; `panel` shows every update and whether it is live. Returns the stop function. */
export function followBoard (panel) {
  const offs = [
    goop.events.on(TOPIC, (board) => { panel.render(board) }),
    goop.events.on('goop.ready', (e) => { if (e?.topics?.includes(TOPIC)) panel.setLive('on') }),
    goop.events.on('goop.error', (e) => { if (e?.topic === TOPIC || e?.topic == null) panel.setLive('off') })
  ]
  return () => { for (const off of offs) off() }
}
