import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import type { DataRequest, DataResults, Row } from '@goop/sdk'
import { startTestPeer, type TestPeer } from '@goop/core/testing'
import { assertNoErrorShown, launchBrowser, shots, waitText, watchedPage } from './helpers/browser.js'

/**
 * The viewer's Database page as the owner uses it, in a real chromium on a real peer with the real
 * data plugin: apply a schema, add, edit, page, delete, see a refused value's message and a row
 * added elsewhere arrive live, change a schema destructively, drop a table. Screenshots go to
 * test-artifacts/database-*.png (git-ignored) to look at.
 */

const WIDE = { width: 1280, height: 860 }
const NARROW = { width: 420, height: 800 }

const SCHEMA = {
  tables: {
    notes: {
      description: 'Notes that visitors leave on this site',
      columns: {
        text: { type: 'text', required: true, maxLength: 200, description: 'What the note says' },
        stars: { type: 'integer', min: 0, max: 5 },
        done: { type: 'boolean', default: false },
        due: { type: 'datetime' }
      },
      policy: { read: 'open', insert: 'open', update: 'author', delete: 'author' }
    }
  }
}

type ErrorBody = { error: { code: string, message: string } }

const tableItem = (name: string): string => `#db-tables li[data-table="${name}"]`
const rowSel = (id: number): string => `#db-rows tr[data-row="${id}"]`

