// @ts-check
// The 3×3 board: nine buttons in a CSS grid, with arrow keys to move between them (one tab stop for
// the whole board, as for any grid of controls) and Enter or Space to play. Cells that cannot be
// played stay focusable (aria-disabled, not disabled) so the arrow keys never skip a cell; picking
// one still asks the referee, whose answer says why not.

import { el, markIcon } from './dom.js'

/** @typedef {import('../logic/shapes.js').GameState} GameState */

const ROWS = ['top', 'middle', 'bottom']
const COLUMNS = ['left', 'centre', 'right']

/** A cell in words: "top left", "middle centre"… */
export const cellName = (/** @type {number} */ i) => `${ROWS[Math.floor(i / 3)]} ${COLUMNS[i % 3]}`

/**
 * @param {(cell: number) => void} onPick
 */
export function createBoard (onPick) {
  const root = el('div', { className: 'board', attrs: { role: 'group', 'aria-label': 'Board' } })
  let focusIndex = 4
  /** @type {HTMLButtonElement[]} */
  const cells = []
  for (let i = 0; i < 9; i++) {
    const button = el('button', { className: 'cell', data: { cell: String(i) }, attrs: { type: 'button', tabindex: i === focusIndex ? '0' : '-1' } })
    button.addEventListener('click', () => { onPick(i) })
    button.addEventListener('focus', () => { moveFocus(i, false) })
    cells.push(button)
    root.append(button)
  }

  /** The roving tab stop: the focused cell is the board's only one in the tab order. */
  function moveFocus (/** @type {number} */ i, focus = true) {
    cells[focusIndex].tabIndex = -1
    focusIndex = i
    cells[i].tabIndex = 0
    if (focus) cells[i].focus()
  }

  root.addEventListener('keydown', (e) => {
    const row = Math.floor(focusIndex / 3)
    const col = focusIndex % 3
    /** @type {Record<string, number>} */
    const targets = {
      ArrowUp: ((row + 2) % 3) * 3 + col,
      ArrowDown: ((row + 1) % 3) * 3 + col,
      ArrowLeft: row * 3 + (col + 2) % 3,
      ArrowRight: row * 3 + (col + 1) % 3,
      Home: row * 3,
      End: row * 3 + 2
    }
    const to = targets[e.key]
    if (to == null) return
    e.preventDefault()
    moveFocus(to)
  })

  /**
   * Show a state. `playable`: the visitor may move now (its turn in a game in progress).
   * @param {GameState} state
   * @param {boolean} playable
   */
  function render (state, playable) {
    const winning = new Set(state.line ?? [])
    state.board.forEach((mark, i) => {
      const button = cells[i]
      const where = cellName(i)
      const free = mark == null
      button.setAttribute('aria-label', `${where}: ${free ? 'empty' : mark}${winning.has(i) ? ', winning line' : ''}`)
      button.setAttribute('aria-disabled', String(!(playable && free)))
      button.classList.toggle('win', winning.has(i))
      button.classList.toggle('free', free)
      const shown = button.firstElementChild?.getAttribute('data-mark') ?? null
      if (shown !== mark) {
        // Only a cell that changed is redrawn, so a new mark animates in and the others stay still.
        button.replaceChildren()
        if (mark != null) {
          const icon = markIcon(mark)
          icon.setAttribute('data-mark', mark)
          button.append(icon)
        }
      }
    })
    root.classList.toggle('playable', playable)
    root.classList.toggle('has-line', state.line != null)
  }

  return { root, render, focus: () => { cells[focusIndex].focus() } }
}
