// The app's tests: a real owner peer with this template applied, and a real visitor peer using it
// (test/peers.ts). Run them with `npm test`.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startApp, type App } from './peers.js'

interface Game { id: number, status: string, board: Array<string | null> }

describe('tic-tac-toe, a visitor against the owner', () => {
  let app: App
  before(async () => { app = await startApp() })
  after(async () => { await app?.stop() })

  it('the visitor starts a game, the owner joins, and the owner\'s peer referees every move', async () => {
    const game = await app.call<Game>('newGame', { name: 'Visitor' })
    assert.equal(game.status, 'open')
    const joined = await app.ownerCall<Game>('join', { game: game.id, name: 'Owner' })
    assert.equal(joined.status, 'playing')

    const moved = await app.call<Game>('move', { game: game.id, cell: 4 })
    assert.equal(moved.board[4], 'X')
    await assert.rejects(app.call('move', { game: game.id, cell: 0 }), /turn/i, 'a move out of turn is refused')
    await assert.rejects(app.ownerCall('move', { game: game.id, cell: 4 }), /taken/i, 'a taken cell is refused')

    const { rows } = await app.data({ op: 'query', table: 'games', where: { column: 'status', op: 'eq', value: 'playing' } })
    assert.deepEqual(rows.map(r => r._id), [game.id])
  })
})