describe('the Database page in a real browser', () => {
  let browser: Browser | undefined
  let peer: TestPeer | undefined
  /** What any page reported that it should not: CSP violations, uncaught errors, native dialogs. */
  const problems: string[] = []
  let page!: Page

  /** One data operation as the owner, through the admin API (the "other path" beside the page). */
  async function op<R extends DataRequest> (req: R): Promise<DataResults[R['op']]> {
    const res = await peer!.api('POST', '/api/x/data/op', req)
    const body = await res.json() as DataResults[R['op']] | ErrorBody
    assert.equal(res.status, 200, `${req.op}: ${JSON.stringify(body)}`)
    return body as DataResults[R['op']]
  }

  async function allRows (): Promise<Row[]> {
    return (await op({ op: 'query', table: 'notes', limit: 1000 })).rows
  }

  const shot = shots('database', { fromTop: true })

  async function openPage (viewport: { width: number, height: number }): Promise<Page> {
    return (await watchedPage(browser!, { viewport, problems })).page
  }

  /** The ids of the rows on screen, in order. */
  async function shownIds (p: Page): Promise<number[]> {
    return (await p.locator('#db-rows tbody tr').evaluateAll(trs => trs.map(tr => Number((tr as HTMLElement).dataset.row))))
  }

  before(async () => {
    ;[browser, peer] = await Promise.all([
      launchBrowser(),
      startTestPeer({ config: { name: 'dana' } })
    ])
  })

  after(async () => {
    await browser?.close()
    await peer?.cleanup()
    assert.deepEqual(problems, [], 'no CSP violations, page errors or native dialogs')
  })

  it('starts empty, and applying a schema in its dialog creates the table with its policy in plain words', async () => {
    page = await openPage(WIDE)
    await page.goto(peer!.viewer!.url)
    await page.locator('#live.on').waitFor()
    await page.locator('#tab-database').click()
    await page.locator('#tab-database[aria-current="page"]').waitFor()
    await page.getByText('No tables yet').first().waitFor()
    await shot(page, '01-empty')

    await page.locator('#db-apply-schema').click()
    const dialog = page.locator('#schema-dialog')
    await dialog.waitFor()
    // Not JSON: said in the dialog, nothing sent.
    await page.locator('#schema-text').fill('{ "tables": ')
    await page.locator('#schema-apply').click()
    await page.locator('#schema-error').waitFor()
    assert.match(await page.locator('#schema-error').innerText(), /not valid JSON/)

    await page.locator('#schema-text').fill(JSON.stringify(SCHEMA, null, 2))
    await page.locator('#schema-apply').click()
    await page.locator('#schema-report li[data-table="notes"]').waitFor()
    await shot(page, '02-schema-applied', false)
    await page.locator('#schema-done').click()
    await dialog.waitFor({ state: 'hidden' })

    await waitText(page, `${tableItem('notes')} .table-policy`, 'Visitors: read all · insert · edit own · delete own')
    await waitText(page, `${tableItem('notes')} .table-count`, '0 rows')
    await waitText(page, '#db-table-title', 'notes')
    const columns = await page.locator('#db-columns tbody tr').evaluateAll(trs => trs.map(tr => (tr as HTMLElement).dataset.column))
    assert.deepEqual(columns, ['text', 'stars', 'done', 'due'])
    assert.match(await page.locator('#db-columns tr[data-column="text"]').innerText(), /required[\s\S]*200 characters/)
    assert.match(await page.locator('#db-columns tr[data-column="stars"]').innerText(), /0 – 5/)
    assert.match(await page.locator('#db-policy [data-op="update"]').innerText(), /only the rows it added/)
    await page.getByText('notes has no rows yet').waitFor()
    await assertNoErrorShown(page)
  })

  it('adds a row through the form, edits it, and shows the server\'s message next to a refused value', async () => {
    await page.locator('#db-add-row').click()
    await page.locator('#row-form').waitFor()
    await page.getByLabel('text', { exact: true }).fill('Water the plants')
    await page.locator('#field-stars').fill('4')
    await page.locator('#field-done').check()
    await page.locator('#row-save').click()
    await page.locator('#row-form').waitFor({ state: 'detached' })

    const [added] = await allRows()
    assert.ok(added != null, 'the row is in the database')
    assert.equal(added.text, 'Water the plants')
    assert.equal(added.stars, 4)
    assert.equal(added.done, true)
    assert.equal(added._author, peer!.id, 'the owner wrote it')
    await page.locator(rowSel(added._id)).waitFor()
    assert.match(await page.locator(rowSel(added._id)).innerText(), /Water the plants\t4\tyes\t–\tyou\t/)
    await waitText(page, `${tableItem('notes')} .table-count`, '1 row')

    // Edit: only what changed is sent; the row on screen follows.
    await page.locator(`${rowSel(added._id)} [data-action="edit"]`).click()
    await page.locator('#row-form').waitFor()
    assert.equal(await page.locator('#field-text').inputValue(), 'Water the plants')
    await page.locator('#field-text').fill('Water the plants, then the garden')
    await page.locator('#field-due').fill('2030-05-04T09:30:00')
    await page.locator('#row-save').click()
    await page.locator('#row-form').waitFor({ state: 'detached' })
    const edited = (await op({ op: 'get', table: 'notes', id: added._id })).row
    assert.equal(edited?.text, 'Water the plants, then the garden')
    assert.equal(edited?.stars, 4)
    assert.equal(typeof edited?.due, 'string')
    assert.equal(new Date(edited!.due as string).getTime(), new Date('2030-05-04T09:30:00').getTime(), 'the local time the person typed')
    await page.locator(rowSel(added._id)).getByText('then the garden').waitFor()

    // A value the schema refuses: the form stays open with the server's own words next to the field.
    const refused = await peer!.api('POST', '/api/x/data/op', { op: 'update', table: 'notes', id: added._id, values: { stars: 9 } })
    assert.equal(refused.status, 400)
    const expected = (await refused.json() as ErrorBody).error.message
    await page.locator(`${rowSel(added._id)} [data-action="edit"]`).click()
    await page.locator('#field-stars').fill('9')
    await page.locator('#row-save').click()
    await waitText(page, '.form-field[data-column="stars"] .field-error', expected)
    assert.equal(await page.locator('#field-stars').getAttribute('aria-invalid'), 'true')
    assert.match(await page.locator('#row-form-error').innerText(), /stars/)
    assert.deepEqual(await page.locator('.toast.error').allInnerTexts(), [], 'shown in the form, not as a toast')
    await shot(page, '03-refused-value', false)
    // Escape with a changed field asks before throwing the change away.
    await page.keyboard.press('Escape')
    await page.locator('#dialog').getByText('Discard your changes?').waitFor()
    await page.locator('#dialog [data-action="confirm"]').click()
    await page.locator('#row-form').waitFor({ state: 'detached' })
    assert.equal((await op({ op: 'get', table: 'notes', id: added._id })).row?.stars, 4, 'nothing changed')
    await assertNoErrorShown(page)
  })

  it('pages through more than 50 rows with Next and Previous, and deletes one after asking', async () => {
    for (let i = 1; i <= 60; i++) await op({ op: 'insert', table: 'notes', values: { text: `Note ${i}`, stars: i % 6, done: i % 3 === 0 } })
    // The rows came from the API, not this page: its list follows the data.changed events.
    await waitText(page, `${tableItem('notes')} .table-count`, '61 rows')
    const ids = (await allRows()).map(r => r._id)
    assert.equal(ids.length, 61)
    await waitText(page, '#db-pager .pager-text', 'Rows 1–50 of 61')
    assert.deepEqual(await shownIds(page), ids.slice(0, 50))
    await shot(page, '04-page-1')

    await page.locator('#db-pager [data-page="next"]').click()
    await waitText(page, '#db-pager .pager-text', 'Rows 51–61 of 61')
    assert.deepEqual(await shownIds(page), ids.slice(50))
    assert.equal(await page.locator('#db-pager [data-page="next"]').isDisabled(), true, 'the last page')
    await shot(page, '05-page-2')
    await page.locator('#db-pager [data-page="prev"]').click()
    await waitText(page, '#db-pager .pager-text', 'Rows 1–50 of 61')
    assert.deepEqual(await shownIds(page), ids.slice(0, 50))
    assert.equal(await page.locator('#db-pager [data-page="prev"]').isDisabled(), true, 'the first page')

    // Delete: asked first; "Cancel" keeps it, "Delete row" removes it from the page and the database.
    const victim = ids[2]
    await page.locator(`${rowSel(victim)} [data-action="delete"]`).click()
    const confirm = page.locator('#dialog')
    await confirm.getByText(`Delete row ${victim}?`).waitFor()
    await confirm.locator('[data-action="cancel"]').click()
    await confirm.waitFor({ state: 'hidden' })
    assert.notEqual((await op({ op: 'get', table: 'notes', id: victim })).row, null)
    await page.locator(`${rowSel(victim)} [data-action="delete"]`).click()
    await shot(page, '06-delete-confirm', false)
    await confirm.locator('[data-action="confirm"]').click()
    await page.locator(rowSel(victim)).waitFor({ state: 'detached' })
    assert.equal((await op({ op: 'get', table: 'notes', id: victim })).row, null)
    await waitText(page, `${tableItem('notes')} .table-count`, '60 rows')
    assert.deepEqual(await shownIds(page), ids.filter(id => id !== victim).slice(0, 50), 'the next row moved up')
    await assertNoErrorShown(page)
  })

  it('shows a row inserted by another path live, on the page that holds it', async () => {
    // The page has taken in the last test's changes (a live refresh) before we page on.
    await waitText(page, '#db-pager .pager-text', 'Rows 1–50 of 60')
    await page.locator('#db-pager [data-page="next"]').click()
    await waitText(page, '#db-pager .pager-text', 'Rows 51–60 of 60')
    const { row } = await op({ op: 'insert', table: 'notes', values: { text: 'Arrived while you watched', stars: 5 } })
    await page.locator(rowSel(row._id)).getByText('Arrived while you watched').waitFor()
    await waitText(page, '#db-pager .pager-text', 'Rows 51–61 of 61')
    // An edit and a delete from elsewhere show too.
    await op({ op: 'update', table: 'notes', id: row._id, values: { text: 'Edited elsewhere' } })
    await page.locator(rowSel(row._id)).getByText('Edited elsewhere').waitFor()
    await shot(page, '07-live-insert')
    await op({ op: 'delete', table: 'notes', id: row._id })
    await page.locator(rowSel(row._id)).waitFor({ state: 'detached' })
    await assertNoErrorShown(page)
  })

  it('sorts by a column when its header is clicked, paging in that order', async () => {
    const byStars = async (cursor?: string): Promise<DataResults['query']> =>
      await op({ op: 'query', table: 'notes', order: [{ column: 'stars', dir: 'desc' }], limit: 50, ...(cursor != null ? { cursor } : {}) })
    const header = page.locator('#db-rows thead th', { has: page.getByRole('button', { name: 'stars' }) })
    await header.getByRole('button').click()
    await page.locator('#db-rows thead th[aria-sort="ascending"]', { hasText: 'stars' }).waitFor()
    await header.getByRole('button').click()
    await page.locator('#db-rows thead th[aria-sort="descending"]', { hasText: 'stars' }).waitFor()
    const first = await byStars()
    await waitText(page, '#db-pager .pager-text', 'Rows 1–50 of 60')
    await page.waitForFunction(want => [...document.querySelectorAll('#db-rows tbody tr')].map(tr => (tr as HTMLElement).dataset.row).join() === want, first.rows.map(r => r._id).join())
    await page.locator('#db-pager [data-page="next"]').click()
    const second = await byStars(first.cursor)
    await page.waitForFunction(want => [...document.querySelectorAll('#db-rows tbody tr')].map(tr => (tr as HTMLElement).dataset.row).join() === want, second.rows.map(r => r._id).join())
    await waitText(page, '#db-pager .pager-text', 'Rows 51–60 of 60')
    // A third click goes back to the table's own order, from the first page.
    await header.getByRole('button').click()
    await page.locator('#db-rows thead th[aria-sort="ascending"]', { hasText: '#' }).waitFor()
    await waitText(page, '#db-pager .pager-text', 'Rows 1–50 of 60')
    await assertNoErrorShown(page)
  })

  it('a schema change that would lose data is explained, and applied only when forced, after a backup', async () => {
    await page.locator('#db-edit-schema').click()
    const text = await page.locator('#schema-text').inputValue()
    const current = JSON.parse(text) as typeof SCHEMA
    assert.deepEqual(Object.keys(current.tables.notes.columns), ['text', 'stars', 'done', 'due'], 'the dialog starts from the open table')
    const rest = Object.fromEntries(Object.entries(current.tables.notes.columns).filter(([name]) => name !== 'stars'))
    await page.locator('#schema-text').fill(JSON.stringify({ tables: { notes: { ...current.tables.notes, columns: rest } } }, null, 2))
    await page.locator('#schema-apply').click()
    await page.locator('#schema-destructive').waitFor()
    assert.match(await page.locator('#schema-destructive').innerText(), /would lose data[\s\S]*stars[\s\S]*60 rows/)
    assert.doesNotMatch(await page.locator('#schema-destructive').innerText(), /--force/, 'no command-line advice in the page')
    assert.match(await page.locator('#schema-destructive').innerText(), /backup/)
    await shot(page, '08-schema-destructive', false)
    assert.ok('stars' in (await allRows())[0], 'nothing changed yet')

    await page.locator('#schema-force').click()
    await page.locator('#schema-report').waitFor()
    const backup = await page.locator('#schema-backup').innerText()
    await access(join(peer!.dir, 'backups', backup))
    await page.locator('#schema-done').click()
    await page.locator('#db-columns tr[data-column="stars"]').waitFor({ state: 'detached' })
    assert.ok(!('stars' in (await allRows())[0]), 'the column is gone')
    await assertNoErrorShown(page)
  })

  it('fits a narrow window', async () => {
    const p = await openPage(NARROW)
    await p.goto(peer!.viewer!.url)
    await p.locator('#tab-database').click()
    await p.locator('#db-rows tbody tr').first().waitFor()
    const width = await p.evaluate(() => document.documentElement.scrollWidth)
    assert.ok(width <= NARROW.width, `the page is ${width}px wide in a ${NARROW.width}px window`)
    await shot(p, '09-narrow')
    await assertNoErrorShown(p)
  })

  it('drops a table after asking, and names the backup file', async () => {
    await page.locator('#db-drop-table').click()
    const confirm = page.locator('#dialog')
    await confirm.getByText('Drop table notes?').waitFor()
    assert.match(await confirm.innerText(), /60 rows[\s\S]*backup/)
    await confirm.locator('[data-action="confirm"]').click()
    await page.locator(tableItem('notes')).waitFor({ state: 'detached' })
    const backup = await page.locator('#db-backup').innerText()
    await access(join(peer!.dir, 'backups', backup))
    await page.getByText('No tables yet').first().waitFor()
    const tables = await (await peer!.api('GET', '/api/x/data/tables')).json() as { tables: unknown[] }
    assert.deepEqual(tables.tables, [])
    await shot(page, '10-dropped')
    await assertNoErrorShown(page)
  })

  it('says so when the data plugin is off, and comes back when it is on', async () => {
    // The templates plugin requires data: it goes first (the kernel refuses otherwise).
    assert.equal((await peer!.api('POST', '/api/plugins/templates/disable')).status, 200)
    assert.equal((await peer!.api('POST', '/api/plugins/data/disable')).status, 200)
    await page.locator('#db-off').waitFor()
    assert.match(await page.locator('#db-off').innerText(), /data plugin is off/)
    await shot(page, '11-plugin-off', false)
    await page.locator('#db-off').getByRole('button', { name: 'Go to Plugins' }).click()
    await page.locator('#tab-plugins[aria-current="page"]').waitFor()
    assert.equal((await peer!.api('POST', '/api/plugins/data/enable')).status, 200)
    assert.equal((await peer!.api('POST', '/api/plugins/templates/enable')).status, 200)
    await page.locator('#tab-database').click()
    await page.locator('#db-apply-schema').waitFor()
    await page.getByText('No tables yet').first().waitFor()
    await assertNoErrorShown(page)
  })
})
