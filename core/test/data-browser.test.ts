import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { DataService } from '@goop/plugin-data'
import type { DataSchemaInput, Row } from '@goop/sdk'
import { siteLabel } from '@goop/core'
import { connect, probe, startTestPeer, type TestPeer } from '@goop/core/testing'
import { launchBrowser, newContext, shots, waitText, watch } from './helpers/browser.js'

/**
 * Live data in a real chromium: O's site is a small notes page built on goop.js (`goop.data` to list
 * and add notes, `goop.events.on('data.changed')` to follow changes). V's browser shows it at O's
 * origin on V's viewer; W, another visitor, adds a note over /goop/data/1.0.0 and V's page shows it
 * without a reload. V adds a note from the page itself (it is stored as V's), deletes its own, and is
 * refused deleting W's (the message shows on the page). Screenshots: test-artifacts/data-*.png.
 */

const SCHEMA: DataSchemaInput = {
  tables: {
    notes: {
      columns: { text: { type: 'text', required: true, maxLength: 200 } },
      policy: { read: 'open', insert: 'open', update: 'author', delete: 'author' }
    }
  }
}

/** The notes page: every change re-queries the table; errors show in #error. */
const INDEX = `<!doctype html>
<html>
<head><meta charset="utf-8"><title>Notes</title></head>
<body>
<h1>Notes</h1>
<ul id="notes"></ul>
<p id="count">loading</p>
<form id="add"><input id="text" aria-label="New note" autocomplete="off"><button type="submit">Add</button></form>
<p id="error"></p>
<script src="/.goop/goop.js"></script>
<script>
const notes = goop.data.table('notes')
const list = document.getElementById('notes')
const showError = (err) => { document.getElementById('error').textContent = err.code + ' (' + err.status + '): ' + err.message }
let renders = 0
async function render () {
  const { rows } = await notes.query({ order: [{ column: '_id', dir: 'asc' }] })
  list.replaceChildren(...rows.map((row) => {
    const li = document.createElement('li')
    li.dataset.id = String(row._id)
    li.dataset.mine = String(row._author === goop.me)
    const span = document.createElement('span')
    span.className = 'text'
    span.textContent = row.text
    const del = document.createElement('button')
    del.textContent = 'Delete'
    del.onclick = async () => {
      try { await notes.delete(row._id); document.getElementById('error').textContent = '' } catch (err) { showError(err) }
    }
    li.append(span, ' ', del)
    return li
  }))
  document.getElementById('count').textContent = rows.length + ' notes'
  document.body.dataset.renders = String(++renders)
}
goop.events.on('goop.ready', (e) => { if (e.topics.includes('data.changed')) document.body.dataset.following = 'yes' })
goop.events.on('data.changed', () => { render().catch(showError) })
document.getElementById('add').onsubmit = async (e) => {
  e.preventDefault()
  const input = document.getElementById('text')
  try { await notes.insert({ text: input.value }); input.value = '' } catch (err) { showError(err) }
}
window.loadedOnce = true
render().catch(showError)
</script>
</body>
</html>
`

const shot = shots('data', { fullPage: false })

const texts = async (page: Page): Promise<string[]> => await page.locator('#notes li .text').allInnerTexts()

