import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, probe, startTestPeer, type TestPeer } from '@goop/core/testing'
import type { DataService } from '@goop/plugin-data'
import type { TemplatesService } from '@goop/plugin-templates'
import type { Row } from '@goop/sdk'
import { npmCreate, remove, run, shown, tempDir } from './helpers.js'

/**
 * What a template author ships: the archive `npm run build` writes, applied with
 * `goop template apply FILE --peer DIR` to a peer that has nothing to do with the project, then used
 * by a visitor's peer — a logic call and a data query over libp2p.
 */
describe('the built archive on another peer', () => {
  let base: string
  let owner: TestPeer | undefined
  let visitor: TestPeer | undefined
  before(async () => { base = await tempDir() })
  after(async () => {
    await Promise.all([owner?.stop(), visitor?.cleanup()])
    await remove(base)
  })

  it('applies with goop template apply, and a visitor uses the app', async () => {
    const project = join(base, 'guestnotes')
    const created = await npmCreate(project, ['--no-interactive', '--template', 'empty-js'])
    assert.equal(created.code, 0, shown(created))
    for (const step of [['install', '--no-audit', '--no-fund', '--prefer-offline'], ['run', 'build']]) {
      const r = await run('npm', step, { cwd: project })
      assert.equal(r.code, 0, shown(r))
    }
    const archive = join(project, (await readdir(project)).find(f => f.endsWith('.goop.tgz')) ?? 'missing.goop.tgz')

    // A peer elsewhere, set up with the goop command the project installed.
    const goop = join(project, 'node_modules', '.bin', 'goop')
    const peerDir = join(base, 'someone-else')
    const init = await run(goop, ['init', peerDir], { cwd: base })
    assert.equal(init.code, 0, shown(init))
    const applied = await run(goop, ['template', 'apply', archive, '--peer', peerDir], { cwd: base })
    assert.equal(applied.code, 0, shown(applied))
    assert.match(applied.stdout, /^applied guestnotes 0\.1\.0\n/)

    // That peer starts (its template is loaded from its own folder), and a visitor's peer uses the app.
    owner = await startTestPeer({ dir: peerDir })
    const side = probe('visitor-side', { requires: ['templates', 'data'] })
    visitor = await startTestPeer({ plugins: [side.plugin] })
    await connect(visitor, owner)
    const templates: TemplatesService = side.ctx().use('templates')
    const data: DataService = side.ctx().use('data')
    const note = await templates.call(owner.id, 'addNote', { text: 'from the archive' }) as Row
    assert.equal(note.by, visitor.id)
    const { rows } = await data.remote(owner.id, { op: 'query', table: 'notes', order: [{ column: '_id', dir: 'desc' }], limit: 1 })
    assert.deepEqual(rows.map(r => [r.text, r.by]), [['from the archive', visitor.id]])
  })
})
