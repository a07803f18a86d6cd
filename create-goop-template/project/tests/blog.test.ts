// The app's tests: a real owner peer with this template applied, and a real visitor peer using it
// (test/peers.ts). Run them with `npm test`.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { code, startApp, type App } from './peers.js'

describe('the blog, read by a visitor', () => {
  let app: App
  before(async () => { app = await startApp() })
  after(async () => { await app?.stop() })

  it('the visitor reads the posts, and comments on one', async () => {
    const { rows: posts } = await app.data({ op: 'query', table: 'posts', limit: 10 })
    assert.ok(posts.length > 0, 'the seeded post')
    const { row } = await app.data({ op: 'insert', table: 'comments', values: { post: posts[0]._id, body: 'Nice post!', name: 'Ada' } })
    assert.equal(row._author, app.visitor.id)
    const { rows: comments } = await app.data({ op: 'query', table: 'comments', where: { column: 'post', op: 'eq', value: posts[0]._id } })
    assert.deepEqual(comments.map(c => c.body), ['Nice post!'])
  })

  it('only the owner writes posts; a visitor changes only its own comments', async () => {
    await assert.rejects(app.data({ op: 'insert', table: 'posts', values: { title: 'Not mine', body: 'to write' } }), code('forbidden'))
    const post = (await app.data({ op: 'query', table: 'posts', limit: 1 })).rows[0]
    const { row: theirs } = await app.asOwner({ op: 'insert', table: 'comments', values: { post: post._id, body: 'The owner says hi' } })
    await assert.rejects(app.data({ op: 'delete', table: 'comments', id: theirs._id }), code('forbidden'))
  })
})
