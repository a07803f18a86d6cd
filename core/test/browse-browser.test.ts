import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { siteLabel } from '@goop/core'
import { connect, probe, startTestPeer, waitFor, type TestPeer } from '@goop/core/testing'
import { launchBrowser, newContext, shots, WAIT_MS, waitFile, waitText } from './helpers/browser.js'

/**
 * Browsing another peer's site in a real chromium: A's viewer lists B, a click opens B's site at B's
 * own origin (`http://<label>.localhost:<port A>/`), B's owner edits it in B's viewer and A sees the
 * change. Then a hostile page on B tries to use A's admin API and to make A act on a third peer's
 * site. Each step leaves a screenshot in test-artifacts/browse-*.png (git-ignored).
 */

const WIDE = { width: 1280, height: 800 }
const INDEX = '<!doctype html>\n<html>\n<head><title>Bob\'s bakery</title></head>\n<body>\n  <h1>Fresh bread at Bob\'s</h1>\n</body>\n</html>\n'
const EDITED = INDEX.replace('<h1>Fresh bread at Bob\'s</h1>', '<h1>Sourdough today only</h1>')

interface Info { name: string, enabled: boolean, state: string }

const shot = shots('browse')

async function pluginInfo (peer: TestPeer, name: string): Promise<Info> {
  const res = await peer.api('GET', '/api/plugins')
  assert.equal(res.status, 200)
  const info = (await res.json() as Info[]).find(p => p.name === name)
  assert.ok(info != null, `plugin ${name} is listed`)
  return info
}

const peerRow = (peerId: string): string => `li[data-peer="${peerId}"]`
const fileRow = (path: string): string => `li[data-file="${path}"]`

async function go (page: Page, screen: 'peers' | 'site' | 'plugins' | 'events'): Promise<void> {
  await page.locator(`#tab-${screen}`).click()
  await page.locator(`#tab-${screen}[aria-current="page"]`).waitFor()
}

/**
 * A hostile page: its script tries A's admin API (read, switch a plugin off, write a file) by fetch,
 * <img> and form post, the admin API on its own origin, and C's site origin's `/.goop/*` (which
 * would make A subscribe and post at C). It writes what it got into #out and sets the title to
 * "done" when it has tried everything.
 */
function evilPage (viewer: string, other: string): string {
  return `<!doctype html>
<html>
<head><title>Free prizes</title></head>
<body>
<h1>Win a prize!</h1>
<img id="img" alt="" src="${viewer}/api/plugins/site/disable">
<img id="img2" alt="" src="${viewer}/api/x/site/files/index.html">
<iframe name="sink" title="sink"></iframe>
<form id="form" method="POST" action="${viewer}/api/plugins/site/disable" target="sink"><input name="x" value="1"></form>
 <form id="form3" method="POST" enctype="text/plain" action="${viewer}/api/x/site/files/pwned-form.html" target="sink"><input name="x" value="1"></form>
<form id="form2" method="POST" action="${other}/.goop/events?topics=demo.tick" target="sink"><input name="x" value="1"></form>
<pre id="out">running</pre>
<script>
const V = ${JSON.stringify(viewer)}
const C = ${JSON.stringify(other)}
const got = {}
async function attempt (name, fn) {
  try {
    const r = await fn()
    let body = ''
    try { body = (await r.text()).slice(0, 2000) } catch (e) { body = 'unreadable: ' + e }
    got[name] = { status: r.status, type: r.type, body }
  } catch (e) {
    got[name] = { error: String(e) }
  }
}
(async () => {
  await attempt('read self', () => fetch(V + '/api/self', { credentials: 'include' }))
  await attempt('read self no-cors', () => fetch(V + '/api/self', { credentials: 'include', mode: 'no-cors' }))
  await attempt('read peers', () => fetch(V + '/api/peers', { credentials: 'include' }))
  await attempt('disable site', () => fetch(V + '/api/plugins/site/disable', { method: 'POST', credentials: 'include', mode: 'no-cors' }))
  await attempt('write file', () => fetch(V + '/api/x/site/files/pwned.html', { method: 'PUT', credentials: 'include', mode: 'no-cors', body: 'pwned' }))
  await attempt('read site file', () => fetch(V + '/api/x/site/files/index.html', { credentials: 'include' }))
  await attempt('read site files no-cors', () => fetch(V + '/api/x/site/files', { credentials: 'include', mode: 'no-cors' }))
  await attempt('own origin api', () => fetch('/api/self', { credentials: 'include' }))
  await attempt('own origin plugins', () => fetch('/api/plugins/site/disable', { method: 'POST', credentials: 'include' }))
  await attempt('other site events', () => fetch(C + '/.goop/events?topics=demo.tick', { credentials: 'include' }))
  await attempt('other site events no-cors', () => fetch(C + '/.goop/events?topics=demo.tick', { mode: 'no-cors' }))
  await attempt('other site post', () => fetch(C + '/.goop/info', { method: 'POST', mode: 'no-cors', body: 'x' }))
  try { document.getElementById('form').submit(); got['form post'] = 'submitted' } catch (e) { got['form post'] = String(e) }
  await new Promise(resolve => setTimeout(resolve, 300))
  try { document.getElementById('form3').submit(); got['file form post'] = 'submitted' } catch (e) { got['file form post'] = String(e) }
  await new Promise(resolve => setTimeout(resolve, 300))
  try { document.getElementById('form2').submit(); got['other form post'] = 'submitted' } catch (e) { got['other form post'] = String(e) }
  await new Promise(resolve => setTimeout(resolve, 300))
  try { got['frame'] = window.frames.sink.document.body.innerText.slice(0, 2000) } catch (e) { got['frame'] = 'unreadable: ' + e.name }
  const img = document.getElementById('img')
  got['img'] = img.complete && img.naturalWidth > 0 ? 'loaded' : 'not loaded'
  const img2 = document.getElementById('img2')
  got['img2'] = img2.complete && img2.naturalWidth > 0 ? 'loaded' : 'not loaded'
  document.getElementById('out').textContent = JSON.stringify(got, null, 1)
  document.title = 'done'
})()
</script>
</body>
</html>
`
}

