import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import { join } from 'node:path'
import { runInNewContext } from 'node:vm'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { base36 } from 'multiformats/bases/base36'
import { CID } from 'multiformats/cid'
import { definePlugin, SDK_VERSION } from '@goop/sdk'
import { peerFromLabel, siteLabel } from '@goop/core'
import { connect, probe, startTestPeer, waitFor, type TestPeer } from '@goop/core/testing'
import { readSse, type SseEvent } from './helpers/sse.js'

/**
 * Browsing sites in isolated origins (DESIGN §5), between real peers: A's viewer shows B's site at
 * B's own origin `http://<label>.localhost:<portA>/`. Node does not resolve *.localhost, so every
 * request goes to 127.0.0.1 with the Host header a browser would send.
 */

interface Reply { status: number, headers: IncomingHttpHeaders, body: Buffer, text: string, json: () => any }

function open (port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers }, agent: false, timeout: 30_000 }, resolve)
    req.on('error', reject)
    req.on('timeout', () => { req.destroy(new Error(`${method} ${path} timed out`)) })
    req.end()
  })
}

async function call (port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await open(port, method, path, headers)
  const chunks: Buffer[] = []
  for await (const c of res) chunks.push(c as Buffer)
  const body = Buffer.concat(chunks)
  const text = body.toString('utf8')
  return { status: res.statusCode ?? 0, headers: res.headers, body, text, json: () => JSON.parse(text) }
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

function csp (port: number): string {
  return "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
    "media-src 'self' blob:; font-src 'self' data:; connect-src 'self'; frame-src 'self'; " +
    `frame-ancestors 'self' http://127.0.0.1:${port} http://localhost:${port}; base-uri 'self'; form-action 'self'; object-src 'none'`
}

function assertSecured (r: Reply, port: number): void {
  assert.equal(r.headers['content-security-policy'], csp(port))
  assert.equal(r.headers['x-content-type-options'], 'nosniff')
  assert.equal(r.headers['referrer-policy'], 'no-referrer')
}


/** An SSE reader over node:http: parses `id:`, `event:`, `data:` blocks. */
async function sse (port: number, path: string, headers: Record<string, string>) {
  const res = await open(port, 'GET', path, headers)
  const events = readSse(res)
  return {
    res,
    events,
    async waitFor (pred: (e: SseEvent) => boolean, ms = 10_000): Promise<SseEvent> {
      let found: SseEvent | undefined
      await waitFor(() => (found = events.find(pred)) != null, ms, `an SSE event in ${JSON.stringify(events)}`)
      return found!
    },
    close: () => { res.destroy() }
  }
}

describe('site origins', () => {
  let a: TestPeer
  let b: TestPeer
  let port: number
  let bHost: string
  let bOrigin: string
  const probeB = probe('probe')
  const BIG = randomBytes(6 * 1024 * 1024 + 12_345)
  const INDEX = '<!doctype html><title>B site</title><h1>Hello from B</h1>\n'
  const SMALL = 'a small file, cached in memory\n'
  /** A plugin with a site route of its own, on A (the visitor). */
  const echo = definePlugin({
    name: 'echo',
    version: '1.0.0',
    sdk: '^1.2.0',
    setup (ctx) {
      ctx.http.site.get('/.well-known/echo', c => c.json({
        site: c.req.header('x-goop-site'),
        me: ctx.peerId,
        cookie: c.req.header('cookie') ?? null,
        authorization: c.req.header('authorization') ?? null
      }))
      // A visitor action: plugins may serve /.goop/* paths other than the kernel's (SDK 1.3.0).
      ctx.http.site.post('/.goop/echo', async c => c.json({ site: c.req.header('x-goop-site'), got: await c.req.json() }))
    }
  })

  before(async () => {
    b = await startTestPeer({ plugins: [probeB.plugin] })
    await mkdir(join(b.dir, 'site'), { recursive: true })
    await writeFile(join(b.dir, 'site', 'index.html'), INDEX)
    await writeFile(join(b.dir, 'site', 'small.txt'), SMALL)
    await writeFile(join(b.dir, 'site', 'big.bin'), BIG)
    probeB.ctx().mq.share('demo.*')
    a = await startTestPeer({ plugins: [echo] })
    await connect(a, b)
    port = a.viewer!.port
    bHost = `${siteLabel(b.id)}.localhost:${port}`
    bOrigin = `http://${bHost}`
  })
  after(async () => { await a?.cleanup(); await b?.cleanup() })

  it('labels are base36 CIDv1 libp2p-key, one DNS label, and decode back to the peer', async () => {
    const label = siteLabel(b.id)
    assert.match(label, /^k51[0-9a-z]+$/)
    assert.ok(label.length <= 63, `${label.length} characters`)
    assert.equal(peerFromLabel(label), b.id)
    assert.equal(CID.parse(label, base36).code, 0x72)
    for (let i = 0; i < 5; i++) {
      const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
      assert.equal(peerFromLabel(siteLabel(id)), id)
    }
    // Another codec, a character more or less, another base: no peer.
    const dagPb = CID.createV1(0x70, CID.parse(label, base36).multihash).toString(base36)
    for (const bad of [dagPb, label + 'a', label.slice(0, -1), label.slice(0, 20), b.id.toLowerCase(), 'k', '']) {
      assert.equal(peerFromLabel(bad), undefined, bad)
    }
    assert.throws(() => siteLabel('not-a-peer'), /not a peer ID/)
  })

  it('/p/<peer>/<path> redirects to the peer\'s origin, without the token, only on the viewer\'s Host', async () => {
    const r = await call(port, 'GET', `/p/${b.id}/blog/a%20b.html?x=1`)
    assert.equal(r.status, 302)
    assert.equal(r.headers.location, `http://${siteLabel(b.id)}.localhost:${port}/blog/a%20b.html?x=1`)
    assert.equal((await call(port, 'GET', `/p/${b.id}`)).headers.location, `${bOrigin}/`)
    assert.equal((await call(port, 'GET', `/p/${b.id}/`, { host: `localhost:${port}` })).headers.location, `${bOrigin}/`)
    // The owner's own site too.
    assert.equal((await call(port, 'GET', `/p/${a.id}/`)).headers.location, `http://${siteLabel(a.id)}.localhost:${port}/`)
    for (const bad of ['nope', `${b.id}x`, 'QmNotAPeer']) {
      const res = await call(port, 'GET', `/p/${bad}/`)
      assert.equal(res.status, 400, bad)
      assert.equal(res.json().error.code, 'bad_peer')
    }
    assert.equal((await call(port, 'GET', `/p/${b.id}/`, { host: 'evil.example' })).status, 403)
    assert.equal((await call(port, 'GET', `/p/${b.id}/`, { host: `evil.example:${port}` })).status, 403)
  })

  it("serves B's site at B's origin through A's viewer, with the strict CSP", async () => {
    const r = await call(port, 'GET', '/', { host: bHost })
    assert.equal(r.status, 200, r.text)
    assert.equal(r.text, INDEX)
    assert.match(String(r.headers['content-type']), /^text\/html/)
    assert.equal(r.headers['content-length'], String(Buffer.byteLength(INDEX)))
    assert.match(String(r.headers.etag), /^"[^"]+"$/)
    assertSecured(r, port)
    // A folder path, a missing file (B's 404 page, secured too), an upper-case Host.
    assert.equal((await call(port, 'GET', '/index.html', { host: bHost.toUpperCase() })).text, INDEX)
    const missing = await call(port, 'GET', '/nope.html', { host: bHost })
    assert.equal(missing.status, 404)
    assert.match(missing.text, /Not found/)
    assertSecured(missing, port)
    const head = await call(port, 'HEAD', '/big.bin', { host: bHost })
    assert.equal(head.status, 200)
    assert.equal(head.headers['content-length'], String(BIG.length))
    assert.equal(head.body.length, 0)
  })

  it('streams a large file intact', async () => {
    const r = await call(port, 'GET', '/big.bin', { host: bHost })
    assert.equal(r.status, 200)
    assert.equal(r.headers['content-length'], String(BIG.length))
    assert.equal(r.headers['content-type'], 'application/octet-stream')
    assert.equal(r.body.length, BIG.length)
    assert.equal(sha(r.body), sha(BIG))
  })

  it('answers If-None-Match with 304, for big files and for small cached ones', async () => {
    for (const path of ['/big.bin', '/small.txt', '/small.txt']) {
      const first = await call(port, 'GET', path, { host: bHost })
      assert.equal(first.status, 200)
      const again = await call(port, 'GET', path, { host: bHost, 'if-none-match': String(first.headers.etag) })
      assert.equal(again.status, 304, path)
      assert.equal(again.body.length, 0)
      assert.equal(again.headers.etag, first.headers.etag)
      assertSecured(again, port)
      assert.equal((await call(port, 'GET', path, { host: bHost, 'if-none-match': '"other"' })).status, 200)
    }
  })

  it('serves byte ranges (206, Content-Range), suffixes, If-Range and 416', async () => {
    const mid = 3 * 1024 * 1024 - 7
    const r = await call(port, 'GET', '/big.bin', { host: bHost, range: `bytes=${mid}-${mid + 999_999}` })
    assert.equal(r.status, 206)
    assert.equal(r.headers['content-range'], `bytes ${mid}-${mid + 999_999}/${BIG.length}`)
    assert.equal(r.headers['content-length'], '1000000')
    assert.ok(r.body.equals(BIG.subarray(mid, mid + 1_000_000)))
    const tail = await call(port, 'GET', '/big.bin', { host: bHost, range: `bytes=${BIG.length - 10}-` })
    assert.equal(tail.status, 206)
    assert.ok(tail.body.equals(BIG.subarray(BIG.length - 10)))
    const suffix = await call(port, 'GET', '/big.bin', { host: bHost, range: 'bytes=-100' })
    assert.equal(suffix.status, 206)
    assert.equal(suffix.headers['content-range'], `bytes ${BIG.length - 100}-${BIG.length - 1}/${BIG.length}`)
    assert.ok(suffix.body.equals(BIG.subarray(BIG.length - 100)))
    const past = await call(port, 'GET', '/big.bin', { host: bHost, range: `bytes=${BIG.length}-` })
    assert.equal(past.status, 416)
    assert.equal(past.headers['content-range'], `bytes */${BIG.length}`)
    // A small (cached) file is cut from memory the same way.
    await call(port, 'GET', '/small.txt', { host: bHost })
    const small = await call(port, 'GET', '/small.txt', { host: bHost, range: 'bytes=2-6' })
    assert.equal(small.status, 206)
    assert.equal(small.text, SMALL.slice(2, 7))
    assert.equal(small.headers['content-range'], `bytes 2-6/${SMALL.length}`)
    // If-Range with another version: the whole file.
    const whole = await call(port, 'GET', '/big.bin', { host: bHost, range: 'bytes=0-9', 'if-range': '"old"' })
    assert.equal(whole.status, 200)
    assert.equal(whole.body.length, BIG.length)
    // Several ranges are not supported: the whole file, as HTTP allows.
    assert.equal((await call(port, 'GET', '/small.txt', { host: bHost, range: 'bytes=0-1,4-5' })).status, 200)
  })

  it('sees a changed file at once on a reload, and after the short freshness of the cache otherwise', async () => {
    assert.equal((await call(port, 'GET', '/small.txt', { host: bHost })).text, SMALL)
    await writeFile(join(b.dir, 'site', 'small.txt'), 'changed\n')
    assert.equal((await call(port, 'GET', '/small.txt', { host: bHost, 'cache-control': 'max-age=0' })).text, 'changed\n')
    await writeFile(join(b.dir, 'site', 'small.txt'), 'changed again\n')
    await new Promise(resolve => setTimeout(resolve, 1100))
    assert.equal((await call(port, 'GET', '/small.txt', { host: bHost })).text, 'changed again\n')
    await writeFile(join(b.dir, 'site', 'small.txt'), SMALL)
    assert.equal((await call(port, 'GET', '/small.txt', { host: bHost, pragma: 'no-cache' })).text, SMALL)
  })

  it('never serves the admin API on a site origin, whatever credentials come along', async () => {
    const token = a.viewer!.token
    const creds = { authorization: `Bearer ${token}`, cookie: `goop_token_${port}=${token}` }
    for (const [method, path] of [['GET', '/api/self'], ['GET', '/api/plugins'], ['GET', '/api/events'], ['POST', '/api/plugins/site/disable'], ['GET', '/api'], ['GET', '/api/x/site/files']]) {
      for (const host of [bHost, `${siteLabel(a.id)}.localhost:${port}`]) {
        const r = await call(port, method, path, { host, ...creds, origin: `http://${host}` })
        assert.equal(r.status, 404, `${method} ${path} at ${host}: ${r.status} ${r.text}`)
        assert.ok(!r.text.includes(a.id), 'no admin data')
        assertSecured(r, port)
      }
    }
    const plugins = await (await a.api('GET', '/api/plugins')).json() as Array<{ name: string, state: string }>
    assert.equal(plugins.find(p => p.name === 'site')?.state, 'running')
  })

  it('hands plugin site routes the owner (set by the kernel, not the browser) and never the credentials', async () => {
    const token = a.viewer!.token
    const r = await call(port, 'GET', '/.well-known/echo', { host: bHost, 'x-goop-site': a.id, cookie: `goop_token_${port}=${token}`, authorization: `Bearer ${token}` })
    assert.equal(r.status, 200, r.text)
    assert.deepEqual(r.json(), { site: b.id, me: a.id, cookie: null, authorization: null })
    assertSecured(r, port)
    // Disabling the plugin takes its site routes away.
    assert.equal((await a.api('POST', '/api/plugins/echo/disable')).status, 200)
    assert.equal((await call(port, 'GET', '/.well-known/echo', { host: bHost })).status, 404)
    assert.equal((await a.api('POST', '/api/plugins/echo/enable')).status, 200)
    assert.equal((await call(port, 'GET', '/.well-known/echo', { host: bHost })).status, 200)
  })

  it('answers /.goop/* only from the same origin', async () => {
    const info = await call(port, 'GET', '/.goop/info', { host: bHost, origin: bOrigin })
    assert.equal(info.status, 200)
    assert.deepEqual(info.json(), { peer: b.id, me: a.id })
    // A browser's same-origin GET has no Origin, and says so in Sec-Fetch-Site.
    assert.equal((await call(port, 'GET', '/.goop/info', { host: bHost, 'sec-fetch-site': 'same-origin' })).status, 200)
    const aOrigin = `http://${siteLabel(a.id)}.localhost:${port}`
    const cases: Array<Record<string, string>> = [{}, { origin: aOrigin }, { origin: `http://127.0.0.1:${port}` }, { origin: 'null' }, { origin: 'http://evil.example' }, { 'sec-fetch-site': 'same-site' }]
    for (const headers of cases) {
      for (const path of ['/.goop/info', '/.goop/events?topics=demo.tick']) {
        const r = await call(port, 'GET', path, { host: bHost, ...headers })
        assert.equal(r.status, 403, `${path} ${JSON.stringify(headers)}`)
        assert.equal(r.json().error.code, 'forbidden_origin')
        assertSecured(r, port)
      }
    }
    assert.equal((await call(port, 'POST', '/.goop/info', { host: bHost })).status, 403)
    // Another page's subresource request (an <img> from elsewhere) does not reach the site either.
    const img = await call(port, 'GET', '/index.html', { host: bHost, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' })
    assert.equal(img.status, 403)
    const nav = await call(port, 'GET', '/index.html', { host: bHost, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' })
    assert.equal(nav.status, 200)
  })

  it("passes other /.goop/* paths to plugins' site routes, only from the same origin", async () => {
    const post = async (path: string, headers: Record<string, string>): Promise<Reply> => {
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        const body = JSON.stringify({ n: 1 })
        const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers: { host: bHost, 'content-type': 'application/json', 'content-length': String(body.length), ...headers }, agent: false }, resolve)
        req.on('error', reject)
        req.end(body)
      })
      const chunks: Buffer[] = []
      for await (const c of res) chunks.push(c as Buffer)
      const text = Buffer.concat(chunks).toString('utf8')
      return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.from(text), text, json: () => JSON.parse(text) }
    }
    const ok = await post('/.goop/echo', { origin: bOrigin })
    assert.equal(ok.status, 200)
    assert.deepEqual(ok.json(), { site: b.id, got: { n: 1 } })
    assertSecured(ok, port)
    const refused: Array<Record<string, string>> = [{}, { origin: 'http://evil.example' }, { origin: `http://${siteLabel(a.id)}.localhost:${port}` }, { 'sec-fetch-site': 'same-origin' }]
    for (const headers of refused) {
      const r = await post('/.goop/echo', headers)
      assert.equal(r.status, 403, JSON.stringify(headers))
      assert.equal(r.json().error.code, 'forbidden_origin')
    }
    const missing = await post('/.goop/nothing-here', { origin: bOrigin })
    assert.equal(missing.status, 404)
    assert.equal(missing.json().error.code, 'not_found')
  })

  it('serves goop.js with a JavaScript content type; it knows the owner and the visitor', async () => {
    const r = await call(port, 'GET', '/.goop/goop.js', { host: bHost })
    assert.equal(r.status, 200)
    assert.match(String(r.headers['content-type']), /^text\/javascript/)
    assertSecured(r, port)
    assert.equal((await call(port, 'GET', '/.goop/goop.js', { host: bHost, 'if-none-match': String(r.headers.etag) })).status, 304)
    assert.equal((await call(port, 'GET', '/.goop/goop.js', { host: bHost, origin: 'http://evil.example' })).status, 403)
    // Run it against a stand-in window: window.goop, and one EventSource for the topics followed.
    const opened: Array<{ url: string, closed: boolean, listeners: Map<string, (e: unknown) => void> }> = []
    class FakeEventSource {
      static CLOSED = 2
      readyState = 0
      entry: { url: string, closed: boolean, listeners: Map<string, (e: unknown) => void> }
      constructor (url: string) { this.entry = { url, closed: false, listeners: new Map() }; opened.push(this.entry) }
      addEventListener (name: string, fn: (e: unknown) => void): void { this.entry.listeners.set(name, fn) }
      close (): void { this.entry.closed = true }
    }
    const window: Record<string, any> = {}
    runInNewContext(r.text, { window, EventSource: FakeEventSource, queueMicrotask, setTimeout })
    const goop = window.goop
    assert.equal(goop.peer, b.id)
    assert.equal(goop.me, a.id)
    assert.equal(goop.version, SDK_VERSION)
    const got: unknown[] = []
    const off1 = goop.events.on('demo.tick', (p: unknown) => { got.push(p) })
    const off2 = goop.events.on('demo.tock', () => {})
    await new Promise(resolve => setTimeout(resolve, 0))
    assert.equal(opened.length, 1, 'one stream for both topics')
    assert.equal(opened[0].url, '/.goop/events?topics=demo.tick%2Cdemo.tock')
    opened[0].listeners.get('goop.ready')!({ data: '{"topics":[]}', lastEventId: '' })
    opened[0].listeners.get('demo.tick')!({ data: '{"n":1}', lastEventId: 'm1' })
    opened[0].listeners.get('demo.tick')!({ data: '{"n":1}', lastEventId: 'm1' }) // the same message again
    assert.deepEqual(JSON.parse(JSON.stringify(got)), [{ n: 1 }]) // (objects of the script's own realm)
    off2()
    await new Promise(resolve => setTimeout(resolve, 0))
    assert.equal(opened.length, 2)
    assert.equal(opened[1].url, '/.goop/events?topics=demo.tick')
    assert.equal(opened[0].closed, false, 'the old stream stays until the new one is ready')
    opened[1].listeners.get('goop.ready')!({ data: '{"topics":["demo.tick"]}', lastEventId: '' })
    assert.equal(opened[0].closed, true)
    off1()
    await new Promise(resolve => setTimeout(resolve, 0))
    assert.equal(opened[1].closed, true, 'no topics: no stream')
    assert.throws(() => goop.events.on('demo.*', () => {}), /not a topic/)
    assert.throws(() => goop.events.on('goop.secret', () => {}), /reserved/)
  })

  it("streams B's shared topics over /.goop/events, refuses the others, and unsubscribes when the browser goes", async () => {
    const s = await sse(port, '/.goop/events?topics=demo.tick%2Csecret.stuff' /* as goop.js encodes it */, { host: bHost, origin: bOrigin })
    assert.equal(s.res.statusCode, 200)
    assert.match(String(s.res.headers['content-type']), /^text\/event-stream/)
    assert.equal(s.res.headers['content-security-policy'], csp(port))
    const ready = await s.waitFor(e => e.event === 'goop.ready')
    assert.deepEqual(JSON.parse(ready.data!), { topics: ['demo.tick'] })
    const refused = s.events.find(e => e.event === 'goop.error')
    assert.ok(refused != null)
    assert.equal(JSON.parse(refused.data!).topic, 'secret.stuff')
    assert.equal(JSON.parse(refused.data!).code, 'forbidden')
    probeB.mq().publish('demo.tick', { n: 42 })
    probeB.mq().publish('secret.stuff', { leaked: true })
    const tick = await s.waitFor(e => e.event === 'demo.tick')
    assert.deepEqual(JSON.parse(tick.data!), { n: 42 })
    assert.ok((tick.id ?? '').length > 0, 'an id for de-duplication')
    assert.equal(s.events.some(e => e.event === 'secret.stuff'), false)
    const remoteSubs = (): number => a.mq.followingAt(b.id)
    assert.equal(remoteSubs(), 1)
    s.close()
    await waitFor(() => remoteSubs() === 0, 5000, 'the remote subscription ended')
    await waitFor(() => b.mq.subscriptionsOf(a.id).length === 0, 5000, 'B forgot the subscriber')
    // HEAD subscribes to nothing (its body is never read).
    assert.equal((await call(port, 'HEAD', '/.goop/events?topics=demo.tick', { host: bHost, origin: bOrigin })).status, 200)
    await new Promise(resolve => setTimeout(resolve, 200))
    assert.equal(remoteSubs(), 0)
    // Bad topic lists.
    for (const q of ['', 'topics=', 'topics=a%20b', 'topics=demo.*', 'topics=goop.ready', `topics=${Array.from({ length: 33 }, (_, i) => `t${i}`).join(',')}`]) {
      const r = await call(port, 'GET', `/.goop/events?${q}`, { host: bHost, origin: bOrigin })
      assert.equal(r.status, 400, q)
    }
  })

  it("follows the owner's own shared topics on the own site, locally", async () => {
    const aHost = `${siteLabel(a.id)}.localhost:${port}`
    const s = await sse(port, '/.goop/events?topics=plugins.changed', { host: aHost, origin: `http://${aHost}` })
    const err = await s.waitFor(e => e.event === 'goop.error')
    assert.equal(JSON.parse(err.data!).code, 'forbidden', 'unshared local topics are refused too')
    s.close()
    // And A's own site is served from A's folder.
    await mkdir(join(a.dir, 'site'), { recursive: true })
    await writeFile(join(a.dir, 'site', 'index.html'), 'own site\n')
    const own = await call(port, 'GET', '/', { host: aHost })
    assert.equal(own.text, 'own site\n')
    assertSecured(own, port)
    await writeFile(join(a.dir, 'site', 'index.html'), 'own site, edited\n')
    assert.equal((await call(port, 'GET', '/', { host: aHost })).text, 'own site, edited\n', 'the own site is never stale')
  })

  it('refuses hosts that are neither the viewer nor a site: 400 for a bad label, 403 for the rest', async () => {
    const label = siteLabel(b.id)
    for (const host of [`kabc.localhost:${port}`, `evil.localhost:${port}`, `${label.slice(0, -4)}.localhost:${port}`, `a.${label}.localhost:${port}`]) {
      const r = await call(port, 'GET', '/', { host })
      assert.equal(r.status, 400, host)
      assert.equal(r.json().error.code, 'bad_site')
    }
    for (const host of [`${label}.localhost:${port + 1}`, `${label}.localhost`, `${label}.example:${port}`, 'evil.example']) {
      assert.equal((await call(port, 'GET', '/', { host })).status, 403, host)
    }
  })
})

