import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { formatBoard, isFull, LINES, parseBoard, place, turnOf, winningLine } from '../logic/rules.js'
import { argsOf, cellIndex, gameId, playerName } from '../logic/validate.js'

// The referee's pure parts, without a peer: the rules of the game and the checks on what visitors send.

describe('tictactoe rules', () => {
  it('reads and writes the stored board, and refuses a damaged one', () => {
    assert.deepEqual(parseBoard('X.O......'), ['X', null, 'O', null, null, null, null, null, null])
    assert.equal(formatBoard(parseBoard('XOX.O..X.')), 'XOX.O..X.')
    for (const bad of ['', 'X.O', '..........', 'x........', 'X.O.<b>...']) assert.throws(() => parseBoard(bad), /nine characters/)
  })

  it('X moves first, then the turns alternate', () => {
    assert.equal(turnOf(parseBoard('.........')), 'X')
    assert.equal(turnOf(parseBoard('....X....')), 'O')
    assert.equal(turnOf(parseBoard('O...X....')), 'X')
  })

  it('finds each of the eight lines, and no winner where there is none', () => {
    for (const line of LINES) {
      for (const mark of ['X', 'O'] as const) {
        let board = parseBoard('.........')
        for (const i of line) board = place(board, i, mark)
        assert.deepEqual(winningLine(board), { winner: mark, line: [...line] })
      }
    }
    assert.equal(winningLine(parseBoard('XOXXOOOXX')), null)
    assert.equal(isFull(parseBoard('XOXXOOOXX')), true)
    assert.equal(isFull(parseBoard('XOXXOOOX.')), false)
  })

  it('place leaves the old board alone', () => {
    const before = parseBoard('.........')
    const after = place(before, 4, 'X')
    assert.equal(formatBoard(before), '.........')
    assert.equal(formatBoard(after), '....X....')
  })
})

describe('tictactoe input checks', () => {
  it('takes only the keys a function knows, from an object', () => {
    assert.deepEqual(argsOf(null, 'lobby', []), {})
    assert.deepEqual(argsOf({ game: 1 }, 'state', ['game']), { game: 1 })
    assert.throws(() => argsOf({ game: 1, as: 'owner' }, 'state', ['game']), /state does not take "as" \(only game\)/)
    assert.throws(() => argsOf([1], 'state', ['game']), /takes an object/)
    assert.throws(() => argsOf('1', 'state', ['game']), /takes an object/)
  })

  it('game numbers and cells are whole numbers in range, never strings', () => {
    assert.equal(gameId(7), 7)
    for (const bad of [0, -1, 1.5, '1', null, Number.NaN, 2 ** 53]) assert.throws(() => gameId(bad), /game must be a game number/)
    assert.equal(cellIndex(0), 0)
    assert.equal(cellIndex(8), 8)
    for (const bad of [-1, 9, 4.5, '4', null, true]) assert.throws(() => cellIndex(bad), /cell must be a whole number from 0 to 8/)
  })

  it('names are trimmed, short, and free of control and direction characters', () => {
    assert.equal(playerName(undefined), null)
    assert.equal(playerName('   '), null)
    assert.equal(playerName('  Ada   Lovelace '), 'Ada Lovelace')
    assert.equal(playerName('🙂'.repeat(24)), '🙂'.repeat(24), 'characters, not UTF-16 units')
    assert.equal(playerName('<img src=x onerror=f()>'), '<img src=x onerror=f()>', 'markup is just text: pages show names as text')
    assert.throws(() => playerName('x'.repeat(25)), /at most 24 characters/)
    assert.throws(() => playerName(42), /name must be text/)
    for (const bad of ['a\u0000b', 'a\u0007b', 'abc\u202Edef', 'a\u2066b']) assert.throws(() => playerName(bad), /control characters/)
  })
})
