import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Dialog, type Page } from 'playwright-core'
import hello from 'goop-plugin-hello'
import { connect, startTestPeer, type TestPeer } from '@goop/core/testing'

/**
 * The viewer as a person uses it: a real chromium on real peers' viewers. Each step leaves a
 * screenshot in test-artifacts/ (git-ignored) to look at.
 */

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url))
const HELLO_DIR = fileURLToPath(new URL('../../examples/plugin-hello', import.meta.url))
const WIDE = { width: 1280, height: 800 }
const NARROW = { width: 420, height: 800 }
const WAIT_MS = 10_000

interface Info { name: string, enabled: boolean, state: string, error?: string, source: string }

async function pluginInfo (peer: TestPeer, name: string): Promise<Info> {
  const res = await peer.api('GET', '/api/plugins')
  assert.equal(res.status, 200)
  const info = (await res.json() as Info[]).find(p => p.name === name)
  assert.ok(info != null, `plugin ${name} is listed`)
  return info
}

async function shot (page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `viewer-${name}.png`), fullPage: true })
}

/** Wait until the element's visible text is exactly `text` (the page re-renders from the API and SSE). */
async function waitText (page: Page, selector: string, text: string): Promise<void> {
  try {
    await page.waitForFunction(([sel, want]) => (document.querySelector(sel) as HTMLElement | null)?.innerText.trim() === want,
      [selector, text] as const, { timeout: WAIT_MS })
  } catch (err) {
    const got = await page.locator(selector).first().innerText({ timeout: 1000 }).catch(() => '(missing)')
    throw new Error(`${selector} should read ${JSON.stringify(text)}, reads ${JSON.stringify(got)}`, { cause: err })
  }
}

const pluginRow = (name: string): string => `li[data-plugin="${name}"]`
const peerRow = (peerId: string): string => `li[data-peer="${peerId}"]`

/** The page as a person sees it: this peer's name and id, the peer B online, hello running. */
async function assertShowsPeerA (page: Page, a: TestPeer, b: TestPeer): Promise<void> {
  await waitText(page, '#self-id', a.id)
  assert.equal(await page.locator('#self-name').innerText(), 'peer-a')
  assert.ok(await page.locator('#self-id').isVisible())
  const peer = page.locator(peerRow(b.id))
  await peer.waitFor({ state: 'visible', timeout: WAIT_MS })
  assert.match(await peer.innerText(), new RegExp(b.id))
  assert.ok(await peer.locator('.dot.on').isVisible(), 'B is shown online')
  await waitText(page, `${pluginRow('hello')} .state`, 'running')
  assert.ok(await page.locator(`${pluginRow('hello')} input[type=checkbox]`).isChecked())
  assert.equal(await page.locator('#need-token').isVisible(), false)
}

async function assertNoPeerData (page: Page, ...peers: TestPeer[]): Promise<void> {
  const text = await page.locator('body').innerText()
  for (const p of peers) assert.ok(!text.includes(p.id), `the page shows no peer id (${p.id})`)
  assert.equal(await page.locator('#self-id').innerText(), '')
  assert.equal(await page.locator('li[data-peer], li[data-plugin]').count(), 0)
  // Nor empty lists that would read as "this peer has no peers and no plugins".
  assert.equal(await page.locator('main').isVisible(), false)
}