describe('site origins of peers that cannot answer', () => {
  let a: TestPeer
  let c: TestPeer | undefined
  let slow: TestPeer
  let port: number

  /** A peer whose site protocol accepts requests and never answers (its site plugin is off). */
  const stall = definePlugin({
    name: 'stall',
    version: '1.0.0',
    sdk: '^1.2.0',
    setup (ctx) {
      ctx.streams.handle('/goop/site/1.0.0', async () => await new Promise(() => {}), { allowLimited: true })
    }
  })

  before(async () => {
    a = await startTestPeer({ config: { plugins: { site: { config: { firstByteMs: 1500 } } } } })
    port = a.viewer!.port
    slow = await startTestPeer({ plugins: [stall], config: { plugins: { site: { enabled: false } } } })
    await connect(a, slow)
  })
  after(async () => { await a?.cleanup(); await c?.cleanup(); await slow?.cleanup() })

  it('gives an offline peer a friendly page that retries, at once', async () => {
    c = await startTestPeer()
    await connect(a, c)
    const id = c.id
    await c.cleanup()
    c = undefined
    const t0 = Date.now()
    const r = await call(port, 'GET', '/', { host: `${siteLabel(id)}.localhost:${port}` })
    assert.ok(Date.now() - t0 < 1500, `answered in ${Date.now() - t0} ms`)
    assert.equal(r.status, 502)
    assert.match(String(r.headers['content-type']), /^text\/html/)
    assert.match(r.text, /offline or unreachable/)
    assert.match(r.text, /<meta http-equiv="refresh" content="\d+">/)
    assert.ok(r.text.includes(id))
    assertSecured(r, port)
    // A peer never seen at all: the same.
    const stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const s = await call(port, 'GET', '/x.png', { host: `${siteLabel(stranger)}.localhost:${port}` })
    assert.equal(s.status, 502)
    assert.match(s.text, /offline or unreachable/)
  })

  it('tells apart a peer that is online but serves no site', async () => {
    const bare = await startTestPeer({ config: { plugins: { site: { enabled: false } } } })
    try {
      await connect(a, bare)
      const r = await call(port, 'GET', '/', { host: `${siteLabel(bare.id)}.localhost:${port}` })
      assert.equal(r.status, 502)
      assert.match(r.text, /does not serve a site/)
    } finally { await bare.cleanup() }
  })

  it('gives a peer that does not answer the "did not answer" page at the deadline', async () => {
    const t0 = Date.now()
    const r = await call(port, 'GET', '/', { host: `${siteLabel(slow.id)}.localhost:${port}` })
    const took = Date.now() - t0
    assert.equal(r.status, 504)
    assert.ok(took >= 1400 && took < 4000, `answered in ${took} ms`)
    assert.match(r.text, /did not answer in time/)
    assert.match(r.text, /<meta http-equiv="refresh"/)
  })
})
