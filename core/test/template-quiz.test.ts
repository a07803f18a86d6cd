import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { Browser, Page } from 'playwright-core'
import type { DataService } from '@goop/plugin-data'
import type { TemplatesService } from '@goop/plugin-templates'
import { isGoopError, type DataRequest, type Filter, type Row } from '@goop/sdk'
import { siteLabel } from '@goop/core'
import { connect, probe, startTestPeer, type TestPeer } from '@goop/core/testing'
import { launchBrowser, shots, waitText, watchedPage } from './helpers/browser.js'

/**
 * The bundled quiz template (templates/quiz, Lua logic) end to end, with three real peers and a real
 * chromium: the owner A applies it by name and adds a question in its own editor; visitor B answers
 * on A's site (through B's viewer) and is scored right and wrong on A's peer, once per question; the
 * leaderboard moves live on visitor C's page; B is refused the owner's functions and tables.
 *
 * The answer key never reaches B — checked on what B receives. Two test questions have choices that
 * are unique marker strings, and the key (table `answers`) holds the text of the right one. Every
 * byte B gets from A's site is recorded:
 *   1. every HTTP response body B's browser receives on A's site origin (page, scripts, styles,
 *      goop.js, every POST /.goop/call and /.goop/data answer) — playwright's `response` event;
 *   2. every Server-Sent Event that browser receives (/.goop/events: the leaderboard and data.changed
 *      events) — through the DevTools protocol, since an event stream's body never ends;
 *   3. what B's peer gets when it asks A directly over the protocols, which any visitor's program could do:
 *      `/goop/data/1.0.0` describe, then a query of every table (the readable ones recorded, the
 *      others must answer `forbidden`), and `/goop/call/1.0.0` to every function the logic exports
 *      (the list comes from A, so a function added later is covered or fails this test).
 * In each recorded text, the right choice's marker must appear exactly as often as each wrong
 * choice's marker: B sees the choices, and nothing that singles out the right one (a row of
 * `answers`, an `answer` field, a "correct" hint). The same check is shown to flag the owner's own
 * editor data, which does hold the key, so it is not a check that cannot fail. Not recorded: raw
 * libp2p frames below the protocols (a test-only stream wrapper would change product code); what
 * arrives in them reaches B's browser or B's program only through the replies recorded above.
 *
 * Screenshots: test-artifacts/template-quiz-*.png.
 */

const WIDE = { width: 1180, height: 900 }
const NARROW = { width: 400, height: 820 }

const VISITOR_FNS = ['answer', 'leaderboard', 'setName', 'state']
const OWNER_FNS = ['admin', 'deleteQuestion', 'moveQuestion', 'resetScores', 'saveQuestion', 'saveSettings']

/** Unique per run, so a marker can only come from this run's questions. */
const TAG = randomBytes(4).toString('hex')
/** Added by the owner in the browser: right answer "mango". */
const MARKED_1 = { text: 'Which of these is the quizmaster\'s secret word?', choices: ['zebra', 'mango', 'comet'].map(w => `${w}-${TAG}`), right: 1 }
/** Added by the owner's peer directly: right answer "gallifrey". */
const MARKED_2 = { text: 'Pick the planet the quizmaster is thinking of.', choices: ['vulcan', 'krypton', 'gallifrey', 'arrakis'].map(w => `${w}-${TAG}`), right: 2 }

/** goop.js in the page, as far as this test uses it (window.goop). */
interface PageGoop {
  goop: {
    me: string
    call: (fn: string, args?: unknown) => Promise<unknown>
    data: { table: (name: string) => { query: () => Promise<unknown>, insert: (values: Record<string, unknown>) => Promise<unknown> } }
  }
}

const occurrences = (text: string, needle: string): number => text.split(needle).length - 1