describe('the viewer in a real browser', () => {
  let browser: Browser | undefined
  let a: TestPeer | undefined
  let b: TestPeer | undefined
  let c: TestPeer | undefined
  const contexts: BrowserContext[] = []
  let page!: Page

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true })
    ;[browser, a, b, c] = await Promise.all([
      chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
      }),
      startTestPeer({ plugins: [hello], config: { name: 'peer-a' } }),
      startTestPeer({ config: { name: 'peer-b' } }),
      startTestPeer({ config: { name: 'peer-c', plugins: { hello: { enabled: false, from: HELLO_DIR } } } })
    ])
    await connect(b, a)
  })

  after(async () => {
    for (const ctx of contexts) await ctx.close().catch(() => {})
    await browser?.close()
    await Promise.all([a?.cleanup(), b?.cleanup(), c?.cleanup()])
  })

  async function openPage (viewport: { width: number, height: number }): Promise<Page> {
    const ctx = await browser!.newContext({ viewport })
    contexts.push(ctx)
    const p = await ctx.newPage()
    p.setDefaultTimeout(WAIT_MS)
    return p
  }

  it("shows this peer's name and id, the connected peer online and the running plugin", async () => {
    page = await openPage(WIDE)
    const res = await page.goto(a!.viewer!.url)
    assert.equal(res?.status(), 200)
    assert.equal(new URL(page.url()).search, '', 'the token is taken out of the address bar')
    await assertShowsPeerA(page, a!, b!)
    await page.locator('#live.on').waitFor() // the event stream is connected
    await shot(page, '1-wide')
  })

  it("hello's switch stops it (its route answers 404) and starts it again (200)", async () => {
    const alerts: string[] = []
    page.on('dialog', (d: Dialog) => { alerts.push(d.message()); void d.dismiss() })
    const row = page.locator(pluginRow('hello'))

    await row.locator('label.switch').click()
    await waitText(page, `${pluginRow('hello')} .state`, 'stopped')
    assert.equal(await row.locator('input').isChecked(), false)
    assert.equal((await pluginInfo(a!, 'hello')).state, 'stopped')
    assert.equal((await a!.api('GET', '/api/x/hello/')).status, 404)
    await shot(page, '2-hello-off')

    await row.locator('label.switch').click()
    await waitText(page, `${pluginRow('hello')} .state`, 'running')
    assert.equal(await row.locator('input').isChecked(), true)
    assert.equal((await pluginInfo(a!, 'hello')).state, 'running')
    const route = await a!.api('GET', '/api/x/hello/')
    assert.equal(route.status, 200)
    assert.deepEqual(await route.json(), { greeted: 0, waves: 0 })
    await shot(page, '3-hello-on')
    assert.deepEqual(alerts, [], 'no error was shown')
  })

  it('a third-party plugin asks to be trusted: dismissed it stays off, accepted it runs', async () => {
    const p = await openPage(WIDE)
    const dialogs: Array<{ type: string, message: string }> = []
    let answer: 'accept' | 'dismiss' = 'dismiss'
    p.on('dialog', (d: Dialog) => {
      dialogs.push({ type: d.type(), message: d.message() })
      void (d.type() === 'confirm' && answer === 'accept' ? d.accept() : d.dismiss())
    })
    await p.goto(c!.viewer!.url)
    await waitText(p, '#self-id', c!.id)
    await waitText(p, `${pluginRow('hello')} .state`, 'stopped')
    const row = p.locator(pluginRow('hello'))
    assert.equal(await row.locator('input').isChecked(), false)

    await row.locator('label.switch').click()
    const deadline = Date.now() + WAIT_MS
    while (dialogs.length === 0 && Date.now() < deadline) await p.waitForTimeout(20)
    assert.equal(dialogs.length, 1, 'a dialog was shown')
    assert.equal(dialogs[0].type, 'confirm')
    assert.match(dialogs[0].message, /hello/)
    assert.match(dialogs[0].message, /third-party/)
    assert.match(dialogs[0].message, /full rights/)
    assert.match(dialogs[0].message, /trust its author/)
    assert.doesNotMatch(dialogs[0].message, /--yes|"trust": true/, 'no CLI or API instructions in a browser dialog')
    await p.waitForFunction(sel => !(document.querySelector(sel) as HTMLInputElement).checked, `${pluginRow('hello')} input`)
    await waitText(p, `${pluginRow('hello')} .state`, 'stopped')
    assert.equal((await pluginInfo(c!, 'hello')).state, 'stopped')
    assert.equal((await c!.api('GET', '/api/x/hello/')).status, 404)
    const entry = JSON.parse(await readFile(join(c!.dir, 'goop.json'), 'utf8')).plugins.hello
    assert.equal(entry.enabled, false)
    assert.equal(entry.trusted, undefined)
    await shot(p, '4-third-party-dismissed')

    answer = 'accept'
    await row.locator('label.switch').click()
    await waitText(p, `${pluginRow('hello')} .state`, 'running')
    assert.equal(dialogs.length, 2)
    assert.equal(dialogs[1].type, 'confirm')
    assert.match(dialogs[1].message, /full rights/)
    assert.equal(await row.locator('input').isChecked(), true)
    assert.equal((await pluginInfo(c!, 'hello')).state, 'running')
    assert.equal((await c!.api('GET', '/api/x/hello/')).status, 200)
    await shot(p, '5-third-party-accepted')
  })

  it("without the token the page says it needs the owner's token and shows no peer data", async () => {
    const p = await openPage(WIDE)
    const res = await p.goto(`http://127.0.0.1:${a!.viewer!.port}/`)
    assert.equal(res?.status(), 200)
    await p.locator('#need-token').waitFor({ state: 'visible' })
    assert.match(await p.locator('#need-token').innerText(), /needs the owner's token/)
    await assertNoPeerData(p, a!, b!)
    await shot(p, '6-no-token')
  })

  it('with a wrong token the page says the token is not valid and shows no peer data', async () => {
    const p = await openPage(WIDE)
    const res = await p.goto(`http://127.0.0.1:${a!.viewer!.port}/?token=not-the-token`)
    assert.equal(res?.status(), 401)
    const notice = p.getByText('That viewer token is not valid')
    await notice.waitFor({ state: 'visible' })
    await p.waitForLoadState('networkidle')
    await assertNoPeerData(p, a!, b!)
    assert.equal(await p.locator('#need-token').isVisible(), false, 'one notice, not two')
    await shot(p, '7-wrong-token')
  })

  it('a narrow window shows the same content without horizontal scrolling', async () => {
    const p = await openPage(NARROW)
    await p.goto(a!.viewer!.url)
    await assertShowsPeerA(p, a!, b!)
    await p.locator('#live.on').waitFor()
    // Live events fill the log with long lines (peer ids): a peer connects, a plugin is switched.
    await connect(c!, a!)
    await p.locator(`${peerRow(c!.id)} .dot.on`).waitFor()
    await p.locator(`${pluginRow('hello')} label.switch`).click()
    await waitText(p, `${pluginRow('hello')} .state`, 'stopped')
    await p.locator(`${pluginRow('hello')} label.switch`).click()
    await waitText(p, `${pluginRow('hello')} .state`, 'running')
    await p.waitForFunction(() => (document.getElementById('log')?.innerText ?? '').includes('peers.changed'))
    await shot(p, '8-narrow')
    const width = await p.evaluate(() => document.documentElement.scrollWidth)
    assert.ok(width <= NARROW.width, `the page is ${width}px wide in a ${NARROW.width}px window`)
    // Every section fits the window too (nothing is cut off at the right).
    const overflowing = await p.evaluate((w) => [...document.querySelectorAll('header, section, li')]
      .filter(e => e.getBoundingClientRect().right > w + 0.5).map(e => e.id || e.tagName), NARROW.width)
    assert.deepEqual(overflowing, [])
  })
})
