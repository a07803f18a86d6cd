import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Browser, Page } from 'playwright-core'
import type { DataRequest, DataResults, Row } from '@goop/sdk'
import { siteLabel } from '@goop/core'
import { connect, startTestPeer, type TestPeer } from '@goop/core/testing'
import { launchBrowser, shots, WAIT_MS, waitText, watchedPage } from './helpers/browser.js'

/**
 * The bundled tictactoe template end to end, on real peers in a real chromium. Alice (the owner)
 * applies it by name. Her own browser and Bob's (a visitor, on his own peer's viewer at Alice's site
 * origin) play a full game to a win, while Cara (a third peer) watches. Every move is refereed on
 * Alice's peer: an occupied cell, a move out of turn, Cara moving in their game and Bob writing the
 * games table directly are refused, and the stored game is unchanged by them. Both boards (and
 * Cara's) follow every move live and show the result; the rematch swaps the marks. Then Bob and Cara,
 * two visitors, play each other on Alice's site to a draw, partly with the keyboard (Cara on a
 * narrow screen in dark mode). Screenshots:
 * test-artifacts/template-tictactoe-*.png.
 */

type ErrorBody = { error: { code: string, message: string } }
interface CallError { code: string, status: number, message: string }
/** The part of goop.js (window.goop on the site's pages) the test uses directly. */
interface PageGoop {
  call: (fn: string, args: unknown) => Promise<unknown>
  data: { table: (name: string) => { update: (id: number, values: Record<string, unknown>) => Promise<unknown> } }
}

