import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { startTestPeer, type TestPeer } from '@goop/core/testing'
import { assertNoErrorShown, launchBrowser, shots, waitText, watchedPage } from './helpers/browser.js'

/**
 * The viewer's Templates page as the owner uses it, in a real chromium on a real peer with the real
 * templates, data and js plugins: apply a template from the gallery, replace it with another after
 * the confirmation that names what goes, find the backup file named in the report, see a broken
 * template's file and line, follow an apply made elsewhere live, remove the applied one, and the
 * page when the plugin is off. Screenshots go to test-artifacts/templates-*.png to look at.
 */

const WIDE = { width: 1280, height: 900 }
const NARROW = { width: 420, height: 800 }

type ErrorBody = { error: { code: string, message: string } }
interface Current { name: string, tables: string[] }

const card = (name: string): string => `#tpl-local li[data-template="${name}"]`

/** Write a template folder: its manifest (as JSON, or as text to write it broken) and files by path. */
async function writeTemplate (dir: string, manifest: Record<string, unknown> | string, files: Record<string, string> = {}): Promise<void> {
  const all: Record<string, string> = {
    'goop-template.json': typeof manifest === 'string' ? manifest : JSON.stringify({ version: '1.0.0', sdk: '^1.3.0', ...manifest }, null, 2),
    'site/index.html': '<!doctype html><title>A template</title><h1>Hello</h1>',
    ...files
  }
  for (const [path, text] of Object.entries(all)) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), text)
  }
}

/** The owner's own templates (in `<peer>/templates/`): a static one, one with JS logic, one the schema refuses. */
const GUESTBOOK = {
  name: 'guestbook',
  title: 'Guestbook',
  description: 'Visitors sign with a short message; everyone reads them.',
  runtime: 'static',
  tables: { entries: { columns: { text: { type: 'text', required: true } }, policy: { read: 'open', insert: 'open', update: 'author', delete: 'author' } } },
  seed: { entries: [{ text: 'First!' }, { text: 'Lovely site' }] }
}
const COUNTER = {
  name: 'counter',
  title: 'Visit counter',
  description: 'Counts visits on the owner\'s peer, one per visitor.',
  runtime: 'js',
  tables: { visits: { columns: { who: { type: 'text' } }, policy: { read: 'open' } } },
  logic: { entry: 'main.ts' }
}
const COUNTER_LOGIC = 'export async function hit (): Promise<number> { return 1 }\nexport async function total (): Promise<number> { return 0 }\n'

