// The app's tests: a real owner peer with this template applied, and a real visitor peer using it
// (test/peers.ts). Run them with `npm test`.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { code, startApp, type App } from './peers.js'

interface Question { id: number, text: string, choices: string[] }
interface State { questions: Question[], owner: boolean }
interface Scored { question: number, correct: boolean, score: number, answered: number }

describe('the quiz, played by a visitor', () => {
  let app: App
  before(async () => { app = await startApp() })
  after(async () => { await app?.stop() })

  it('the visitor gets the questions and their choices, never the answers', async () => {
    const state = await app.call<State>('state')
    assert.equal(state.owner, false)
    assert.ok(state.questions.length > 0, 'the seeded questions')
    for (const q of state.questions) assert.deepEqual(Object.keys(q).toSorted(), ['choices', 'id', 'text'])
    await assert.rejects(app.data({ op: 'query', table: 'answers' }), code('forbidden'))
  })

  it('an answer is scored on the owner\'s peer, once per question, and the visitor is on the leaderboard', async () => {
    const [first] = (await app.call<State>('state')).questions
    const scored = await app.call<Scored>('answer', { question: first.id, choice: 0 })
    assert.equal(scored.question, first.id)
    assert.equal(typeof scored.correct, 'boolean')
    assert.equal(scored.answered, 1)
    await assert.rejects(app.call('answer', { question: first.id, choice: 1 }))
    const { rows } = await app.data({ op: 'query', table: 'players', where: { column: 'player', op: 'eq', value: app.visitor.id } })
    assert.equal(rows[0]?.answered, 1)
  })
})