describe('data: live update in a real browser', () => {
  let browser: Browser | undefined
  let context: BrowserContext | undefined
  let owner: TestPeer | undefined
  let visitor: TestPeer | undefined
  let writer: TestPeer | undefined
  const ownerProbe = probe('probe', { requires: ['data'] })
  const writerProbe = probe('probe', { requires: ['data'] })
  const ownerData = (): DataService => ownerProbe.ctx().use('data')
  const writerData = (): DataService => writerProbe.ctx().use('data')

  before(async () => {
    ;[browser, owner, visitor, writer] = await Promise.all([
      launchBrowser(),
      startTestPeer({ plugins: [ownerProbe.plugin], config: { name: 'olga' } }),
      startTestPeer({ config: { name: 'vic' } }),
      startTestPeer({ plugins: [writerProbe.plugin], config: { name: 'wes' } })
    ])
    await mkdir(join(owner.dir, 'site'), { recursive: true })
    await writeFile(join(owner.dir, 'site', 'index.html'), INDEX)
    await ownerData().apply(SCHEMA)
    await ownerData().run({ op: 'insert', table: 'notes', values: { text: 'first, by the owner' } })
    await connect(visitor, owner)
    await connect(writer, owner)
    context = await newContext(browser, { viewport: { width: 900, height: 700 } })
  })

  after(async () => {
    await context?.close().catch(() => {})
    await browser?.close()
    await Promise.all([owner?.cleanup(), visitor?.cleanup(), writer?.cleanup()])
  })

  it("a visitor's page following data.changed shows another visitor's insert without a reload; its own insert is stored as its own; a refused delete shows why", async () => {
    const page = await context!.newPage()
    const problems: string[] = []
    watch(page, problems)
    const res = await page.goto(`http://${siteLabel(owner!.id)}.localhost:${visitor!.viewer!.port}/`)
    assert.equal(res?.status(), 200)
    await waitText(page, '#count', '1 notes')
    assert.deepEqual(await texts(page), ['first, by the owner'])
    await page.locator('body[data-following="yes"]').waitFor()
    await shot(page, '01-loaded')

    // Another visitor inserts over the protocol: the page re-queries on data.changed.
    const { row: wesNote } = await writerData().remote(owner!.id, { op: 'insert', table: 'notes', values: { text: 'hello from wes' } })
    assert.equal(wesNote._author, writer!.id)
    await waitText(page, '#count', '2 notes')
    assert.deepEqual(await texts(page), ['first, by the owner', 'hello from wes'])
    assert.equal(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce), true, 'the page was not reloaded')
    await shot(page, '02-live-insert')

    // The page inserts through goop.data: forwarded to the owner, stored with the visitor as author.
    await page.getByRole('textbox', { name: 'New note' }).fill('from the browser')
    await page.getByRole('button', { name: 'Add' }).click()
    await waitText(page, '#count', '3 notes')
    const { rows } = await ownerData().run({ op: 'query', table: 'notes', where: { column: 'text', op: 'eq', value: 'from the browser' } })
    assert.equal(rows.length, 1)
    assert.equal((rows[0] as Row)._author, visitor!.id, "the note is the visitor's, as its connection says")
    assert.equal(await page.locator(`li[data-id="${rows[0]._id}"]`).getAttribute('data-mine'), 'true')

    // Deleting wes's note: delete is `author`, so the owner refuses; the page shows the reason.
    await page.locator(`li[data-id="${wesNote._id}"] button`).click()
    await page.locator('#error').filter({ hasText: /^forbidden \(403\): / }).waitFor()
    assert.match(await page.locator('#error').innerText(), /only their own rows/)
    assert.deepEqual(await texts(page), ['first, by the owner', 'hello from wes', 'from the browser'])
    assert.equal((await ownerData().run({ op: 'get', table: 'notes', id: wesNote._id })).row?.text, 'hello from wes')
    await shot(page, '03-refused')

    // Its own note it may delete: gone from the owner's table and from the page.
    await page.locator(`li[data-id="${rows[0]._id}"] button`).click()
    await waitText(page, '#count', '2 notes')
    assert.equal((await ownerData().run({ op: 'count', table: 'notes' })).count, 2)
    assert.deepEqual(problems, [], 'no CSP violations, uncaught errors or native dialogs on the page')
    await shot(page, '04-own-delete')
    await page.close()
  })

  it("on the owner's own site the page acts as the owner", async () => {
    const page = await context!.newPage()
    await page.goto(`http://${siteLabel(owner!.id)}.localhost:${owner!.viewer!.port}/`)
    await waitText(page, '#count', '2 notes')
    const wes = page.locator('li[data-mine="false"]').filter({ hasText: 'hello from wes' })
    await wes.getByRole('button').click()
    await waitText(page, '#count', '1 notes')
    assert.equal(await page.locator('#error').innerText(), '')
    const described = await page.evaluate(async () => await (window as unknown as { goop: { data: { describe: () => Promise<{ role: string }> } } }).goop.data.describe())
    assert.equal(described.role, 'owner')
    await page.close()
  })
})