describe('the Templates page in a real browser', () => {
  let browser: Browser | undefined
  let peer: TestPeer | undefined
  let scratch = ''
  /** What any page reported that it should not: CSP violations, uncaught errors, native dialogs. */
  const problems: string[] = []
  let page!: Page

  const shot = shots('templates', { fromTop: true })

  async function openPage (viewport: { width: number, height: number }): Promise<Page> {
    return (await watchedPage(browser!, { viewport, problems })).page
  }

  async function current (): Promise<Current | null> {
    return (await (await peer!.api('GET', '/api/x/templates/current')).json() as { current: Current | null }).current
  }

  /** The server's own refusal of a template (checked, not applied). */
  async function refusal (path: string): Promise<string> {
    const res = await peer!.api('POST', '/api/x/templates/check', { path })
    const body = await res.json() as ErrorBody
    assert.equal(res.status, 400, JSON.stringify(body))
    return body.error.message
  }

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'goop-tpl-browser-'))
    ;[browser, peer] = await Promise.all([
      launchBrowser(),
      (async () => await startTestPeer({ config: { name: 'tess' } }))()
    ])
    const local = join(peer.dir, 'templates')
    await writeTemplate(join(local, 'guestbook'), GUESTBOOK)
    await writeTemplate(join(local, 'counter'), COUNTER, { 'logic/main.ts': COUNTER_LOGIC })
    await writeTemplate(join(local, 'broken-policy'), {
      name: 'broken-policy', title: 'Broken policy', runtime: 'static',
      tables: { posts: { columns: { title: { type: 'text' } }, policy: { read: 'public' } } }
    })
    // Two broken templates elsewhere on the machine, applied by path: bad JSON, and TypeScript that does not build.
    await writeTemplate(join(scratch, 'bad-json'), '{\n  "name": "bad-json",\n  "title": "Bad JSON",,\n  "version": "1.0.0"\n}\n')
    await writeTemplate(join(scratch, 'bad-ts'), { name: 'bad-ts', title: 'Bad TypeScript', runtime: 'js', logic: { entry: 'main.ts' } },
      { 'logic/main.ts': 'export function ok (): number {\n  return 1\n}\nexport function broken ( {\n' })
  })

  after(async () => {
    await browser?.close()
    await peer?.cleanup()
    if (scratch !== '') await rm(scratch, { recursive: true, force: true })
    assert.deepEqual(problems, [], 'no CSP violations, page errors or native dialogs')
  })

  it('lists the owner\'s templates with their runtime in plain words, and a broken one with its file and line', async () => {
    page = await openPage(WIDE)
    await page.goto(peer!.viewer!.url)
    await page.locator('#live.on').waitFor()
    await page.locator('#tab-templates').click()
    await page.locator('#tab-templates[aria-current="page"]').waitFor()
    await page.locator('#tpl-none').waitFor()
    await page.locator(card('guestbook')).waitFor()
    assert.match(await page.locator(card('guestbook')).innerText(), /Guestbook[\s\S]*Static site[\s\S]*v1\.0\.0[\s\S]*Visitors sign/)
    assert.match(await page.locator(card('counter')).innerText(), /Visit counter[\s\S]*JavaScript logic/)

    const broken = page.locator('#tpl-local li.broken')
    await broken.waitFor()
    const expected = await refusal(join(peer!.dir, 'templates', 'broken-policy'))
    const line = /goop-template\.json:(\d+):(\d+):/.exec(expected)
    assert.ok(line != null, `the server names the line: ${expected}`)
    assert.equal(await broken.locator('.error-file').innerText(), '…/broken-policy/goop-template.json')
    assert.equal(await broken.locator('.error-line').innerText(), `line ${line[1]}, column ${line[2]}`)
    assert.match(await broken.locator('.error-text').innerText(), /policy\.read/)
    assert.equal(await broken.getByRole('button', { name: /Apply/ }).count(), 0, 'a broken template offers no Apply')
    await shot(page, '01-gallery')
    await assertNoErrorShown(page)
  })

  it('applies a template from the gallery and shows what it installed', async () => {
    await page.locator(card('guestbook')).getByRole('button', { name: 'Apply Guestbook' }).click()
    const outcome = page.locator('#tpl-outcome[data-outcome="applied"]')
    await outcome.waitFor()
    await waitText(page, '#tpl-outcome-title', 'Applied Guestbook')
    assert.match(await page.locator('#tpl-report-tables li[data-table="entries"]').innerText(), /entries\s*Created\s*2 rows to start with/)
    assert.equal(await page.locator('#dialog[open]').count(), 0, 'the first template is applied without asking')

    const cur = page.locator('#tpl-current[data-template="guestbook"]')
    await cur.waitFor()
    await waitText(page, '#tpl-current-title', 'Guestbook')
    assert.match(await cur.innerText(), /Static site[\s\S]*v1\.0\.0/)
    await waitText(page, '#tpl-current [data-fact="tables"] dd', 'entries')
    assert.match(await page.locator('#tpl-current [data-fact="logic"] dd').innerText(), /static site/)
    assert.match(await page.locator('#tpl-current [data-fact="applied"] dd').innerText(), / · from templates\/guestbook$/)
    assert.equal(await page.locator('#tpl-open-site').getAttribute('href'), `/p/${encodeURIComponent(peer!.id)}/`)
    assert.equal(await page.locator('#tpl-open-site').getAttribute('target'), '_blank')
    await page.locator(`${card('guestbook')} .badge`, { hasText: 'Applied' }).waitFor()
    assert.equal((await current())?.name, 'guestbook')
    await shot(page, '02-applied')
    await assertNoErrorShown(page)
  })

  it('asks before replacing it, naming what will be removed; the report names the backup file', async () => {
    const apply = page.locator(card('counter')).getByRole('button', { name: 'Apply Visit counter' })
    const dialog = page.locator('#dialog')
    await apply.click()
    await dialog.getByText('Replace Guestbook with Visit counter?').waitFor()
    assert.match(await dialog.locator('#tpl-plan [data-what="tables"]').innerText(), /its table entries \(2 rows\)/)
    assert.match(await dialog.locator('#tpl-plan').innerText(), /backup file/)
    assert.equal(await dialog.locator('#tpl-plan [data-what="logic"]').count(), 0, 'a static template has no logic to remove')
    await shot(page, '03-confirm', false)
    // "Cancel": nothing changes.
    await dialog.locator('[data-action="cancel"]').click()
    await dialog.waitFor({ state: 'hidden' })
    assert.equal((await current())?.name, 'guestbook')
    assert.equal(await page.locator('#tpl-outcome[data-outcome="applied"]').count(), 0, 'the old report was cleared when asking')

    await apply.click()
    await dialog.getByText('Replace Guestbook with Visit counter?').waitFor()
    // The forced apply is held back a moment, so the page's progress state can be seen.
    let release!: () => void
    const held = new Promise<void>(resolve => { release = resolve })
    await page.route('**/api/x/templates/apply', async (route) => { await held; await route.continue() })
    await dialog.locator('[data-action="confirm"]').click()
    await waitText(page, '#tpl-progress', 'Applying Visit counter: checking its files, building its logic, creating its tables…')
    assert.equal(await page.locator(card('counter')).getAttribute('aria-busy'), 'true')
    assert.equal(await page.locator(`${card('counter')} [data-action="apply"]`).innerText(), 'Applying…')
    assert.equal(await page.locator(`${card('guestbook')} [data-action="apply"]`).isDisabled(), true, 'one apply at a time')
    assert.equal(await page.locator('#tpl-remove').isDisabled(), true)
    await shot(page, '04-applying', false)
    release()
    await page.locator('#tpl-outcome[data-outcome="applied"]').waitFor()
    await page.unroute('**/api/x/templates/apply')
    await waitText(page, '#tpl-outcome-title', 'Applied Visit counter')
    assert.match(await page.locator('#tpl-outcome').innerText(), /It replaced Guestbook 1\.0\.0/)
    const backup = await page.locator('#tpl-backup').innerText()
    await access(join(peer!.dir, 'backups', backup))
    assert.match(await page.locator('#tpl-outcome [data-what="backup"]').innerText(), /The rows of Guestbook's table entries were saved to .* then the table was removed/)
    // The site Guestbook installed was moved aside, not lost.
    await access(join(peer!.dir, await page.locator('#tpl-site-backup').innerText(), 'index.html'))

    await page.locator('#tpl-current[data-template="counter"]').waitFor()
    assert.match(await page.locator('#tpl-current').innerText(), /JavaScript logic/)
    assert.match(await page.locator('#tpl-current [data-fact="logic"] dd').innerText(), /functions hit, total/)
    await waitText(page, '#tpl-current [data-fact="tables"] dd', 'visits')
    assert.equal((await current())?.name, 'counter')
    await shot(page, '05-switched')
    await assertNoErrorShown(page)
  })

  it('shows a broken template\'s file and line when it is refused, and leaves the applied one', async () => {
    const apply = async (path: string): Promise<void> => {
      await page.locator('#tpl-from-path').click()
      await page.locator('#dialog input').fill(path)
      await page.locator('#dialog [data-action="confirm"]').click()
      await page.locator('#tpl-outcome[data-outcome="failed"]').waitFor()
    }
    const json = join(scratch, 'bad-json')
    const expected = await refusal(json)
    await apply(json)
    await waitText(page, '#tpl-outcome-title', 'Could not apply bad-json')
    const at = /goop-template\.json:(\d+):(\d+): ([\s\S]*)$/.exec(expected)
    assert.ok(at != null, expected)
    await waitText(page, '#tpl-error .error-line', `line ${at[1]}, column ${at[2]}`)
    assert.equal(await page.locator('#tpl-error .error-file').getAttribute('title'), join(json, 'goop-template.json'))
    assert.equal(await page.locator('#tpl-error .error-text').innerText(), at[3])
    assert.match(await page.locator('#tpl-outcome').innerText(), /nothing on this peer was changed/)
    await shot(page, '06-broken-json')

    // TypeScript that does not build: the runtime's file and line, inside the template's logic/.
    const ts = join(scratch, 'bad-ts')
    const tsMessage = await refusal(ts)
    await apply(ts)
    await waitText(page, '#tpl-outcome-title', 'Could not apply bad-ts')
    const tsAt = /logic\/main\.ts:(\d+):(\d+): /.exec(tsMessage)
    assert.ok(tsAt != null, tsMessage)
    await waitText(page, '#tpl-error .error-line', `line ${tsAt[1]}, column ${tsAt[2]}`)
    assert.equal(await page.locator('#tpl-error .error-file').getAttribute('title'), join(ts, 'logic', 'main.ts'))
    await shot(page, '07-broken-ts', false)
    assert.equal((await current())?.name, 'counter', 'the applied template stays')
    await page.locator('#tpl-current[data-template="counter"]').waitFor()
    await assertNoErrorShown(page)
  })

  it('follows an apply made elsewhere (the CLI, another tab) live', async () => {
    await page.locator('#tpl-outcome .outcome-close').click()
    await page.locator('#tpl-outcome').waitFor({ state: 'detached' })
    const res = await peer!.api('POST', '/api/x/templates/apply', { path: join(peer!.dir, 'templates', 'guestbook'), force: true })
    assert.equal(res.status, 200, await res.text())
    await page.locator('#tpl-current[data-template="guestbook"]').waitFor()
    await page.locator(`${card('guestbook')} .badge`, { hasText: 'Applied' }).waitFor()
    await assertNoErrorShown(page)
  })

  it('fits a narrow window', async () => {
    const p = await openPage(NARROW)
    await p.goto(`${peer!.viewer!.url}`)
    await p.locator('#tab-templates').click()
    await p.locator('#tpl-current').waitFor()
    await p.locator(card('counter')).waitFor()
    const width = await p.evaluate(() => document.documentElement.scrollWidth)
    assert.ok(width <= NARROW.width, `the page is ${width}px wide in a ${NARROW.width}px window`)
    await shot(p, '08-narrow')
    await assertNoErrorShown(p)
  })

  it('removes the applied template after asking, and names the backup file', async () => {
    await page.locator('#tpl-remove').click()
    const dialog = page.locator('#dialog')
    await dialog.getByText('Remove Guestbook?').waitFor()
    assert.match(await dialog.locator('#tpl-plan [data-what="tables"]').innerText(), /entries \(2 rows\)/)
    await shot(page, '09-remove-confirm', false)
    await dialog.locator('[data-action="confirm"]').click()
    await page.locator('#tpl-outcome[data-outcome="removed"]').waitFor()
    await waitText(page, '#tpl-outcome-title', 'Removed Guestbook')
    const backup = await page.locator('#tpl-backup').innerText()
    await access(join(peer!.dir, 'backups', backup))
    await page.locator('#tpl-none').waitFor()
    assert.equal(await current(), null)
    await shot(page, '10-removed')
    await assertNoErrorShown(page)
  })

  it('says so when the templates plugin is off, with a way to the Plugins page', async () => {
    assert.equal((await peer!.api('POST', '/api/plugins/templates/disable')).status, 200)
    await page.locator('#tpl-off').waitFor()
    assert.match(await page.locator('#tpl-off').innerText(), /templates plugin is off/)
    await shot(page, '11-plugin-off', false)
    await page.locator('#tpl-off').getByRole('button', { name: 'Go to Plugins' }).click()
    await page.locator('#tab-plugins[aria-current="page"]').waitFor()
    assert.equal((await peer!.api('POST', '/api/plugins/templates/enable')).status, 200)
    await page.locator('#tab-templates').click()
    await page.locator(card('guestbook')).waitFor()
    await page.locator('#tpl-none').waitFor()
    await assertNoErrorShown(page)
  })
})
