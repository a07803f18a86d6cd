import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import hello from 'goop-plugin-hello'
import { connect, startTestPeer, type TestPeer } from '@goop/core/testing'
import { assertNoErrorShown, launchBrowser, shots, WAIT_MS, waitFile, waitText, watchedPage } from './helpers/browser.js'

/**
 * The viewer as a person uses it: a real chromium on real peers' viewers. Each step leaves a
 * screenshot in test-artifacts/ (git-ignored) to look at.
 */

const HELLO_DIR = fileURLToPath(new URL('../../examples/plugin-hello', import.meta.url))
const WIDE = { width: 1280, height: 800 }
const NARROW = { width: 420, height: 800 }
const INDEX = '<!doctype html>\n<html>\n<head><title>Alice\'s corner</title></head>\n<body>\n  <h1>Hello</h1>\n</body>\n</html>\n'

interface Info { name: string, enabled: boolean, state: string, error?: string, source: string }

async function pluginInfo (peer: TestPeer, name: string): Promise<Info> {
  const res = await peer.api('GET', '/api/plugins')
  assert.equal(res.status, 200)
  const info = (await res.json() as Info[]).find(p => p.name === name)
  assert.ok(info != null, `plugin ${name} is listed`)
  return info
}

const shot = shots('viewer')

const pluginRow = (name: string): string => `li[data-plugin="${name}"]`
const pluginState = (name: string, state: string): string => `${pluginRow(name)} .state[data-state="${state}"]`
const peerRow = (peerId: string): string => `li[data-peer="${peerId}"]`
const fileRow = (path: string): string => `li[data-file="${path}"]`

async function go (page: Page, screen: 'peers' | 'site' | 'plugins' | 'events'): Promise<void> {
  await page.locator(`#tab-${screen}`).click()
  await page.locator(`#tab-${screen}[aria-current="page"]`).waitFor()
}

/** The page as a person sees it: this peer's name and id, the peer B online with its site's title. */
async function assertShowsPeerA (page: Page, a: TestPeer, b: TestPeer): Promise<void> {
  await waitText(page, '#self-id', a.id)
  assert.equal(await page.locator('#self-name').innerText(), 'peer-a')
  assert.ok(await page.locator('#self-name').isVisible())
  const peer = page.locator(peerRow(b.id))
  await peer.waitFor({ state: 'visible', timeout: WAIT_MS })
  assert.match(await peer.innerText(), new RegExp(b.id))
  assert.match(await peer.innerText(), /peer-b/)
  await peer.locator('.dot.on').waitFor()
  assert.equal(await page.locator('#need-token').isVisible(), false)
}

async function assertNoPeerData (page: Page, ...peers: TestPeer[]): Promise<void> {
  const text = await page.locator('body').innerText()
  for (const p of peers) assert.ok(!text.includes(p.id), `the page shows no peer id (${p.id})`)
  assert.equal(await page.locator('#self-id').count(), 0)
  assert.equal(await page.locator('li[data-peer], li[data-plugin], li[data-file]').count(), 0)
  // Nor empty lists that would read as "this peer has no peers and no plugins".
  assert.equal(await page.locator('main').count(), 0)
}

/** Nothing sticks out at the right of a narrow window. */
async function assertFits (page: Page, what: string): Promise<void> {
  const width = await page.evaluate(() => document.documentElement.scrollWidth)
  assert.ok(width <= NARROW.width, `${what}: the page is ${width}px wide in a ${NARROW.width}px window`)
  const overflowing = await page.evaluate((w) => [...document.querySelectorAll('header, main, section, li, .panel, button, textarea, iframe')]
    .filter(e => (e as HTMLElement).offsetParent != null && e.getBoundingClientRect().right > w + 0.5)
    .map(e => e.id || `${e.tagName}.${e.className}`), NARROW.width)
  assert.deepEqual(overflowing, [], `${what}: nothing is cut off at the right`)
}

