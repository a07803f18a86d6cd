// The app's tests: a real owner peer with this template applied, and a real visitor peer using it
// (test/peers.ts). Run them with `npm test`.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Row } from '@goop/sdk'
import { code, startApp, type App } from './peers.js'

describe('notes, used by a visitor', () => {
  let app: App
  before(async () => { app = await startApp() })
  after(async () => { await app?.stop() })

  it('addNote stores the visitor\'s note, with its peer ID as the writer, for everyone to read', async () => {
    const note = await app.call<Row>('addNote', { text: '  hello from a visitor  ' })
    assert.equal(note.text, 'hello from a visitor')
    assert.equal(note.by, app.visitor.id)
    const { rows } = await app.data({ op: 'query', table: 'notes', order: [{ column: '_id', dir: 'desc' }], limit: 10 })
    assert.deepEqual(rows.map(r => r.text), ['hello from a visitor', 'Welcome! Leave a note below.'])
  })

  it('refuses a note that is empty or too long', async () => {
    await assert.rejects(app.call('addNote', { text: '   ' }), /a note is 1 to 280 characters/)
    await assert.rejects(app.call('addNote', { text: 'x'.repeat(281) }), /a note is 1 to 280 characters/)
    await assert.rejects(app.call('addNote', 'not an object'), /send \{ text/)
  })

  it('a visitor cannot write the table directly: the logic is the one way in', async () => {
    await assert.rejects(app.data({ op: 'insert', table: 'notes', values: { text: 'no checks', by: app.owner.id } }), code('forbidden'))
    await assert.rejects(app.data({ op: 'delete', table: 'notes', id: 1 }), code('forbidden'))
  })

  it('only exported functions can be called', async () => {
    await assert.rejects(app.call('noSuchFunction'), code('not_exported'))
  })
})
