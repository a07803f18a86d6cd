// The app's tests: a real owner peer with this template applied, and a real visitor peer using it
// (test/peers.ts). Run them with `npm test`.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { code, startApp, type App } from './peers.js'

describe('notes, used by a visitor', () => {
  let app: App
  before(async () => { app = await startApp() })
  after(async () => { await app?.stop() })

  it('a visitor adds a note, signed with its peer ID, and everyone reads it', async () => {
    const { row } = await app.data({ op: 'insert', table: 'notes', values: { text: 'hello from a visitor' } })
    assert.equal(row._author, app.visitor.id)
    const { rows } = await app.data({ op: 'query', table: 'notes', order: [{ column: '_id', dir: 'desc' }], limit: 10 })
    assert.deepEqual(rows.map(r => r.text), ['hello from a visitor', 'Welcome! Leave a note below.'])
  })

  it('a visitor changes and deletes only its own notes', async () => {
    const { row } = await app.data({ op: 'insert', table: 'notes', values: { text: 'mine' } })
    assert.equal((await app.data({ op: 'update', table: 'notes', id: row._id, values: { text: 'mine, edited' } })).row.text, 'mine, edited')
    const welcome = (await app.data({ op: 'query', table: 'notes', limit: 1 })).rows[0]
    await assert.rejects(app.data({ op: 'delete', table: 'notes', id: welcome._id }), code('forbidden'))
    assert.equal((await app.data({ op: 'delete', table: 'notes', id: row._id })).deleted, 1)
  })

  it('the table refuses what its columns do not allow', async () => {
    await assert.rejects(app.data({ op: 'insert', table: 'notes', values: { text: 'x'.repeat(281) } }), code('bad_value'))
  })
})