describe('the viewer in a real browser', () => {
  let browser: Browser | undefined
  let a: TestPeer | undefined
  let b: TestPeer | undefined
  let c: TestPeer | undefined
  let bDir: string | undefined
  /** Problems any page reported: CSP violations, uncaught errors, native dialogs (the UI has its own). */
  const problems: string[] = []
  let page!: Page

  before(async () => {
    // B starts with a site whose title its presence record carries.
    bDir = await mkdtemp(join(tmpdir(), 'goop-test-'))
    await mkdir(join(bDir, 'site'))
    await writeFile(join(bDir, 'site', 'index.html'), '<!doctype html><title>Bob\'s garden</title><h1>Bob</h1>')
    ;[browser, a, b, c] = await Promise.all([
      launchBrowser(),
      startTestPeer({ plugins: [hello], config: { name: 'peer-a' } }),
      startTestPeer({ dir: bDir, config: { name: 'peer-b' } }),
      startTestPeer({ config: { name: 'peer-c', plugins: { hello: { enabled: false, from: HELLO_DIR } } } })
    ])
    await mkdir(join(a.dir, 'site'), { recursive: true })
    await writeFile(join(a.dir, 'site', 'index.html'), INDEX)
    await connect(b, a)
  })

  after(async () => {
    await browser?.close()
    await Promise.all([a?.cleanup(), b?.cleanup(), c?.cleanup()])
    if (bDir != null) await rm(bDir, { recursive: true, force: true })
  })

  async function openPage (viewport: { width: number, height: number }): Promise<Page> {
    return (await watchedPage(browser!, { viewport, problems })).page
  }

  it("shows this peer's name and id, and the connected peer online with its site's title", async () => {
    page = await openPage(WIDE)
    const res = await page.goto(a!.viewer!.url)
    assert.equal(res?.status(), 200)
    assert.equal(new URL(page.url()).search, '', 'the token is taken out of the address bar')
    const csp = res?.headers()['content-security-policy'] ?? ''
    assert.match(csp, /script-src 'self'(;|$)/, 'scripts come only from the viewer itself')
    assert.doesNotMatch(csp, /unsafe-inline/)
    await assertShowsPeerA(page, a!, b!)
    await page.locator('#live.on').waitFor() // the event stream is connected
    const row = page.locator(peerRow(b!.id))
    await row.getByText("Bob's garden").waitFor()
    assert.match(await row.innerText(), /Online/)
    assert.match(await row.innerText(), /Direct/, 'how B was found')
    // Clicking a peer opens its site in a new tab, at /p/<peerId>/.
    const link = row.locator('a.peer-main')
    assert.equal(await link.getAttribute('href'), `/p/${b!.id}/`)
    assert.equal(await link.getAttribute('target'), '_blank')
    assert.match(await link.getAttribute('aria-label') ?? '', /Open peer-b's site/)
    await shot(page, '01-peers')

    // Search by name, site title or id.
    const search = page.getByRole('searchbox', { name: 'Search peers' })
    await search.fill('garden')
    await row.waitFor()
    await search.fill('no such peer')
    await row.waitFor({ state: 'detached' })
    await page.getByText('No peer matches').waitFor()
    await search.fill(b!.id.slice(-8))
    await row.waitFor()
    await search.fill('')
    await assertNoErrorShown(page)
  })

  it("hello's switch stops it (its route answers 404) and starts it again (200)", async () => {
    await go(page, 'plugins')
    const row = page.locator(pluginRow('hello'))
    await page.locator(pluginState('hello', 'running')).waitFor()
    const toggle = row.getByRole('switch', { name: 'Turn off hello' })
    assert.ok(await toggle.isChecked())

    await row.locator('label.switch').click()
    await page.locator(pluginState('hello', 'stopped')).waitFor()
    assert.equal(await row.getByRole('switch').isChecked(), false)
    assert.equal((await pluginInfo(a!, 'hello')).state, 'stopped')
    assert.equal((await a!.api('GET', '/api/x/hello/')).status, 404)
    await shot(page, '02-hello-off')

    await row.getByRole('switch', { name: 'Turn on hello' }).click()
    await page.locator(pluginState('hello', 'running')).waitFor()
    assert.equal(await row.getByRole('switch').isChecked(), true)
    assert.equal((await pluginInfo(a!, 'hello')).state, 'running')
    const route = await a!.api('GET', '/api/x/hello/')
    assert.equal(route.status, 200)
    assert.deepEqual(await route.json(), { greeted: 0, waves: 0 })
    await shot(page, '03-hello-on')
    await assertNoErrorShown(page)
  })

  it('a third-party plugin asks to be trusted: dismissed it stays off, accepted it runs', async () => {
    const p = await openPage(WIDE)
    await p.goto(c!.viewer!.url + '#plugins')
    await waitText(p, '#self-id', c!.id)
    await p.locator(pluginState('hello', 'stopped')).waitFor()
    const row = p.locator(pluginRow('hello'))
    assert.equal(await row.getByRole('switch').isChecked(), false)
    assert.match(await row.innerText(), /Third-party/)

    const dialog = p.getByRole('dialog')
    await row.locator('label.switch').click()
    await dialog.waitFor()
    const message = await dialog.innerText()
    assert.match(message, /hello/)
    assert.match(message, /third-party/)
    assert.match(message, /full rights/)
    assert.match(message, /trust its author/)
    assert.doesNotMatch(message, /--yes|"trust": true/, 'no CLI or API instructions in a browser dialog')
    await shot(p, '04-third-party-dialog', false)
    await dialog.getByRole('button', { name: 'Keep it off' }).click()
    await dialog.waitFor({ state: 'hidden' })
    await p.waitForFunction(sel => !(document.querySelector(sel) as HTMLInputElement).checked, `${pluginRow('hello')} input`)
    await p.locator(pluginState('hello', 'stopped')).waitFor()
    assert.equal((await pluginInfo(c!, 'hello')).state, 'stopped')
    assert.equal((await c!.api('GET', '/api/x/hello/')).status, 404)
    const entry = JSON.parse(await readFile(join(c!.dir, 'goop.json'), 'utf8')).plugins.hello
    assert.equal(entry.enabled, false)
    assert.equal(entry.trusted, undefined)
    await shot(p, '05-third-party-dismissed')

    await row.locator('label.switch').click()
    await dialog.waitFor()
    assert.match(await dialog.innerText(), /full rights/)
    await dialog.getByRole('button', { name: 'Trust and turn on' }).click()
    await p.locator(pluginState('hello', 'running')).waitFor()
    assert.equal(await row.getByRole('switch').isChecked(), true)
    assert.equal((await pluginInfo(c!, 'hello')).state, 'running')
    assert.equal((await c!.api('GET', '/api/x/hello/')).status, 200)
    await shot(p, '06-third-party-accepted')
    await assertNoErrorShown(p)
  })

  it("without the token the page says it needs the owner's token and shows no peer data", async () => {
    const p = await openPage(WIDE)
    const res = await p.goto(`http://127.0.0.1:${a!.viewer!.port}/`)
    assert.equal(res?.status(), 200)
    await p.locator('#need-token').waitFor({ state: 'visible' })
    assert.match(await p.locator('#need-token').innerText(), /needs the owner's token/)
    await assertNoPeerData(p, a!, b!)
    await shot(p, '07-no-token')
  })

  it('with a wrong token the page says the token is not valid and shows no peer data', async () => {
    const p = await openPage(WIDE)
    const res = await p.goto(`http://127.0.0.1:${a!.viewer!.port}/?token=not-the-token`)
    assert.equal(res?.status(), 401)
    const notice = p.getByText('That viewer token is not valid')
    await notice.waitFor({ state: 'visible' })
    await p.waitForLoadState('networkidle')
    await assertNoPeerData(p, a!, b!)
    assert.equal(await p.locator('#need-token').count(), 0, 'one notice, not two')
    await shot(p, '08-wrong-token')
  })

  it('My site: open index.html, edit it, save with Ctrl+S; new file, upload, delete', async () => {
    const site = join(a!.dir, 'site')
    await go(page, 'site')
    const index = page.locator(fileRow('index.html'))
    await index.waitFor()
    assert.match(await index.innerText(), new RegExp(`index\\.html\\s+${Buffer.byteLength(INDEX)} B`))
    await shot(page, '09-site-list')

    // Open it: the editor holds the file, the preview shows it from the site's own address.
    await index.getByRole('button').click()
    const editor = page.getByRole('textbox', { name: 'Contents of index.html' })
    await editor.waitFor()
    assert.equal(await editor.inputValue(), INDEX)
    const frame = page.locator('#preview-frame')
    assert.equal(await frame.getAttribute('src'), `/p/${a!.id}/index.html`)
    const reloads = Number(await frame.getAttribute('data-reloads'))

    // Edit: the change is marked unsaved until it is saved.
    const edited = INDEX.replace('<h1>Hello</h1>', '<h1>Hello, goop!</h1>\n  <p>Edited in the viewer.</p>')
    await editor.fill(edited)
    await waitText(page, '#editor-status', 'Unsaved changes')
    await index.locator('.dirty-dot').waitFor()
    assert.equal(await readFile(join(site, 'index.html'), 'utf8'), INDEX, 'nothing is written before saving')
    await shot(page, '10-site-unsaved')
    await editor.press('Control+s')
    await waitText(page, '#editor-status', 'Saved')
    await waitFile(join(site, 'index.html'), edited)
    assert.equal(await index.locator('.dirty-dot').count(), 0)
    await page.waitForFunction(n => Number(document.getElementById('preview-frame')?.dataset.reloads) > n, reloads)
    // The preview, reloaded, shows the saved page from the site's own origin.
    await page.frameLocator('#preview-frame').getByRole('heading', { name: 'Hello, goop!' }).waitFor()
    await page.getByRole('button', { name: 'Save' }).and(page.locator(':disabled')).waitFor()
    await shot(page, '11-site-saved')

    // A new file starts from a template and opens in the editor.
    await page.getByRole('button', { name: 'New file' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByRole('textbox', { name: 'File name' }).fill('about.html')
    await dialog.getByRole('button', { name: 'Create' }).click()
    await page.locator(fileRow('about.html')).waitFor()
    await page.getByRole('textbox', { name: 'Contents of about.html' }).waitFor()
    assert.match(await readFile(join(site, 'about.html'), 'utf8'), /<title>About<\/title>/)
    assert.equal(await page.locator('#preview-frame').getAttribute('src'), `/p/${a!.id}/about.html`)

    // Upload: the raw bytes become the file (a text file and a binary one).
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5a0000000049454e44ae426082', 'hex')
    await page.locator('#upload-input').setInputFiles([
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('notes from the browser\n') },
      { name: 'dot.png', mimeType: 'image/png', buffer: png }
    ])
    await page.locator(fileRow('notes.txt')).waitFor()
    await page.locator(fileRow('dot.png')).waitFor()
    await waitFile(join(site, 'notes.txt'), 'notes from the browser\n')
    await waitFile(join(site, 'dot.png'), png)
    await page.locator(fileRow('dot.png')).getByRole('button').click()
    await page.getByText('This file is not text').waitFor()
    await shot(page, '12-site-uploaded')

    // Delete asks first; then the file is gone from the list and the disk.
    await page.locator(fileRow('notes.txt')).getByRole('button').click()
    await page.getByRole('textbox', { name: 'Contents of notes.txt' }).waitFor()
    await page.getByRole('button', { name: 'Delete notes.txt' }).click()
    await dialog.waitFor()
    assert.match(await dialog.innerText(), /Delete notes\.txt\?/)
    await shot(page, '13-site-delete-confirm', false)
    await dialog.getByRole('button', { name: 'Delete' }).click()
    await page.locator(fileRow('notes.txt')).waitFor({ state: 'detached' })
    await waitFile(join(site, 'notes.txt'), null)
    await access(join(site, 'index.html'))
    await shot(page, '14-site-deleted')
    await assertNoErrorShown(page)

    // The changes are in the event log, in plain words.
    await go(page, 'events')
    await page.locator('#log li[data-topic="site.changed"]').first().waitFor()
    assert.match(await page.locator('#log').innerText(), /Deleted notes\.txt/)
    await shot(page, '15-events')
  })

  it('a narrow window shows the same content without horizontal scrolling', async () => {
    const p = await openPage(NARROW)
    await p.goto(a!.viewer!.url)
    await assertShowsPeerA(p, a!, b!)
    await p.locator('#live.on').waitFor()
    // Live events fill the log with long lines (peer ids): a peer connects, a plugin is switched.
    await connect(c!, a!)
    await p.locator(`${peerRow(c!.id)} .dot.on`).waitFor()
    await shot(p, '16-narrow-peers')
    await assertFits(p, 'peers')
    await go(p, 'plugins')
    await p.locator(`${pluginRow('hello')} label.switch`).click()
    await p.locator(pluginState('hello', 'stopped')).waitFor()
    await p.locator(`${pluginRow('hello')} label.switch`).click()
    await p.locator(pluginState('hello', 'running')).waitFor()
    await assertFits(p, 'plugins')
    await go(p, 'site')
    await p.locator(fileRow('index.html')).getByRole('button').click()
    await p.getByRole('textbox', { name: 'Contents of index.html' }).waitFor()
    await p.frameLocator('#preview-frame').getByRole('heading', { name: 'Hello, goop!' }).waitFor()
    await shot(p, '17-narrow-site')
    await assertFits(p, 'my site')
    await go(p, 'events')
    await p.waitForFunction(() => (document.getElementById('log')?.innerText ?? '').includes('peers.changed'))
    await shot(p, '18-narrow-events')
    await assertFits(p, 'events')
    await assertNoErrorShown(p)
  })

  it('serves the UI as /app.js and /app.css with ETags: revalidated by plain URL, kept for good by hashed URL', async () => {
    const base = `http://127.0.0.1:${a!.viewer!.port}`
    const html = await (await fetch(base + '/')).text()
    for (const [name, type] of [['app.js', /^text\/javascript/], ['app.css', /^text\/css/]] as const) {
      const url = new RegExp(`(/${name.replace('.', '\\.')}\\?v=[\\w-]+)"`).exec(html)?.[1]
      assert.ok(url != null, `the page loads ${name} by a hashed URL`)
      const res = await fetch(base + url)
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', type)
      assert.match(res.headers.get('cache-control') ?? '', /immutable/)
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
      const etag = res.headers.get('etag')
      assert.match(etag ?? '', /^"[\w-]+"$/)
      assert.ok((await res.arrayBuffer()).byteLength > 1000)
      const plain = await fetch(`${base}/${name}`)
      assert.equal(plain.headers.get('cache-control'), 'no-cache')
      await plain.arrayBuffer()
      const again = await fetch(`${base}/${name}`, { headers: { 'if-none-match': etag! } })
      assert.equal(again.status, 304)
      assert.equal(again.headers.get('etag'), etag)
      // Another site's page cannot pull them in through DNS rebinding either: the viewer answers its own names only.
      const status = await new Promise<number | undefined>((resolve, reject) => {
        get({ host: '127.0.0.1', port: a!.viewer!.port, path: `/${name}`, headers: { host: 'evil.example' } }, (r) => { r.resume(); resolve(r.statusCode) }).on('error', reject)
      })
      assert.equal(status, 403)
    }
  })

  it('no page broke its CSP, threw, or fell back to a native dialog', () => {
    assert.deepEqual(problems, [])
  })
})
