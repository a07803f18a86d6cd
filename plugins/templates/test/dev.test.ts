import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { probe, waitFor, type TestPeer } from '@goop/core/testing'
import type { DataService } from '@goop/plugin-data'
import type { TemplatesService } from '@goop/plugin-templates'
import { templatePeer, variant } from './helpers.js'

/**
 * The author's loop (`goop template dev`, config `dev`): the folder is applied when the peer starts
 * and again on every change — site files, logic, files saved the way editors save them (a new file
 * renamed over the old), new folders — as an update that keeps the data. A change that does not
 * compile leaves the previous version serving.
 */
describe('goop template dev: the folder is re-applied on every change', () => {
  const grab = probe('grab', { requires: ['data', 'templates'] })
  let dir: string
  let O: TestPeer
  let templates: TemplatesService
  let data: DataService
  let applies = 0

  /** Wait for the next successful apply after `change`. */
  async function appliedAfter (change: () => Promise<void>): Promise<void> {
    const seen = applies
    await change()
    await waitFor(() => applies > seen, 10_000, 'a re-apply')
  }

  before(async () => {
    dir = await variant('js-app', async () => {})
    O = await templatePeer({ plugins: [grab.plugin], templates: { dev: dir } })
    templates = grab.ctx().use('templates')
    data = grab.ctx().use('data')
    grab.ctx().mq.subscribe('templates.changed', () => { applies++ })
  })
  after(async () => {
    await O?.cleanup()
    await rm(join(dir, '..'), { recursive: true, force: true })
  })

  it('applies the folder as the peer starts', async () => {
    assert.equal(templates.current()?.name, 'js-app')
    assert.equal(templates.current()?.source, dir)
    await data.run({ op: 'insert', table: 'board', values: { title: 'kept across re-applies' } })
  })

  it('a site file, the logic, a file saved by rename, a new folder: each applied at once, the data kept', async () => {
    await appliedAfter(async () => { await writeFile(join(dir, 'site', 'index.html'), '<p>edited</p>') })
    assert.equal(await readFile(join(O.dir, 'site', 'index.html'), 'utf8'), '<p>edited</p>')

    await appliedAfter(async () => { await appendFile(join(dir, 'logic', 'main.ts'), '\nexport function added (): string { return \'one\' }\n') })
    assert.equal(await templates.call(O.id, 'added'), 'one')

    // An editor's atomic save: the new text written beside, then renamed over the file.
    const main = join(dir, 'logic', 'main.ts')
    const text = (await readFile(main, 'utf8')).replace('return \'one\'', 'return \'two\'')
    await appliedAfter(async () => { await writeFile(`${main}.tmp`, text); await rename(`${main}.tmp`, main) })
    assert.equal(await templates.call(O.id, 'added'), 'two')
    // …and the file that took its place is still watched.
    await appliedAfter(async () => { await appendFile(main, '\nexport function third (): number { return 3 }\n') })
    assert.equal(await templates.call(O.id, 'third'), 3)

    await appliedAfter(async () => { await mkdir(join(dir, 'site', 'new')); await writeFile(join(dir, 'site', 'new', 'a.txt'), 'a') })
    await appliedAfter(async () => { await appendFile(join(dir, 'site', 'new', 'a.txt'), 'b') })
    assert.equal(await readFile(join(O.dir, 'site', 'new', 'a.txt'), 'utf8'), 'ab')

    const { rows } = await data.run({ op: 'query', table: 'board' })
    assert.deepEqual(rows.map(r => r.title), ['kept across re-applies'])
    // The copy each apply moved aside is removed right after that apply (templates.changed comes first).
    const siteCopies = async (): Promise<string[]> => (existsSync(join(O.dir, 'backups')) ? await readdir(join(O.dir, 'backups')) : []).filter(b => b.endsWith('-site'))
    const deadline = Date.now() + 5000
    while ((await siteCopies()).length > 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
    assert.deepEqual(await siteCopies(), [], 'the dev peer keeps no copies of the project\'s site')
  })

  it('logic that does not compile leaves the previous version serving; fixing it applies it', async () => {
    const main = join(dir, 'logic', 'main.ts')
    const good = await readFile(main, 'utf8')
    const seen = applies
    await writeFile(main, `${good}\nexport const broken = \n`)
    await new Promise(resolve => setTimeout(resolve, 1_000))
    assert.equal(applies, seen, 'nothing was applied')
    assert.equal(await templates.call(O.id, 'third'), 3)
    await appliedAfter(async () => { await writeFile(main, `${good}\nexport function fixed (): boolean { return true }\n`) })
    assert.equal(await templates.call(O.id, 'fixed'), true)
  })
})
