// The app's tests: a real owner peer with this template applied, and a real visitor peer using it
// (test/peers.ts). Run them with `npm test`. These check what every template must do; add tests of
// your app's own functions and tables beside them.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { code, PROJECT, startApp, type App } from './peers.js'

interface Manifest { runtime: string, tables?: Record<string, { policy?: { read?: string } }> }
const manifest = JSON.parse(readFileSync(join(PROJECT, 'goop-template.json'), 'utf8')) as Manifest

describe('the template, used by a visitor', () => {
  let app: App
  before(async () => { app = await startApp() })
  after(async () => { await app?.stop() })

  it('the visitor sees the tables it may read, and reads them', async () => {
    const { tables } = await app.data({ op: 'describe' })
    for (const [name, table] of Object.entries(manifest.tables ?? {})) {
      if ((table.policy?.read ?? 'owner') === 'owner') {
        await assert.rejects(app.data({ op: 'query', table: name }), (err: unknown) => code('forbidden')(err) || code('not_found')(err))
        continue
      }
      assert.ok(tables.some(t => t.name === name), `the visitor sees ${name}`)
      assert.ok(Array.isArray((await app.data({ op: 'query', table: name, limit: 5 })).rows), `the visitor reads ${name}`)
    }
  })

  it('only exported functions of the logic can be called', async () => {
    await assert.rejects(app.call('noSuchFunction'), code(manifest.runtime === 'static' ? 'no_template' : 'not_exported'))
  })
})
