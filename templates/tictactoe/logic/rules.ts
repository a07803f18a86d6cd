// The rules of tic-tac-toe, and nothing else: pure functions over a board, no host calls, so they
// are the same wherever they run (and a unit test can run them in Node).

export type Mark = 'X' | 'O'
export type Cell = Mark | null
/** Nine cells, row by row: 0 1 2 / 3 4 5 / 6 7 8. */
export type Board = Cell[]

export const CELLS = 9
/** How a board is stored in the games table: one character per cell, `.` for empty. */
export const EMPTY_BOARD = '.........'

/** The eight lines that win: three rows, three columns, two diagonals. */
export const LINES: ReadonlyArray<readonly [number, number, number]> = [
  [0, 1, 2], [3, 4, 5], [6, 7, 8],
  [0, 3, 6], [1, 4, 7], [2, 5, 8],
  [0, 4, 8], [2, 4, 6]
]

/** The stored text back to cells; anything but nine of `X`, `O` and `.` is a damaged row, not a game. */
export function parseBoard (text: string): Board {
  if (!/^[XO.]{9}$/.test(text)) throw new Error(`a stored board is nine characters of X, O and ., not ${JSON.stringify(text)}`)
  return [...text].map(c => (c === '.' ? null : c as Mark))
}

export function formatBoard (board: Board): string {
  return board.map(c => c ?? '.').join('')
}

export function count (board: Board, mark: Mark): number {
  return board.filter(c => c === mark).length
}

/** X always moves first, so it is X's turn whenever both have made as many moves. */
export function turnOf (board: Board): Mark {
  return count(board, 'X') === count(board, 'O') ? 'X' : 'O'
}

export const other = (mark: Mark): Mark => (mark === 'X' ? 'O' : 'X')

/** The first complete line on the board, if any (a legal game has at most one winner). */
export function winningLine (board: Board): { winner: Mark, line: number[] } | null {
  for (const line of LINES) {
    const [a, b, c] = line
    const mark = board[a]
    if (mark != null && mark === board[b] && mark === board[c]) return { winner: mark, line: [...line] }
  }
  return null
}

export const isFull = (board: Board): boolean => board.every(c => c != null)

/** The board after `mark` takes `cell`: a new array, the old one is left alone. */
export function place (board: Board, cell: number, mark: Mark): Board {
  const next = [...board]
  next[cell] = mark
  return next
}
