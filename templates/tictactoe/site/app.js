// @ts-check
// The page: who you are, and which view the address shows (#/ the lobby, #/game/12 a game).

import { el } from './dom.js'
import { showGame } from './game.js'
import { showLobby } from './lobby.js'
import { NAME_MAX, saveName, savedName, shortId } from './people.js'

const main = /** @type {HTMLElement} */ (document.getElementById('main'))
const nameInput = /** @type {HTMLInputElement} */ (document.getElementById('name'))
const host = /** @type {HTMLElement} */ (document.getElementById('host'))
const APP_TITLE = 'Tic-tac-toe'

host.replaceChildren(goop.me === goop.peer
  ? el('span', { text: 'You are the host: your peer referees every game here.' })
  : el('span', { text: `Refereed by the host's peer ${shortId(goop.peer)}` }))

nameInput.maxLength = NAME_MAX
nameInput.placeholder = `Player ${shortId(goop.me)}`
nameInput.value = savedName() ?? ''
nameInput.addEventListener('input', () => { saveName(nameInput.value) })

const nav = {
  go: (/** @type {string} */ hash) => { location.hash = hash },
  setTitle: (/** @type {string} */ prefix) => { document.title = prefix === '' ? APP_TITLE : `${prefix} · ${APP_TITLE}` }
}

let stop = () => {}
function route () {
  stop()
  const game = /^#\/game\/(\d{1,15})$/.exec(location.hash)
  stop = game != null ? showGame(main, Number(game[1]), nav) : showLobby(main, nav)
  document.body.dataset.view = game != null ? 'game' : 'lobby'
}
window.addEventListener('hashchange', route)
route()