describe('template tictactoe: two peers play live, refereed by the owner', () => {
  let browser: Browser | undefined
  let alice: TestPeer | undefined
  let bob: TestPeer | undefined
  let cara: TestPeer | undefined
  /** What any page reported that it should not: CSP violations, uncaught errors, native dialogs. */
  const problems: string[] = []

  /** One data operation as the owner, through her admin API: what is really stored on her peer. */
  async function op<R extends DataRequest> (req: R): Promise<DataResults[R['op']]> {
    const res = await alice!.api('POST', '/api/x/data/op', req)
    const body = await res.json() as DataResults[R['op']] | ErrorBody
    assert.equal(res.status, 200, `${req.op}: ${JSON.stringify(body)}`)
    return body as DataResults[R['op']]
  }
  const game = async (id: number): Promise<Row> => {
    const { row } = await op({ op: 'get', table: 'games', id })
    assert.ok(row != null, `game ${id} is stored`)
    return row
  }

  /** A page of Alice's site as `viewer`'s browser shows it: the site origin on that peer's own viewer. */
  async function open (viewer: TestPeer, name: string, opts: { viewport?: { width: number, height: number }, colorScheme?: 'light' | 'dark' } = {}): Promise<Page> {
    const { page } = await watchedPage(browser!, { viewport: opts.viewport ?? { width: 1000, height: 860 }, colorScheme: opts.colorScheme ?? 'light', problems })
    const res = await page.goto(`http://${siteLabel(alice!.id)}.localhost:${viewer.viewer!.port}/`)
    assert.equal(res?.status(), 200)
    await page.locator('body[data-view="lobby"]').waitFor()
    await page.getByLabel('Your name').fill(name)
    // Set once: still there later means the page followed the game live, without a reload.
    await page.evaluate(() => { (window as unknown as { loadedOnce: boolean }).loadedOnce = true })
    return page
  }

  const shot = shots('template-tictactoe', { animations: 'disabled' })

  /** The board as the page shows it, row by row: X, O or . */
  const boardOf = async (page: Page): Promise<string> =>
    (await page.locator('.board .cell').evaluateAll(cells => cells.map(c => c.querySelector('svg')?.getAttribute('data-mark') ?? '.'))).join('')

  async function waitBoard (page: Page, want: string): Promise<void> {
    try {
      await page.waitForFunction((w) => [...document.querySelectorAll('.board .cell')].map(c => c.querySelector('svg')?.getAttribute('data-mark') ?? '.').join('') === w, want, { timeout: WAIT_MS })
    } catch (err) {
      throw new Error(`the board should read ${want}, reads ${await boardOf(page)}`, { cause: err })
    }
  }

  const cell = (page: Page, i: number) => page.locator(`.board .cell[data-cell="${i}"]`)

  /** Click a cell and wait for the referee's answer to show on the board (or as a refusal). */
  async function play (page: Page, i: number, board: string, others: Page[] = []): Promise<void> {
    await cell(page, i).click()
    await waitBoard(page, board)
    for (const other of others) await waitBoard(other, board)
  }

  /**
   * Click a cell that the referee must refuse, and read the refusal shown beside the board. The
   * page marks such cells aria-disabled but still lets them be clicked (and the referee say why), so
   * the click skips Playwright's "enabled" check.
   */
  async function refused (page: Page, i: number, message: string): Promise<void> {
    await cell(page, i).click({ force: true })
    await waitText(page, '#game-error', message)
  }

  /** goop.call straight from a page, as a script that skips the board would. */
  async function rawCall (page: Page, fn: string, args: unknown): Promise<CallError | 'ok'> {
    return await page.evaluate(async ([f, a]) => {
      try {
        await (window as unknown as { goop: PageGoop }).goop.call(f, a)
        return 'ok' as const
      } catch (err) {
        const e = err as CallError
        return { code: e.code, status: e.status, message: e.message }
      }
    }, [fn, args] as const)
  }

  const loadedOnce = async (page: Page): Promise<boolean> => await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce === true)

  before(async () => {
    ;[browser, alice, bob, cara] = await Promise.all([
      launchBrowser(),
      startTestPeer({ config: { name: 'alice' } }),
      startTestPeer({ config: { name: 'bob' } }),
      startTestPeer({ config: { name: 'cara' } })
    ])
    await connect(bob, alice)
    await connect(cara, alice)
    const res = await alice.api('POST', '/api/x/templates/apply', { name: 'tictactoe' })
    const applied = await res.json() as { template: { name: string }, kind: string, tables: Array<{ name: string }> }
    assert.equal(res.status, 200, JSON.stringify(applied))
    assert.equal(applied.template.name, 'tictactoe')
    assert.equal(applied.kind, 'new')
    assert.deepEqual(applied.tables.map(t => t.name).toSorted(), ['games', 'ledger'])
  })

  after(async () => {
    await browser?.close()
    await Promise.all([alice?.cleanup(), bob?.cleanup(), cara?.cleanup()])
    assert.deepEqual(problems, [], 'no CSP violations, page errors or native dialogs')
  })

  it('the owner and a visitor play to a win; illegal moves are refused on the owner; every board follows live and shows the result', async () => {
    const [a, b, c] = await Promise.all([open(alice!, 'Alice'), open(bob!, 'Bob'), open(cara!, 'Cara')])
    await waitText(a, '#host', 'You are the host: your peer referees every game here.')
    await waitText(b, '#open-games', 'No one is waiting right now.\nStart a game and it shows up here for everyone.')
    await shot(b, '01-lobby-empty')

    // Alice starts a game; it shows up in Bob's lobby by itself (the lobby topic), and he joins.
    await a.getByRole('button', { name: 'New game' }).click()
    await a.locator('body[data-view="game"]').waitFor()
    assert.match(a.url(), /#\/game\/1$/)
    await waitText(a, '#status', 'Waiting for someone to join. Your game is listed in the lobby.')
    await shot(a, '02-waiting')
    const listed = b.locator('#open-games li[data-game="1"]')
    await listed.waitFor()
    assert.match(await listed.innerText(), /Alice \(host\) is waiting/)
    await shot(b, '03-lobby-open-game')
    await listed.getByRole('button', { name: 'Join game 1 against Alice' }).click()
    await b.locator('body[data-view="game"]').waitFor()
    await waitText(b, '#status', 'Waiting for Alice…')
    await waitText(a, '#status', 'Your turn: place an X.')
    assert.deepEqual(await a.locator('#players .player-name').allInnerTexts(), ['Alice (you)', 'Bob'])
    assert.deepEqual(await b.locator('#players .player-name').allInnerTexts(), ['Alice (host)', 'Bob (you)'])
    const joined = await game(1)
    assert.equal(joined.status, 'playing')
    assert.equal(joined.x, alice!.id)
    assert.equal(joined.o, bob!.id, "O is Bob's peer, as his connection proved it")

    // Cara watches from the lobby.
    await c.locator('#live-games li[data-game="1"]').getByRole('link', { name: 'Watch' }).click()
    await waitText(c, '#status', 'Alice (X) to move. You are watching.')

    await play(a, 4, '....X....', [b, c])
    await waitText(b, '#status', 'Your turn: place an O.')
    // Said for screen readers too, in one live region.
    await waitText(b, '#announcer', 'Alice placed X middle centre. Your turn: place an O.')

    // Refused by the referee, each with its reason shown beside the board.
    await refused(a, 0, 'It is not your turn: O moves next.')
    await refused(b, 4, 'That cell is taken (by X).')
    await refused(c, 8, 'You are not a player in this game.')
    await shot(b, '04-occupied-cell-refused')
    await shot(c, '05-spectator-refused')
    // The same from scripts that skip the board: the page is not what checks anything.
    const outOfTurn = await rawCall(a, 'move', { game: 1, cell: 0 })
    assert.ok(outOfTurn !== 'ok' && outOfTurn.code === 'logic_error' && /not your turn/.test(outOfTurn.message), JSON.stringify(outOfTurn))
    const intruder = await rawCall(c, 'move', { game: 1, cell: 8 })
    assert.ok(intruder !== 'ok' && /you are not a player in this game/.test(intruder.message), JSON.stringify(intruder))
    const outside = await rawCall(b, 'move', { game: 1, cell: 9 })
    assert.ok(outside !== 'ok' && /cell must be a whole number from 0 to 8/.test(outside.message), JSON.stringify(outside))
    const direct = await b.evaluate(async () => {
      try {
        await (window as unknown as { goop: PageGoop }).goop.data.table('games').update(1, { board: 'OOO......' })
        return 'ok'
      } catch (err) { return (err as CallError).code }
    })
    assert.equal(direct, 'forbidden', 'a visitor cannot write the games table: only the referee (as the owner) does')
    const held = await game(1)
    assert.equal(held.board, '....X....', 'none of the refused moves changed the stored game')
    assert.equal(held.seq, 2)

    // The rest of the game: X takes the diagonal 2-4-6.
    await play(b, 0, 'O...X....', [a, c])
    await play(a, 2, 'O.X.X....', [b, c])
    await play(b, 1, 'OOX.X....', [a, c])
    await shot(a, '06-owner-to-move')
    await play(a, 6, 'OOX.X.X..', [c])
    // The loser's board follows the winning move live: no reload, no click.
    await waitBoard(b, 'OOX.X.X..')
    assert.equal(await loadedOnce(b), true, "Bob's page was not reloaded")
    await waitText(a, '#result', 'You won!')
    await waitText(b, '#result', 'You lost.')
    await waitText(c, '#result', 'Alice won!')
    await waitText(b, '#banner .detail', 'Three in a row for X.')
    for (const page of [a, b, c]) {
      assert.deepEqual(await page.locator('.board .cell.win').evaluateAll(cells => cells.map(el => Number((el as HTMLElement).dataset.cell))), [2, 4, 6])
    }
    assert.equal(await a.title(), 'You won! · Tic-tac-toe')
    await shot(a, '07-winner')
    await shot(b, '08-loser')

    const won = await game(1)
    assert.equal(won.status, 'won')
    assert.equal(won.winner, 'X')
    assert.deepEqual(won.line, [2, 4, 6])
    const ledger = await op({ op: 'query', table: 'ledger', where: { column: 'game', op: 'eq', value: 1 }, order: [{ column: 'seq', dir: 'asc' }] })
    assert.deepEqual(ledger.rows.map(r => `${r.action}:${r.cell ?? '-'}:${r.by === alice!.id ? 'A' : r.by === bob!.id ? 'B' : '?'}`),
      ['join:-:B', 'move:4:A', 'move:0:B', 'move:2:A', 'move:1:B', 'move:6:A'])
    await refused(b, 8, 'The game is over.')

    // Bob asks for a rematch: a new game with the marks swapped, so Bob (now X) starts; Alice is offered it live.
    await b.getByRole('button', { name: 'Rematch' }).click()
    await b.waitForURL(/#\/game\/2$/)
    await waitText(b, '#status', 'Your turn: place an X.')
    const offer = a.getByRole('link', { name: 'Play the rematch (you are O)' })
    await offer.click()
    await waitText(a, '#status', 'Waiting for Bob…')
    await c.getByRole('link', { name: 'Watch the rematch' }).waitFor()
    const second = await game(2)
    assert.equal(second.x, bob!.id)
    assert.equal(second.o, alice!.id)
    assert.equal(second.previous, 1)
    await play(b, 0, 'X........', [a])
    await shot(a, '09-rematch')
  })

  it('two visitors play each other on the owner\'s site, with the keyboard too, to a draw', async () => {
    const b = await open(bob!, 'Bob')
    const c = await open(cara!, 'Cara', { viewport: { width: 420, height: 860 }, colorScheme: 'dark' })
    await b.getByRole('button', { name: 'New game' }).click()
    await b.locator('body[data-view="game"]').waitFor()
    const id = Number(/#\/game\/(\d+)$/.exec(b.url())?.[1])
    await c.locator(`#open-games li[data-game="${id}"]`).getByRole('button', { name: 'Join' }).click()
    await waitText(b, '#status', 'Your turn: place an X.')
    await waitText(c, '#status', 'Waiting for Bob…')

    // X O X / X O O / O X X: no line. Bob plays his first move with the keyboard: the board is one tab
    // stop (the centre), arrow keys move, Enter plays.
    await cell(b, 4).focus()
    await b.keyboard.press('ArrowUp')
    await b.keyboard.press('ArrowLeft')
    assert.equal(await b.evaluate(() => (document.activeElement as HTMLElement).dataset.cell), '0')
    await b.keyboard.press('Enter')
    await waitBoard(b, 'X........')
    await waitBoard(c, 'X........')
    const moves: Array<[Page, number]> = [[c, 1], [b, 2], [c, 4], [b, 3], [c, 5], [b, 7], [c, 6], [b, 8]]
    let board = 'X........'
    for (const [page, i] of moves) {
      board = board.slice(0, i) + (page === b ? 'X' : 'O') + board.slice(i + 1)
      await play(page, i, board, [page === b ? c : b])
    }
    assert.equal(board, 'XOXXOOOXX')
    await waitText(b, '#result', 'It\'s a draw!')
    await waitText(c, '#result', 'It\'s a draw!')
    await waitText(c, '#banner .detail', 'The board is full.')
    assert.equal((await game(id)).status, 'drawn')
    assert.equal(await loadedOnce(c), true, "Cara's page was not reloaded")
    await shot(c, '10-draw-narrow-dark')

    // The lobby lists both results.
    await b.getByRole('link', { name: 'All games', exact: true }).click()
    const results = b.locator('#finished-games')
    await results.locator(`li[data-game="${id}"]`).waitFor()
    assert.match(await results.locator(`li[data-game="${id}"]`).innerText(), /Bob \(you\) and Cara drew/)
    assert.match(await results.locator('li[data-game="1"]').innerText(), /Alice \(host\) beat Bob \(you\)/)
    await shot(b, '11-lobby-results')
  })
})