describe('browsing peers\' sites in a real browser', () => {
  let browser: Browser | undefined
  let a: TestPeer | undefined
  let b: TestPeer | undefined
  let c: TestPeer | undefined
  let bDir: string | undefined
  let aContext!: BrowserContext
  let aPage!: Page
  /** C shares `demo.*`, so a subscription from A would be accepted if A's viewer let a foreign page ask for one. */
  const probeC = probe('probe')
  /** C's side: the topics A follows at C (the MQ's subscriber table; private, read for the test only). */
  const aFollowsAtC = (): string[] => c!.mq.subscriptionsOf(a!.id)

  before(async () => {
    bDir = await mkdtemp(join(tmpdir(), 'goop-test-'))
    await mkdir(join(bDir, 'site'))
    await writeFile(join(bDir, 'site', 'index.html'), INDEX)
    ;[browser, a, b, c] = await Promise.all([
      launchBrowser(),
      startTestPeer({ config: { name: 'alice' } }),
      startTestPeer({ dir: bDir, config: { name: 'bob' } }),
      startTestPeer({ plugins: [probeC.plugin], config: { name: 'carol' } })
    ])
    await mkdir(join(a.dir, 'site'), { recursive: true })
    await writeFile(join(a.dir, 'site', 'index.html'), '<!doctype html><title>Alice</title><h1>Alice</h1>')
    await mkdir(join(c.dir, 'site'), { recursive: true })
    await writeFile(join(c.dir, 'site', 'index.html'), '<!doctype html><title>Carol</title><h1>Carol</h1>')
    probeC.ctx().mq.share('demo.*')
    await connect(a, b)
    await connect(a, c)
  })

  after(async () => {
    await browser?.close()
    await Promise.all([a?.cleanup(), b?.cleanup(), c?.cleanup()])
    if (bDir != null) await rm(bDir, { recursive: true, force: true })
  })

  /** A context with a wide window (its own cookies: a browser of its own, as it were). */
  const wideContext = async (opts: { bypassCSP?: boolean } = {}): Promise<BrowserContext> => await newContext(browser!, { viewport: WIDE, ...opts })

  it("A's viewer lists B; a click opens B's site at B's own origin; B edits index.html; A reloads and sees it", async () => {
    const port = a!.viewer!.port
    aContext = await wideContext()
    aPage = await aContext.newPage()
    assert.equal((await aPage.goto(a!.viewer!.url))?.status(), 200)
    await waitText(aPage, '#self-name', 'alice')
    const row = aPage.locator(peerRow(b!.id))
    await row.waitFor({ state: 'visible' })
    assert.match(await row.innerText(), /bob/)
    await row.getByText("Bob's bakery").waitFor()
    await row.locator('.dot.on').waitFor()
    await shot(aPage, '01-a-peers')

    // Click B: its site opens in a new tab, at B's own origin on A's viewer port.
    const [site] = await Promise.all([aContext.waitForEvent('page'), row.locator('a.peer-main').click()])
    site.setDefaultTimeout(WAIT_MS)
    const heading = site.getByRole('heading', { level: 1 })
    await heading.filter({ hasText: "Fresh bread at Bob's" }).waitFor()
    const url = new URL(site.url())
    assert.equal(url.host, `${siteLabel(b!.id)}.localhost:${port}`)
    assert.ok(url.host.endsWith(`.localhost:${port}`))
    assert.notEqual(url.host, new URL(a!.viewer!.url).host, "not the viewer's origin")
    assert.equal(url.pathname, '/')
    assert.equal(await site.title(), "Bob's bakery")
    await shot(site, '02-a-sees-b-site')

    // B's owner edits index.html in B's own viewer (another browser, as it were) and saves with Ctrl+S.
    const bContext = await wideContext()
    const bPage = await bContext.newPage()
    await bPage.goto(b!.viewer!.url)
    await waitText(bPage, '#self-name', 'bob')
    await go(bPage, 'site')
    const index = bPage.locator(fileRow('index.html'))
    await index.waitFor()
    await index.getByRole('button').click()
    const editor = bPage.getByRole('textbox', { name: 'Contents of index.html' })
    await editor.waitFor()
    assert.equal(await editor.inputValue(), INDEX)
    await editor.fill(EDITED)
    await waitText(bPage, '#editor-status', 'Unsaved changes')
    await shot(bPage, '03-b-edits')
    await editor.press('Control+s')
    await waitText(bPage, '#editor-status', 'Saved')
    await waitFile(join(bDir!, 'site', 'index.html'), EDITED)
    await shot(bPage, '04-b-saved')

    // A reloads B's page and sees the change (a reload always revalidates; retried for at most 5 s anyway).
    const end = Date.now() + 5000
    let text = ''
    for (;;) {
      await site.reload()
      text = await heading.innerText()
      if (text === 'Sourdough today only' || Date.now() > end) break
      await new Promise(resolve => setTimeout(resolve, 250))
    }
    assert.equal(text, 'Sourdough today only')
    assert.equal(new URL(site.url()).host, url.host)
    await shot(site, '05-a-sees-change')
    await site.close()
  })

  /** Load B's evil.html in `ctx` (which holds A's viewer cookie); return what its script got and what A's viewer answered. */
  async function runEvil (ctx: BrowserContext, name: string) {
    const port = a!.viewer!.port
    const viewerHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`])
    const cHost = `${siteLabel(c!.id)}.localhost:${port}`
    const p = await ctx.newPage()
    /** Every answer the browser got from A's viewer (its admin side) or from C's origin, and what failed. */
    const answers: Array<{ url: string, method: string, status: number }> = []
    const failed: Array<{ url: string, error: string }> = []
    const watched = (u: string): boolean => { const h = new URL(u).host; return viewerHosts.has(h) || h === cHost }
    p.on('response', (r) => { if (watched(r.url())) answers.push({ url: r.url(), method: r.request().method(), status: r.status() }) })
    p.on('requestfailed', (r) => { if (watched(r.url())) failed.push({ url: r.url(), error: r.failure()?.errorText ?? '' }) })
    const csp: string[] = []
    p.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) csp.push(m.text()) })
    const res = await p.goto(`http://${siteLabel(b!.id)}.localhost:${port}/evil.html`)
    assert.equal(res?.status(), 200)
    await p.waitForFunction(() => document.title === 'done', undefined, { timeout: WAIT_MS })
    const out = await p.locator('#out').innerText()
    await shot(p, name)
    const got = JSON.parse(out) as Record<string, any>
    await p.close()
    return { got, out, answers, failed, csp }
  }

  async function assertAUntouched (goopJson: string): Promise<void> {
    const info = await pluginInfo(a!, 'site')
    assert.equal(info.enabled, true, 'A\'s site plugin is still on')
    assert.equal(info.state, 'running')
    assert.equal(await readFile(join(a!.dir, 'goop.json'), 'utf8').catch(() => ''), goopJson, "A's settings are unchanged")
    assert.deepEqual(await readdir(join(a!.dir, 'site')), ['index.html'], 'nothing was written to A\'s site')
    // C's site still answers A's viewer (nothing was switched off), and C's page was not changed.
    assert.equal((await pluginInfo(c!, 'site')).state, 'running')
    assert.deepEqual(await readdir(join(c!.dir, 'site')), ['index.html'])
    assert.deepEqual(aFollowsAtC(), [], 'A subscribed to nothing at C')
  }

  function assertNothingLeaked (r: Awaited<ReturnType<typeof runEvil>>): void {
    for (const id of [a!.id, b!.id, c!.id]) assert.ok(!r.out.includes(id), `the hostile page got no peer id (${id}): ${r.out}`)
    assert.ok(!r.out.includes(a!.viewer!.token), 'nor the token')
    assert.doesNotMatch(r.out, /"(peerId|addrs|plugins)"/)
    for (const k of ['read self', 'read peers', 'read site file', 'other site events']) {
      assert.ok(r.got[k].error != null, `${k}: the fetch failed in the page (${JSON.stringify(r.got[k])})`)
    }
    for (const k of ['read self no-cors', 'read site files no-cors', 'disable site', 'write file', 'other site events no-cors', 'other site post']) {
      const v = r.got[k]
      assert.ok(v.error != null || (v.type === 'opaque' && v.status === 0 && v.body === ''), `${k}: blocked or opaque (${JSON.stringify(v)})`)
    }
    // Its own origin has no admin API.
    assert.equal(r.got['own origin api'].status, 404)
    assert.equal(r.got['own origin plugins'].status, 404)
    assert.equal(r.got.img, 'not loaded')
    assert.equal(r.got.img2, 'not loaded')
    assert.match(String(r.got.frame), /^unreadable|^$/)
    // Whatever reached A's viewer's admin side or C's origin was refused.
    for (const ans of r.answers) assert.equal(ans.status, 403, `${ans.method} ${ans.url} was answered ${ans.status}`)
  }

  it("a hostile page on B, opened in A's browser, cannot read or change A's admin API nor reach C's site", async () => {
    const port = a!.viewer!.port
    await writeFile(join(bDir!, 'site', 'evil.html'), evilPage(`http://127.0.0.1:${port}`, `http://${siteLabel(c!.id)}.localhost:${port}`))
    const goopJson = await readFile(join(a!.dir, 'goop.json'), 'utf8').catch(() => '')
    // The cookie is there: A's own viewer page in this context reads the API.
    const cookies = await aContext.cookies(`http://127.0.0.1:${port}/`)
    assert.ok(cookies.some(k => k.value === a!.viewer!.token), "A's viewer cookie is set in this browser")

    const r = await runEvil(aContext, '06-evil-page')
    assertNothingLeaked(r)
    assert.deepEqual(r.answers, [], 'the CSP kept every cross-origin attempt from leaving the page')
    assert.ok(r.csp.length > 0, 'the CSP reported what it blocked')
    await assertAUntouched(goopJson)
  })

  it('without the CSP (a browser that ignores it), A\'s viewer and C\'s origin refuse the same attempts with 403', async () => {
    const ctx = await wideContext({ bypassCSP: true })
    const p = await ctx.newPage()
    await p.goto(a!.viewer!.url)
    await waitText(p, '#self-name', 'alice')
    await p.close()
    const goopJson = await readFile(join(a!.dir, 'goop.json'), 'utf8').catch(() => '')

    const r = await runEvil(ctx, '07-evil-page-no-csp')
    assertNothingLeaked(r)
    // The browser sent them (no CSP to stop it): A's viewer refused its admin API, and C's origin its
    // `/.goop/*`, with 403 (the rest the browser dropped by CORS / CORB before the page could read them).
    const answered = new Set(r.answers.map(x => `${x.method} ${x.url.replace(/^http:\/\/[^/]+/, new URL(x.url).host.startsWith('127.0.0.1') ? 'viewer' : 'C')}`))
    for (const want of ['GET viewer/api/self', 'POST viewer/api/plugins/site/disable', 'POST C/.goop/events?topics=demo.tick']) {
      assert.ok(answered.has(want), `${want} was answered 403 (answers: ${JSON.stringify(r.answers)}; failed: ${JSON.stringify(r.failed)})`)
    }
    const attempted = new Set([...r.answers, ...r.failed].map(x => new URL(x.url).pathname))
    for (const path of ['/api/self', '/api/peers', '/api/plugins/site/disable', '/.goop/events', '/.goop/info']) assert.ok(attempted.has(path), `${path} was attempted`)
    await assertAUntouched(goopJson)
  })

  it("C's side sees a subscription when C's own page asks (so the check above can fail)", async () => {
    const p = await aContext.newPage()
    await p.goto(`http://${siteLabel(c!.id)}.localhost:${a!.viewer!.port}/`)
    await p.getByRole('heading', { name: 'Carol' }).waitFor()
    await p.evaluate(() => { (window as unknown as { es: EventSource }).es = new EventSource('/.goop/events?topics=demo.tick') })
    await waitFor(() => aFollowsAtC().includes('demo.tick'), WAIT_MS, 'A follows demo.tick at C')
    await p.close()
    await waitFor(() => aFollowsAtC().length === 0, WAIT_MS, 'the subscription ends with the page')
  })
})