/** Where a recorded text singles out a marked question's right choice: [] when it does nowhere. */
function leaks (records: Array<{ where: string, text: string }>): string[] {
  const found: string[] = []
  for (const { where, text } of records) {
    for (const q of [MARKED_1, MARKED_2]) {
      const right = occurrences(text, q.choices[q.right])
      for (const [i, choice] of q.choices.entries()) {
        if (i !== q.right && occurrences(text, choice) !== right) {
          found.push(`${where}: "${q.choices[q.right]}" ${right}×, "${choice}" ${occurrences(text, choice)}×`)
        }
      }
    }
  }
  return found
}

describe('template quiz: scored on the owner\'s peer, a live leaderboard, and the answer key never sent', () => {
  let browser: Browser | undefined
  let owner: TestPeer | undefined
  let bea: TestPeer | undefined
  let cy: TestPeer | undefined
  const ownerProbe = probe('probe', { requires: ['data', 'templates'] })
  const beaProbe = probe('probe', { requires: ['data', 'templates'] })
  const cyProbe = probe('probe', { requires: ['data', 'templates'] })
  const ownerData = (): DataService => ownerProbe.ctx().use('data')
  const beaData = (): DataService => beaProbe.ctx().use('data')
  const beaCalls = (): TemplatesService => beaProbe.ctx().use('templates')

  /** Everything B received from A's site: see the comment at the top. */
  const received: Array<{ where: string, text: string }> = []
  const pendingBodies: Array<Promise<void>> = []
  /** CSP violations, uncaught errors and native dialogs on any page: none expected. */
  const problems: string[] = []
  const pages: Record<string, Page> = {}
  const ids = { marked1: 0, marked2: 0 }

  const siteOn = (viewer: TestPeer): string => `http://${siteLabel(owner!.id)}.localhost:${viewer.viewer!.port}/`

  async function openPage (name: string, viewport: { width: number, height: number }, record = false): Promise<Page> {
    const { page, context: ctx } = await watchedPage(browser!, { viewport, problems, label: name })
    if (record) {
      page.on('response', (res) => {
        if (/text\/event-stream/.test(res.headers()['content-type'] ?? '')) return
        pendingBodies.push(res.body().then(
          (body) => { received.push({ where: `browser ${res.request().method()} ${new URL(res.url()).pathname}`, text: body.toString('utf8') }) },
          (err: unknown) => { if (res.status() < 300 || res.status() >= 400) problems.push(`${name}: no body for ${res.url()}: ${String(err)}`) }))
      })
      const cdp = await ctx.newCDPSession(page)
      await cdp.send('Network.enable')
      cdp.on('Network.eventSourceMessageReceived', (e) => { received.push({ where: `browser event ${e.eventName}`, text: e.data }) })
    }
    pages[name] = page
    return page
  }

  const shot = shots('template-quiz', { fromTop: true })

  /** The owner's view of a table (A's own data service, as the owner). */
  async function ownerRows (table: string, where?: Filter): Promise<Row[]> {
    return (await ownerData().run({ op: 'query', table, limit: 1000, ...(where != null ? { where } : {}) })).rows
  }

  /** A call from B's peer straight to A's logic over /goop/call/1.0.0; its answer or error recorded. */
  async function beaCall (fn: string, args: unknown): Promise<{ result?: unknown, code?: string, message?: string }> {
    try {
      const result = await beaCalls().call(owner!.id, fn, args)
      received.push({ where: `protocol call ${fn}`, text: JSON.stringify(result) })
      return { result }
    } catch (err) {
      if (!isGoopError(err)) throw err
      received.push({ where: `protocol call ${fn} (error)`, text: JSON.stringify({ code: err.code, message: err.message }) })
      return { code: err.code, message: err.message }
    }
  }

  /** Answer a question on a visitor's page: pick the choice, lock it in, wait for the verdict. */
  async function answerOnPage (page: Page, question: number, choice: number, expect: 'right' | 'wrong'): Promise<void> {
    const card = page.locator(`#q-${question}`)
    await card.locator(`label[data-choice="${choice}"]`).click()
    await card.getByRole('button', { name: 'Lock in answer' }).click()
    await page.locator(`#q-${question}[data-state="${expect}"]`).waitFor()
    assert.equal(await page.locator(`#q-${question} label.picked`).getAttribute('data-choice'), String(choice))
    assert.equal(await page.locator(`#q-${question} input:not([disabled])`).count(), 0, 'an answered question takes no other answer')
  }

  const boardRows = async (page: Page): Promise<string[]> =>
    await page.locator('#board li').evaluateAll(lis => lis.map(li => `${li.querySelector('.name')?.textContent ?? ''}=${(li as HTMLElement).dataset.score ?? ''}`))

  before(async () => {
    ;[browser, owner, bea, cy] = await Promise.all([
      launchBrowser(),
      startTestPeer({ plugins: [ownerProbe.plugin], config: { name: 'quizmaster' } }),
      startTestPeer({ plugins: [beaProbe.plugin], config: { name: 'bea' } }),
      startTestPeer({ plugins: [cyProbe.plugin], config: { name: 'cy' } })
    ])
    await connect(bea, owner)
    await connect(cy, owner)
  })

  after(async () => {
    await browser?.close()
    await Promise.all([owner?.cleanup(), bea?.cleanup(), cy?.cleanup()])
  })

  it('applies by name with its tables, policies and seed questions; the key is owner-only', async () => {
    const res = await owner!.api('POST', '/api/x/templates/apply', { name: 'quiz' })
    const body = await res.json() as { kind: string, seeded: Record<string, number>, template: { name: string } }
    assert.equal(res.status, 200, JSON.stringify(body))
    assert.equal(body.template.name, 'quiz')
    assert.deepEqual(body.seeded, { questions: 6, answers: 6 })
    const current = await (await owner!.api('GET', '/api/x/templates/current')).json() as { current: { logic: { loaded: boolean, exports: string[] } } }
    assert.equal(current.current.logic.loaded, true)
    assert.deepEqual(current.current.logic.exports.toSorted(), [...VISITOR_FNS, ...OWNER_FNS].toSorted(),
      'every exported function is classified here as a visitor\'s or the owner\'s, so the checks below cover it')

    // Every seeded key names one of its question's choices (the logic scores nothing otherwise).
    const questions = await ownerRows('questions')
    for (const key of await ownerRows('answers')) {
      const q = questions.find(x => x._id === key.question)
      assert.ok(q != null && (q.choices as string[]).includes(key.answer as string), `seed answer ${JSON.stringify(key.answer)} fits question ${String(key.question)}`)
    }
  })

  it('the owner adds a question in its own editor, with the right answer', async () => {
    const page = await openPage('owner', WIDE)
    await page.goto(siteOn(owner!))
    await page.locator('body[data-ready="editor"]').waitFor()
    await page.locator('#owner-banner').waitFor()
    assert.equal(await page.locator('#admin-questions > li.aq').count(), 6)
    assert.match(await page.locator('#aq-1 .aq-choices li.right').innerText(), /A flamboyance/)

    // A draft with an empty choice is stopped on the page, before any call. (A typo, fixed below.)
    await page.locator('#q-text').fill(MARKED_1.text.replace('word', 'wrod'))
    await page.locator('#q-save').click()
    await waitText(page, '#q-msg', 'Choice A is empty: fill it in or remove it.')

    // Three choices (one of the four removed), the second marked right.
    await page.getByRole('button', { name: 'Remove choice D' }).click()
    for (const [i, text] of MARKED_1.choices.entries()) await page.getByRole('textbox', { name: `Choice ${'ABC'[i]}`, exact: true }).fill(text)
    await page.getByRole('radio', { name: 'Choice B is the right answer' }).check()
    await page.locator('#q-save').click()
    await waitText(page, '#q-msg', 'Added. Visitors see it now.')
    assert.equal(await page.locator('#admin-questions > li.aq').count(), 7)

    const added = (await ownerRows('questions')).find(q => q.text === MARKED_1.text.replace('word', 'wrod'))
    assert.ok(added != null, 'the question is in the owner\'s table')
    ids.marked1 = added._id
    assert.deepEqual(added.choices, MARKED_1.choices)

    // Edited in place: the form opens in the question's card, filled in.
    await page.locator(`#aq-${ids.marked1}`).getByRole('button', { name: 'Edit' }).click()
    const form = page.locator(`#aq-${ids.marked1} #q-form[data-mode="edit"]`)
    await form.waitFor()
    await waitText(page, '#q-form-title', 'Edit question 7')
    assert.equal(await form.getByRole('radio', { name: 'Choice B is the right answer' }).isChecked(), true)
    await page.locator('#q-text').fill(MARKED_1.text)
    await form.getByRole('button', { name: 'Save changes' }).click()
    await waitText(page, '#q-msg', 'Saved.')
    await page.locator('#add-slot #q-form[data-mode="add"]').waitFor()
    assert.equal((await ownerData().run({ op: 'get', table: 'questions', id: ids.marked1 })).row?.text, MARKED_1.text)
    const key = await ownerRows('answers', { column: 'question', op: 'eq', value: ids.marked1 })
    assert.equal(key[0]?.answer, MARKED_1.choices[1], 'the key holds the right choice')
    assert.match(await page.locator(`#aq-${ids.marked1} .aq-choices li.right`).innerText(), new RegExp(`mango-${TAG}`))
    assert.equal(await page.locator(`#aq-${ids.marked1} .stats`).innerText(), 'Not answered yet.')

    // The second marked question through the owner's peer itself (the same owner-only function).
    const saved = await ownerProbe.ctx().use('templates').call(owner!.id, 'saveQuestion', { text: MARKED_2.text, choices: MARKED_2.choices, answer: MARKED_2.right }) as { id: number }
    ids.marked2 = saved.id
    await page.locator(`#aq-${ids.marked2}`).waitFor() // the editor follows data.changed
    await shot(page, '01-owner-editor')
  })

  it('a visitor answers on the owner\'s site and is scored there, right and wrong, once per question; the leaderboard moves live on another visitor\'s page', async () => {
    // C plays first, so the board has someone on it; C's page stays open to watch it move.
    const cyPage = await openPage('cy', WIDE)
    await cyPage.goto(siteOn(cy!))
    await cyPage.locator('body[data-ready="play"]').waitFor()
    await cyPage.locator('#name').fill('Cy')
    await cyPage.getByRole('button', { name: 'Save' }).click()
    await waitText(cyPage, '#name-msg', 'Saved: you are Cy on the leaderboard.')
    await answerOnPage(cyPage, 5, 0, 'right') // the unicorn: Scotland
    await waitText(cyPage, '#me-score', '1')
    await cyPage.locator('#live[data-state="on"]').waitFor()
    await cyPage.waitForFunction(() => document.querySelectorAll('#board li').length === 1)
    assert.deepEqual(await boardRows(cyPage), ['Cy=1'])
    await cyPage.evaluate(() => { (window as unknown as { sameLoad: boolean }).sameLoad = true })

    // B, recorded from here on.
    const page = await openPage('bea', WIDE, true)
    await page.goto(siteOn(bea!))
    await page.locator('body[data-ready="play"]').waitFor()
    assert.equal(await page.locator('#questions > li.q').count(), 8)
    assert.equal(await page.locator('#questions > li.q[data-state="open"]').count(), 8)
    await waitText(page, '#progress', '0 of 8 questions answered · 0 points')
    await page.locator('#live[data-state="on"]').waitFor()
    await shot(page, '02-visitor-start')

    // A name that looks like markup is only ever text, on every page that shows it.
    await page.locator('#name').fill('<img src=x onerror=z()>')
    await page.getByRole('button', { name: 'Save' }).click()
    await waitText(page, '#name-msg', 'Saved: you are <img src=x onerror=z()> on the leaderboard.')

    await answerOnPage(page, 1, 1, 'right') // flamingos: a flamboyance
    await waitText(page, '#me-score', '1')
    await waitText(page, '#q-1 .feedback', 'Right! +1 point.')
    // C's board moves without a reload; the markup-like name is text there, no element.
    await cyPage.waitForFunction(() => document.querySelectorAll('#board li').length === 2)
    assert.deepEqual(await boardRows(cyPage), ['Cy=1', '<img src=x onerror=z()>=1'], 'a tie goes to who got there first')
    assert.equal(await cyPage.locator('#board img').count(), 0)

    await answerOnPage(page, 2, 1, 'wrong') // octopus: 2 hearts (it has 3)
    await waitText(page, '#q-2 .feedback', 'Not this one. No retries, and the right answer stays the quizmaster\'s secret.')
    assert.equal(await page.locator('#q-2 .choice.right').count(), 0, 'a wrong answer is not followed by the right one')
    await answerOnPage(page, ids.marked1, 1, 'right') // mango
    await answerOnPage(page, ids.marked2, 0, 'wrong') // vulcan (gallifrey is right)
    await waitText(page, '#me-score', '2')
    await waitText(page, '#progress', '4 of 8 questions answered · 2 points')

    // Renamed: C's board follows, and B now leads (2 points).
    await page.locator('#name').fill('Bea')
    await page.getByRole('button', { name: 'Save' }).click()
    await waitText(page, '#name-msg', 'Saved: you are Bea on the leaderboard.')
    await cyPage.waitForFunction(() => document.querySelector('#board li .name')?.textContent === 'Bea')
    assert.deepEqual(await boardRows(cyPage), ['Bea=2', 'Cy=1'])
    assert.equal(await cyPage.evaluate(() => (window as unknown as { sameLoad?: boolean }).sameLoad), true, 'C\'s page was not reloaded')
    assert.equal(await page.locator('#board li.me .name').innerText(), 'Bea')
    await shot(page, '03-visitor-scored')
    await shot(cyPage, '04-leaderboard-live')

    // Scored on A's peer: the attempts (owner-only) say who answered what, with the caller's peer ID.
    const attempts = await ownerRows('attempts', { column: 'player', op: 'eq', value: bea!.id })
    assert.deepEqual(attempts.map(a => [a.question, a.choice, a.correct]),
      [[1, 1, true], [2, 1, false], [ids.marked1, 1, true], [ids.marked2, 0, false]])
    const [player] = await ownerRows('players', { column: 'player', op: 'eq', value: bea!.id })
    assert.deepEqual([player?.name, player?.score, player?.answered], ['Bea', 2, 4])

    // One answer each: a second one, from the page or straight from B's peer, is refused and changes nothing.
    const again = await page.evaluate(async (q) => {
      try { await (window as unknown as PageGoop).goop.call('answer', { question: q, choice: 2 }); return 'accepted' } catch (e) { const err = e as { code: string, status: number }; return `${err.code} ${err.status}` }
    }, ids.marked2)
    assert.equal(again, 'conflict 409')
    const direct = await beaCall('answer', { question: 2, choice: 2 })
    assert.equal(direct.code, 'conflict', JSON.stringify(direct))
    assert.match(direct.message ?? '', /already answered question 2: one answer each, no retries/)
    assert.equal((await ownerRows('attempts', { column: 'player', op: 'eq', value: bea!.id })).length, 4)
    await waitText(page, '#me-score', '2')

    // Visitor input is checked on the owner's side.
    for (const [args, code] of [
      [{ question: 3, choice: 4 }, 'bad_value'], [{ question: 3, choice: '1' }, 'bad_value'], [{ question: 3, choice: 1.5 }, 'bad_value'],
      [{ question: 999, choice: 0 }, 'not_found'], [{ question: 'x', choice: 0 }, 'bad_request'], ['all of them', 'bad_request']
    ] as const) {
      assert.equal((await beaCall('answer', args)).code, code, `answer ${JSON.stringify(args)}`)
    }
    assert.equal((await beaCall('setName', { name: 'x'.repeat(25) })).code, 'bad_value')
    assert.equal((await beaCall('setName', { name: 'a\u0007b' })).code, 'bad_value')
    assert.equal((await beaCall('setName', { name: '   ' })).code, 'bad_value')
    assert.equal((await ownerRows('attempts', { column: 'player', op: 'eq', value: bea!.id })).length, 4)
  })

  it('a visitor is refused the owner\'s functions and the owner-only tables, and cannot forge a score', async () => {
    const page = pages.bea!
    const refusals = await page.evaluate(async () => {
      const goop = (window as unknown as PageGoop).goop
      // (No named functions in here: the test's compiler would wrap them in a helper the page lacks.)
      const tries: Array<[string, () => Promise<unknown>]> = [
        ['call admin', async () => await goop.call('admin')],
        ['call saveQuestion', async () => await goop.call('saveQuestion', { text: 'Mine now?', choices: ['yes', 'no'], answer: 0 })],
        ['read answers', async () => await goop.data.table('answers').query()],
        ['read attempts', async () => await goop.data.table('attempts').query()],
        ['insert attempts', async () => await goop.data.table('attempts').insert({ player: goop.me, question: 3, choice: 0, correct: true, slot: 'x' })]
      ]
      const out: string[] = []
      for (const [what, run] of tries) {
        try { await run(); out.push(`${what}: allowed`) } catch (e) { const err = e as { code: string, status: number }; out.push(`${what}: ${err.code} ${err.status}`) }
      }
      return out
    })
    assert.deepEqual(refusals, ['call admin: forbidden 403', 'call saveQuestion: forbidden 403', 'read answers: forbidden 403', 'read attempts: forbidden 403', 'insert attempts: forbidden 403'])

    // From B's peer, every owner-only function: forbidden, and nothing changed.
    const counted = { questions: (await ownerRows('questions')).length, attempts: (await ownerRows('attempts')).length }
    const args: Record<string, unknown> = {
      admin: null,
      saveQuestion: { id: ids.marked1, text: 'Now mine', choices: ['a', 'b'], answer: 0 },
      deleteQuestion: { id: ids.marked1 },
      moveQuestion: { id: ids.marked1, dir: 'up' },
      saveSettings: { title: 'Taken over' },
      resetScores: null
    }
    for (const fn of OWNER_FNS) {
      const got = await beaCall(fn, args[fn])
      assert.equal(got.code, 'forbidden', `${fn}: ${JSON.stringify(got)}`)
    }
    assert.deepEqual({ questions: (await ownerRows('questions')).length, attempts: (await ownerRows('attempts')).length }, counted)
    assert.equal((await ownerRows('questions')).find(q => q._id === ids.marked1)?.text, MARKED_1.text)

    // Straight to the data: scores and answers are written by the logic only.
    const [mine] = await ownerRows('players', { column: 'player', op: 'eq', value: bea!.id })
    for (const request of [
      { op: 'update', table: 'players', id: mine!._id, values: { score: 100 } },
      { op: 'insert', table: 'players', values: { player: bea!.id, score: 100 } },
      { op: 'insert', table: 'attempts', values: { player: bea!.id, question: 3, choice: 0, correct: true, slot: 'forged' } },
      { op: 'insert', table: 'answers', values: { question: 3, answer: 'Star' } },
      { op: 'update', table: 'questions', id: 3, values: { text: 'Defaced' } }
    ] as DataRequest[]) {
      await assert.rejects(beaData().remote(owner!.id, request), (err: unknown) => isGoopError(err) && err.code === 'forbidden', `${request.op} ${'table' in request ? request.table : ''}`)
    }
    assert.equal((await ownerRows('players', { column: 'player', op: 'eq', value: bea!.id }))[0]?.score, 2)
  })

  it('the answer key is never sent to the visitor: not in any page, call, data answer or event it received', async () => {
    // What B can reach directly: describe, then every table (readable ones recorded, the rest forbidden) …
    const described = await beaData().remote(owner!.id, { op: 'describe' })
    received.push({ where: 'protocol data describe', text: JSON.stringify(described) })
    assert.equal(described.role, 'visitor')
    const readable = described.tables.filter(t => t.can.read !== false).map(t => t.name).toSorted()
    assert.deepEqual(readable, ['players', 'questions'])
    for (const name of ['questions', 'answers', 'attempts', 'players']) {
      try {
        const rows = await beaData().remote(owner!.id, { op: 'query', table: name, limit: 1000 })
        received.push({ where: `protocol data query ${name}`, text: JSON.stringify(rows) })
        assert.ok(readable.includes(name), `${name} answered a visitor's query`)
      } catch (err) {
        assert.ok(isGoopError(err) && err.code === 'forbidden' && !readable.includes(name), `${name}: ${String(err)}`)
      }
    }
    // … and every function the logic exports that a visitor may call (the owner's were refused above).
    for (const fn of VISITOR_FNS) {
      const got = await beaCall(fn, fn === 'answer' ? { question: ids.marked2, choice: 2 } : fn === 'setName' ? { name: 'Bea' } : null)
      assert.ok(got.code == null || (fn === 'answer' && got.code === 'conflict'), `${fn}: ${JSON.stringify(got)}`)
    }

    // The browser's page, one more full load, so its first answers are in the record too.
    const page = pages.bea!
    await page.reload()
    await page.locator('body[data-ready="play"]').waitFor()
    await page.locator(`#q-${ids.marked1}[data-state="right"]`).waitFor()
    await Promise.all(pendingBodies)

    const where = new Set(received.map(r => r.where))
    for (const expected of ['browser GET /', 'browser GET /.goop/goop.js', 'browser GET /js/play.js', 'browser POST /.goop/call', 'browser POST /.goop/data', 'browser event app.quiz.leaderboard', 'protocol call state', 'protocol data query questions']) {
      assert.ok(where.has(expected), `the record holds ${expected} (it has ${[...where].join(', ')})`)
    }
    // B was sent the marked choices (so the check below looks at the right bytes) …
    assert.ok(received.some(r => r.text.includes(MARKED_2.choices[0]) && r.where.startsWith('browser')), 'B\'s browser received the marked choices')
    assert.ok(received.some(r => r.text.includes(MARKED_1.choices[0]) && r.where.startsWith('protocol')), 'B\'s peer received the marked choices')
    // … and nothing that singles out the right ones.
    assert.deepEqual(leaks(received), [], `${received.length} recorded answers checked`)

    // The same check on the owner's own editor data, which does hold the key: it is caught.
    const admin = await ownerProbe.ctx().use('templates').call(owner!.id, 'admin')
    assert.equal(leaks([{ where: 'owner admin', text: JSON.stringify(admin) }]).length, 5, 'the check flags the key where it is')
  })

  it('the owner\'s editor shows how visitors did; the page works narrow; no page had an error', async () => {
    const ownerPage = pages.owner!
    await waitText(ownerPage, `#aq-${ids.marked1} .stats`, '1 answer · 100% right')
    await waitText(ownerPage, `#aq-${ids.marked2} .stats`, '1 answer · 0% right')
    assert.deepEqual(await boardRows(ownerPage), ['Bea=2', 'Cy=1'])
    // The owner does not play.
    const owned = await ownerPage.evaluate(async () => {
      try { await (window as unknown as PageGoop).goop.call('answer', { question: 1, choice: 1 }); return 'accepted' } catch (e) { return (e as { code: string }).code }
    })
    assert.equal(owned, 'forbidden')
    await shot(ownerPage, '05-owner-stats')

    const narrow = await openPage('narrow', NARROW)
    await narrow.goto(siteOn(cy!))
    await narrow.locator('body[data-ready="play"]').waitFor()
    await waitText(narrow, '#progress', '1 of 8 questions answered · 1 point')
    const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    assert.equal(overflow, 0, 'nothing sticks out sideways')
    await shot(narrow, '06-narrow')
    assert.deepEqual(problems, [], 'no CSP violations, page errors or native dialogs')
  })
})
