import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import type { Row } from '@goop/sdk'
import { siteLabel } from '@goop/core'
import { connect, startTestPeer, type TestPeer } from '@goop/core/testing'

// The referee on real peers, without a browser: what the page never does but a visitor's script
// could. Calls go exactly as goop.js sends them: POST /.goop/call on the owner's site origin, on the
// caller's own viewer (so the caller is its peer, as the libp2p connection proves it).

interface Answer { status: number, body: { result?: unknown, error?: { code: string, message: string } } }
interface State { id: number, seq: number, status: string, board: Array<string | null>, o: { peer: string } | null }

async function post (viewer: TestPeer, owner: string, body: unknown): Promise<Answer> {
  const port = viewer.viewer!.port
  const host = `${siteLabel(owner)}.localhost:${port}`
  const payload = Buffer.from(JSON.stringify(body))
  return await new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port, method: 'POST', path: '/.goop/call', agent: false,
      headers: { host, origin: `http://${host}`, 'content-type': 'application/json', 'content-length': String(payload.length) }
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['body'] }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(payload)
  })
}

describe('tictactoe logic on real peers', () => {
  let owner: TestPeer | undefined
  let bob: TestPeer | undefined
  let cara: TestPeer | undefined

  /** Call as `who`; waits out the per-visitor rate limit (this test makes many calls in a row). */
  async function call (who: TestPeer, fn: string, args?: unknown): Promise<Answer> {
    for (;;) {
      const answer = await post(who, owner!.id, { fn, args: args ?? null })
      if (answer.status !== 429) return answer
      await new Promise(resolve => setTimeout(resolve, 200))
    }
  }
  async function ok<T = State> (who: TestPeer, fn: string, args?: unknown): Promise<T> {
    const answer = await call(who, fn, args)
    assert.equal(answer.status, 200, `${fn} ${JSON.stringify(args)}: ${JSON.stringify(answer.body)}`)
    return answer.body.result as T
  }
  async function refused (who: TestPeer, fn: string, args: unknown, message: RegExp): Promise<void> {
    const answer = await call(who, fn, args)
    assert.equal(answer.body.error?.code, 'logic_error', `${fn} ${JSON.stringify(args)} is refused: ${JSON.stringify(answer.body)}`)
    assert.match(answer.body.error.message, message)
  }
  async function stored (table: 'games' | 'ledger', id: number): Promise<Row> {
    const res = await owner!.api('POST', '/api/x/data/op', { op: 'get', table, id })
    return (await res.json() as { row: Row }).row
  }
  async function ledgerOf (game: number): Promise<Row[]> {
    const res = await owner!.api('POST', '/api/x/data/op', { op: 'query', table: 'ledger', where: { column: 'game', op: 'eq', value: game } })
    return (await res.json() as { rows: Row[] }).rows
  }

  before(async () => {
    ;[owner, bob, cara] = await Promise.all([startTestPeer(), startTestPeer(), startTestPeer()])
    await connect(bob, owner)
    await connect(cara, owner)
    const res = await owner.api('POST', '/api/x/templates/apply', { name: 'tictactoe' })
    assert.equal(res.status, 200, await res.text())
  })

  after(async () => {
    await Promise.all([owner?.cleanup(), bob?.cleanup(), cara?.cleanup()])
  })

  it('of two moves sent at once, exactly one lands; of two joins at once, exactly one is seated', async () => {
    const game = await ok(bob!, 'newGame', { name: 'Bob' })
    const joins = await Promise.all([call(cara!, 'join', { game: game.id }), call(owner!, 'join', { game: game.id })])
    assert.equal(joins.filter(j => j.status === 200).length, 1, `one join wins: ${JSON.stringify(joins.map(j => j.body))}`)
    const seated = (await stored('games', game.id)).o
    assert.ok(seated === cara!.id || seated === owner!.id, 'O is one of the two who asked')

    const moves = await Promise.all([0, 1, 2, 3].map(async cell => await call(bob!, 'move', { game: game.id, cell })))
    const landed = moves.filter(m => m.status === 200)
    assert.equal(landed.length, 1, `one move lands: ${JSON.stringify(moves.map(m => m.body))}`)
    for (const lost of moves.filter(m => m.status !== 200)) assert.match(lost.body.error?.message ?? '', /the game changed at that very moment|not your turn/)
    const row = await stored('games', game.id)
    assert.equal((row.board as string).replaceAll('.', ''), 'X', 'one X on the board')
    assert.equal(row.seq, 2)
    assert.deepEqual((await ledgerOf(game.id)).map(r => r.action), ['join', 'move'])
  })

  it('refuses what a script could send: wrong types, unknown keys, someone else\'s seat', async () => {
    const game = await ok(bob!, 'newGame')
    await refused(bob!, 'join', { game: game.id }, /this is your own game/)
    await refused(cara!, 'move', { game: game.id, cell: 0 }, /you are not a player in this game/)
    await ok(cara!, 'join', { game: game.id })
    await refused(cara!, 'move', { game: game.id, cell: 0 }, /it is not your turn: X moves next/)
    await refused(bob!, 'move', { game: game.id, cell: 0, caller: cara!.id }, /move does not take "caller"/)
    await refused(bob!, 'move', { game: String(game.id), cell: 0 }, /game must be a game number/)
    await refused(bob!, 'move', { game: game.id, cell: '0' }, /cell must be a whole number/)
    await refused(bob!, 'move', [game.id, 0], /move takes an object/)
    await refused(bob!, 'move', { game: 999_999, cell: 0 }, /there is no game 999999/)
    await refused(bob!, 'newGame', { name: 'x'.repeat(25) }, /at most 24 characters/)
    await refused(bob!, 'rematch', { game: game.id }, /a rematch comes after the game is over/)
    await refused(owner!, 'move', { game: game.id, cell: 0 }, /you are not a player in this game/)
    // Resigning ends it for the other player; nothing moves after that.
    const resigned = await ok(cara!, 'leave', { game: game.id })
    assert.equal(resigned.status, 'won')
    assert.equal((await stored('games', game.id)).winner, 'X')
    await refused(bob!, 'move', { game: game.id, cell: 0 }, /the game is over/)
    await refused(bob!, 'leave', { game: game.id }, /the game is over/)
    const answer = await call(bob!, 'deleteEverything')
    assert.equal(answer.body.error?.code, 'not_exported', 'only the entry\'s exported functions can be called')
  })

  it('the host may call off anyone\'s game; a visitor may not', async () => {
    const game = await ok(bob!, 'newGame')
    await refused(cara!, 'leave', { game: game.id }, /you are not a player in this game/)
    const off = await ok(owner!, 'leave', { game: game.id })
    assert.equal(off.status, 'canceled')
    await refused(cara!, 'join', { game: game.id }, /this game is no longer open/)
    const lobby = await ok<{ open: State[] }>(cara!, 'lobby')
    assert.ok(!lobby.open.some(g => g.id === game.id), 'a called-off game leaves the lobby')
  })

  it('one waiting game per visitor, and at most 30 new games an hour', async () => {
    const first = await ok(cara!, 'newGame')
    assert.equal((await ok(cara!, 'newGame')).id, first.id, 'asking again gives back the game that is waiting')
    await ok(cara!, 'leave', { game: first.id })
    for (let n = 1; n < 30; n++) {
      const g = await ok(cara!, 'newGame')
      await ok(cara!, 'leave', { game: g.id })
    }
    await refused(cara!, 'newGame', {}, /you have started 30 games in the last hour/)
    // The host is not limited on its own site.
    await ok(owner!, 'newGame')
  })
})
