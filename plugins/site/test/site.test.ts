import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, probe, startTestPeer, waitFor, type TestPeer } from '@goop/core/testing'
import { definePlugin, type StreamReply } from '@goop/sdk'
import rendezvous from '@goop/plugin-rendezvous'
import { multiaddr } from '@multiformats/multiaddr'
import site, { CHUNK_BYTES, parseSitePath, SITE_PROTOCOL, type SiteFetchOptions, type SiteReply, type SiteResponse } from '@goop/plugin-site'

/**
 * The site plugin between two real peers: A asks B for files over /goop/site/1.0.0 (raw requests from
 * a probe plugin, and through the `site` service), B's owner edits B's site through its viewer. Every
 * hostile path is sent both ways, and no answer ever carries a byte of what lies outside B's site/.
 * Then: a site over a circuit relay (a limited connection), and the service against a lying peer.
 */

const MARK = `SECRET-${randomBytes(8).toString('hex')}`
const presence = { heartbeatMs: 500, ttlMs: 2000 }

interface Raw { status: number, body: Buffer, headers: Record<string, string | string[] | undefined> }

/** A raw HTTP request (the path is sent exactly as given: no URL normalisation on our side). */
async function raw (port: number, method: string, path: string, opts: { token?: string, body?: Uint8Array | string } = {}): Promise<Raw> {
  return await new Promise((resolve, reject) => {
    const headers: Record<string, string> = {}
    if (opts.token != null) headers.authorization = `Bearer ${opts.token}`
    if (opts.body != null) headers['content-length'] = String(Buffer.byteLength(opts.body))
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

async function collect (body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const c of body) parts.push(c)
  return Buffer.concat(parts)
}

/** Paths refused by the lexical check alone, before any file is looked at. */
const LEXICAL: Array<[string, 400 | 404]> = [
  ['../identity.key', 400],
  ['/../identity.key', 400],
  ['a/../../identity.key', 400],
  ['..%2fidentity.key', 400],
  ['..%2Fidentity.key', 400],
  ['%2e%2e/identity.key', 400],
  ['%2E%2E/identity.key', 400],
  ['%2e%2E%2fidentity.key', 400],
  ['.%2e/identity.key', 400],
  ['a/%2e%2e/%2e%2e/goop.json', 400],
  ['%252e%252e/identity.key', 400],
  ['%252e%252e%252fidentity.key', 400],
  ['%25252e%25252e/identity.key', 400],
  ['..\\identity.key', 400],
  ['..%5cidentity.key', 400],
  ['%5c..%5cidentity.key', 400],
  ['a\\..\\..\\identity.key', 400],
  ['.%2e%5c.%2E/identity.key', 400],
  ['%c0%ae%c0%ae/identity.key', 400], // overlong UTF-8 for '.'
  ['..%c0%afidentity.key', 400],
  ['//etc/passwd', 400],
  ['///etc/passwd', 400],
  ['%2fetc%2fpasswd', 400],
  ['/%2fetc/passwd', 400],
  ['C:\\Windows\\win.ini', 400],
  ['C:/Windows/win.ini', 400],
  ['identity.key%00.html', 400],
  ['index.html\u0000', 400],
  ['index.html%00', 400],
  ['%00', 400],
  ['a//b', 400],
  ['x'.repeat(1100), 400],
  [`${'a/'.repeat(40)}f.html`, 400],
  [`${'n'.repeat(300)}.html`, 400],
  ['.git/config', 404],
  ['.env', 404],
  ['/.env', 404],
  ['sub/.hidden', 404],
  ['.git/', 404],
  ['%2egit/config', 404],
  ['.%67it/config', 404],
  ['....//identity.key', 400]
]

/** Paths that pass the lexical check and are refused by resolution (symlinks out, missing). */
const RESOLVED = ['link-goop.json', 'link-passwd', 'link-key', 'link-dir/identity.key', 'link-dir/goop.json', 'link-state/secret.txt', 'link-dotenv', 'link-out-dir/secret.txt', 'etc/passwd', '/etc/passwd', 'identity.key', 'goop.json', 'state/secret.txt']

describe('site plugin between two peers', () => {
  let a: TestPeer, b: TestPeer
  let outside: string
  let secrets: Buffer[]
  const pa = probe('pa', { requires: ['site'] })
  const pb = probe('pb')
  const big = randomBytes(3 * 1000 * 1000 + 17)
  const changed: unknown[] = []

  const ask = async (body: unknown): Promise<StreamReply<SiteReply>> =>
    await pa.ctx().streams.request<SiteReply>(b.id, SITE_PROTOCOL, body, { timeoutMs: 10_000 })
  const fetchB = async (path: string, opts?: SiteFetchOptions): Promise<SiteResponse> =>
    await pa.ctx().use('site').fetch(b.id, path, opts)
  const noSecret = (bytes: Uint8Array | undefined, what: string): void => {
    if (bytes == null) return
    const buf = Buffer.from(bytes)
    assert.equal(buf.includes(MARK), false, `${what}: the answer holds the secret marker`)
    for (const s of secrets) assert.equal(buf.includes(s), false, `${what}: the answer holds bytes of a secret file`)
  }

  before(async () => {
    b = await startTestPeer({ plugins: [site, pb.plugin], config: { presence, plugins: { site: { config: { maxUploadBytes: 1024 * 1024 } } } } })
    a = await startTestPeer({ plugins: [site, pa.plugin], config: { presence } })
    pb.ctx().mq.subscribe('site.changed', (p) => { changed.push(p) })
    // Secrets around B's site: its own files, a state file, files hidden inside site/, a folder elsewhere.
    outside = await mkdtemp(join(tmpdir(), 'goop-outside-'))
    await writeFile(join(outside, 'secret.txt'), `${MARK} outside`)
    await writeFile(join(b.dir, 'secret.txt'), `${MARK} peer folder`)
    await writeFile(join(b.dir, 'state', 'secret.txt'), `${MARK} state`)
    const s = join(b.dir, 'site')
    await mkdir(join(s, 'sub', 'deeper'), { recursive: true })
    await mkdir(join(s, 'blog'), { recursive: true })
    await mkdir(join(s, '.git'), { recursive: true })
    await writeFile(join(s, '.git', 'config'), `[core] ${MARK}`)
    await writeFile(join(s, '.env'), `TOKEN=${MARK}`)
    await writeFile(join(s, 'sub', '.hidden'), MARK)
    await writeFile(join(s, 'index.html'), '<!doctype html><html><head><title>\n  B&#39;s   &amp; site </title></head><body>hello from B</body></html>')
    await writeFile(join(s, 'sub', 'deeper', 'note.txt'), 'a nested note')
    await writeFile(join(s, 'blog', 'index.html'), '<title>Blog</title><p>the blog</p>')
    await writeFile(join(s, 'style.css'), 'body { color: red }')
    await writeFile(join(s, 'big.bin'), big)
    await writeFile(join(s, 'empty.txt'), '')
    await symlink(join(b.dir, 'goop.json'), join(s, 'link-goop.json'))
    await symlink('../identity.key', join(s, 'link-key'))
    await symlink('/etc/passwd', join(s, 'link-passwd'))
    await symlink('..', join(s, 'link-dir'))
    await symlink('../state', join(s, 'link-state'))
    await symlink('.env', join(s, 'link-dotenv'))
    await symlink(outside, join(s, 'link-out-dir'))
    await symlink('../secret.txt', join(s, 'link-out.txt'))
    await symlink('sub/deeper/note.txt', join(s, 'link-in.txt'))
    secrets = [await readFile(join(b.dir, 'identity.key')), await readFile(join(b.dir, 'goop.json'))]
    const passwd = await readFile('/etc/passwd').catch(() => undefined)
    if (passwd != null && passwd.length > 16) secrets.push(passwd.subarray(0, 64))
    await connect(a, b)
  })
  after(async () => {
    await a?.cleanup()
    await b?.cleanup()
    if (outside != null) await rm(outside, { recursive: true, force: true })
  })

  it("A fetches B's index.html, a nested file, a folder's index.html and a CSS file with their types", async () => {
    const root = await ask({ path: '/' })
    assert.equal(root.body.status, 200)
    assert.equal(root.body.type, 'text/html; charset=utf-8')
    assert.match(Buffer.from(root.bytes!).toString(), /hello from B/)
    assert.equal(root.body.length, root.bytes!.length)
    assert.match(root.body.etag, /^"[\w-]+"$/)
    assert.equal(root.body.title, "B's & site")
    assert.deepEqual(Buffer.from((await ask({ path: '/index.html' })).bytes!), Buffer.from(root.bytes!))
    const note = await ask({ path: '/sub/deeper/note.txt' })
    assert.equal(note.body.status, 200)
    assert.equal(note.body.type, 'text/plain; charset=utf-8')
    assert.equal(Buffer.from(note.bytes!).toString(), 'a nested note')
    for (const p of ['/blog/', '/blog', 'blog/index.html']) {
      const blog = await ask({ path: p })
      assert.equal(blog.body.status, 200, p)
      assert.equal(Buffer.from(blog.bytes!).toString(), '<title>Blog</title><p>the blog</p>')
      assert.equal(blog.body.title, 'Blog')
    }
    const css = await ask({ path: '/style.css?v=2#x' })
    assert.equal(css.body.type, 'text/css; charset=utf-8')
    const empty = await ask({ path: '/empty.txt' })
    assert.equal(empty.body.status, 200)
    assert.equal(empty.body.length, 0)
    const encodedSlash = await ask({ path: '/sub%2Fdeeper/note.txt' })
    assert.equal(encodedSlash.body.status, 400) // an encoded separator is never a folder boundary
    const inside = await ask({ path: '/link-in.txt' })
    assert.equal(Buffer.from(inside.bytes!).toString(), 'a nested note', 'a link that stays inside the site is served')
  })

  it('a missing file gets 404 with a default page, then with the owner\'s 404.html', async () => {
    const r = await ask({ path: '/nope.html' })
    assert.equal(r.body.status, 404)
    assert.equal(r.body.type, 'text/html; charset=utf-8')
    assert.match(Buffer.from(r.bytes!).toString(), /Not found/)
    await writeFile(join(b.dir, 'site', '404.html'), '<h1>custom 404 of B</h1>')
    try {
      const c = await ask({ path: '/nope/deeper.html' })
      assert.equal(c.body.status, 404)
      assert.equal(Buffer.from(c.bytes!).toString(), '<h1>custom 404 of B</h1>')
      const h = await ask({ path: '/nope.html', method: 'HEAD' })
      assert.equal(h.body.status, 404)
      assert.equal(h.bytes, undefined)
    } finally {
      await rm(join(b.dir, 'site', '404.html'))
    }
  })

  it('a matching ETag gets 304 without bytes; a changed file gets a new ETag', async () => {
    const first = await ask({ path: '/style.css' })
    const r = await ask({ path: '/style.css', ifNoneMatch: first.body.etag })
    assert.equal(r.body.status, 304)
    assert.equal(r.body.etag, first.body.etag)
    assert.equal(r.bytes, undefined)
    assert.equal((await ask({ path: '/style.css', ifNoneMatch: `"other", W/${first.body.etag}` })).body.status, 304)
    assert.equal((await ask({ path: '/style.css', ifNoneMatch: '"other"' })).body.status, 200)
    await writeFile(join(b.dir, 'site', 'style.css'), 'body { color: blue }')
    const again = await ask({ path: '/style.css', ifNoneMatch: first.body.etag })
    assert.equal(again.body.status, 200)
    assert.notEqual(again.body.etag, first.body.etag)
    assert.equal(Buffer.from(again.bytes!).toString(), 'body { color: blue }')
  })

  it('byte ranges: 206 with the right bytes, the first 512 KiB of a big file, 416 past the end, HEAD', async () => {
    const r = await ask({ path: '/big.bin', range: { start: 1000, end: 1999 } })
    assert.equal(r.body.status, 206)
    assert.deepEqual([r.body.start, r.body.end, r.body.length], [1000, 1999, big.length])
    assert.deepEqual(Buffer.from(r.bytes!), big.subarray(1000, 2000))
    const open = await ask({ path: '/big.bin', range: { start: big.length - 10 } })
    assert.deepEqual([open.body.status, open.body.start, open.body.end], [206, big.length - 10, big.length - 1])
    assert.deepEqual(Buffer.from(open.bytes!), big.subarray(big.length - 10))
    const wide = await ask({ path: '/big.bin', range: { start: 10, end: 2_000_000 } })
    assert.deepEqual([wide.body.status, wide.body.start, wide.body.end], [206, 10, 10 + CHUNK_BYTES - 1])
    assert.deepEqual(Buffer.from(wide.bytes!), big.subarray(10, 10 + CHUNK_BYTES))
    const whole = await ask({ path: '/big.bin' })
    assert.deepEqual([whole.body.status, whole.body.start, whole.body.end, whole.body.length], [206, 0, CHUNK_BYTES - 1, big.length])
    assert.equal((await ask({ path: '/big.bin', range: { start: big.length } })).body.status, 416)
    assert.equal((await ask({ path: '/big.bin', range: { start: 5, end: 4 } })).body.status, 416)
    assert.equal((await ask({ path: '/empty.txt', range: { start: 0 } })).body.status, 416)
    assert.equal((await ask({ path: '/big.bin', range: { start: -1 } })).body.status, 400)
    assert.equal((await ask({ path: 42 })).body.status, 400)
    const head = await ask({ path: '/big.bin', method: 'HEAD' })
    assert.equal(head.body.length, big.length)
    assert.equal(head.bytes, undefined)
  })

  it('the site service streams a 3 MB file byte for byte, ranges across chunks, and the own site locally', async () => {
    const res = await fetchB('/big.bin')
    assert.equal(res.status, 200)
    assert.equal(res.length, big.length)
    assert.equal(res.type, 'application/octet-stream')
    const got = await collect(res.body)
    assert.equal(got.length, big.length)
    assert.ok(got.equals(big), 'the streamed file equals the original')
    const part = await fetchB('/big.bin', { range: { start: 500_000, end: 1_700_000 } })
    assert.deepEqual([part.status, part.start, part.end], [206, 500_000, 1_700_000])
    assert.ok((await collect(part.body)).equals(big.subarray(500_000, 1_700_001)))
    const nf = await fetchB('/missing')
    assert.equal(nf.status, 404)
    assert.match((await collect(nf.body)).toString(), /Not found/)
    const cond = await fetchB('/big.bin', { ifNoneMatch: res.etag })
    assert.equal(cond.status, 304)
    assert.equal((await collect(cond.body)).length, 0)
    // A's own site, through the same code path (no network).
    await mkdir(join(a.dir, 'site'), { recursive: true })
    await writeFile(join(a.dir, 'site', 'index.html'), '<title>A</title>mine')
    const own = await pa.ctx().use('site').fetch(a.id, '/')
    assert.equal(own.status, 200)
    assert.equal(own.title, 'A')
    assert.equal((await collect(own.body)).toString(), '<title>A</title>mine')
  })

  it('every hostile path is refused lexically, before any file is looked at', () => {
    for (const [p, status] of LEXICAL) {
      assert.throws(() => parseSitePath(p), (err: any) => err.status === status, `${JSON.stringify(p.slice(0, 60))} should be refused with ${status}`)
    }
    assert.deepEqual(parseSitePath('/a%20b/c.html').segments, ['a b', 'c.html'])
  })

  it('every hostile path sent over /goop/site/1.0.0 gets 400 or 404 and never a secret byte', async () => {
    const default404 = Buffer.from((await ask({ path: '/nope' })).bytes!)
    for (const [p, status] of LEXICAL) {
      for (const method of ['GET', 'HEAD'] as const) {
        const r = await ask({ path: p, method })
        assert.equal(r.body.status, status, `${JSON.stringify(p.slice(0, 60))} ${method}`)
        noSecret(r.bytes, p)
      }
    }
    for (const p of RESOLVED) {
      const r = await ask({ path: p })
      assert.equal(r.body.status, 404, p)
      assert.ok(Buffer.from(r.bytes!).equals(default404), `${p}: only the 404 page comes back`)
      noSecret(r.bytes, p)
      const ranged = await ask({ path: p, range: { start: 0, end: 10 } })
      assert.equal(ranged.body.status, 404, `${p} (range)`)
      noSecret(ranged.bytes, p)
    }
    // And through the service (the viewer proxy's way in).
    for (const p of [...LEXICAL.map(([x]) => x), ...RESOLVED]) {
      const r = await fetchB(p)
      assert.ok(r.status === 400 || r.status === 404, p)
      noSecret(await collect(r.body), p)
    }
  })

  it('the owner lists, puts, gets and deletes files at /api/x/site/files, and each change is published', async () => {
    const list = await (await b.api('GET', '/api/x/site/files')).json() as { files: Array<{ path: string, size: number, mtime: number, type: string }>, truncated: boolean }
    const paths = list.files.map(f => f.path)
    assert.ok(paths.includes('index.html') && paths.includes('sub/deeper/note.txt') && paths.includes('blog/index.html') && paths.includes('link-in.txt'))
    assert.ok(!paths.some(p => p.split('/').some(s => s.startsWith('.'))), 'no dotfiles listed')
    for (const p of ['link-goop.json', 'link-passwd', 'link-key', 'link-out.txt', 'link-dotenv']) assert.ok(!paths.includes(p), `${p} is not listed`)
    assert.ok(!paths.some(p => p.startsWith('link-dir/') || p.startsWith('link-out-dir/')), 'links to folders are not followed')
    const bigEntry = list.files.find(f => f.path === 'big.bin')!
    assert.equal(bigEntry.size, big.length)
    assert.equal(bigEntry.type, 'application/octet-stream')
    assert.ok(bigEntry.mtime > Date.now() - 60_000)

    const port = b.viewer!.port
    const token = b.viewer!.token
    const put = await raw(port, 'PUT', '/api/x/site/files/new/folder/page%20one.html', { token, body: '<title>New page</title>fresh' })
    assert.equal(put.status, 201, put.body.toString())
    const made = JSON.parse(put.body.toString())
    assert.equal(made.path, 'new/folder/page one.html')
    assert.equal(made.size, '<title>New page</title>fresh'.length)
    const get = await raw(port, 'GET', '/api/x/site/files/new/folder/page%20one.html', { token })
    assert.equal(get.status, 200)
    assert.equal(get.body.toString(), '<title>New page</title>fresh')
    assert.equal(get.headers['content-type'], 'text/html; charset=utf-8')
    assert.match(String(get.headers['content-security-policy']), /sandbox/)
    assert.equal(get.headers['x-content-type-options'], 'nosniff')
    // The same API at /api/site/files/… (issue 4's address): the viewer also mounts plugins at /api/<name>/.
    const alias = await raw(port, 'GET', '/api/site/files/new/folder/page%20one.html', { token })
    assert.equal(alias.status, 200)
    assert.equal(alias.body.toString(), '<title>New page</title>fresh')
    assert.equal((await raw(port, 'GET', '/api/site/files/new/folder/page%20one.html', {})).status, 401, 'behind the token like the rest')
    // Served to A at once, and with the same ETag as the owner's answer.
    const seen = await ask({ path: '/new/folder/page%20one.html' })
    assert.equal(Buffer.from(seen.bytes!).toString(), '<title>New page</title>fresh')
    assert.equal(seen.body.etag, get.headers.etag)
    // Replace it (200), binary this time; no temp file is left behind.
    const bin = randomBytes(100_000)
    const again = await raw(port, 'PUT', '/api/x/site/files/new/folder/page%20one.html', { token, body: bin })
    assert.equal(again.status, 200)
    assert.ok((await raw(port, 'GET', '/api/x/site/files/new/folder/page%20one.html', { token })).body.equals(bin))
    assert.deepEqual(await readdir(join(b.dir, 'site', 'new', 'folder')), ['page one.html'])
    const del = await raw(port, 'DELETE', '/api/x/site/files/new/folder/page%20one.html', { token })
    assert.equal(del.status, 200)
    assert.equal(existsSync(join(b.dir, 'site', 'new', 'folder', 'page one.html')), false)
    assert.equal((await raw(port, 'GET', '/api/x/site/files/new/folder/page%20one.html', { token })).status, 404)
    assert.equal((await raw(port, 'DELETE', '/api/x/site/files/new/folder/page%20one.html', { token })).status, 404)
    assert.equal((await raw(port, 'DELETE', '/api/x/site/files/new', { token })).status, 409, 'a folder that is not empty stays')
    assert.equal((await raw(port, 'DELETE', '/api/x/site/files/new/folder', { token })).status, 200, 'an empty folder goes')
    await waitFor(() => changed.length >= 4)
    assert.deepEqual(changed.slice(0, 4), [
      { path: 'new/folder/page one.html', op: 'put' },
      { path: 'new/folder/page one.html', op: 'put' },
      { path: 'new/folder/page one.html', op: 'delete' },
      { path: 'new/folder', op: 'delete' }
    ])
    // Errors are { error: { code, message } } with a fitting status.
    const folder = await raw(port, 'GET', '/api/x/site/files/blog', { token })
    assert.equal(folder.status, 404)
    assert.equal(JSON.parse(folder.body.toString()).error.code, 'not_a_file')
    assert.equal((await raw(port, 'PUT', '/api/x/site/files/blog', { token, body: 'x' })).status, 409)
    assert.equal((await raw(port, 'PUT', '/api/x/site/files/style.css/x.txt', { token, body: 'x' })).status, 409)
    const tooBig = await raw(port, 'PUT', '/api/x/site/files/huge.bin', { token, body: randomBytes(1024 * 1024 + 1) })
    assert.equal(tooBig.status, 413)
    assert.equal(JSON.parse(tooBig.body.toString()).error.code, 'too_large')
    assert.equal(existsSync(join(b.dir, 'site', 'huge.bin')), false)
    assert.ok(!(await readdir(join(b.dir, 'site'))).some(n => n.endsWith('.tmp')), 'no temp file is left')
  })

  it('the file API refuses every hostile path, writes nothing outside site/, and wants the token', async () => {
    const port = b.viewer!.port
    const token = b.viewer!.token
    const peerFiles = await readdir(b.dir)
    const key = await readFile(join(b.dir, 'identity.key'))
    const prefix = '/api/x/site/files/'
    for (const [p] of LEXICAL) {
      if ([...p].some(ch => ch.charCodeAt(0) <= 0x20)) continue // Node's HTTP client refuses to send these at all
      // Raw dot segments (`a/../b`, `%2e%2e/`) are resolved by the HTTP layer (WHATWG URL) before any
      // route sees them: `/files//../x` *is* `/files/x`. Such a request stays inside site/ or leaves
      // the file API's routes altogether; either way nothing outside site/ is reached (checked below).
      const normalized = new URL(prefix + p, 'http://127.0.0.1').pathname
      const reshaped = !p.includes('\\') && normalized !== prefix + p
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const r = await raw(port, method, prefix + p, { token, ...(method === 'PUT' ? { body: MARK } : {}) })
        noSecret(r.body, `${method} ${p}`)
        if (reshaped && r.status < 300) {
          assert.ok(normalized.startsWith(prefix), `${method} ${p}: only a path still under /files/ may succeed`)
          if (method === 'PUT') {
            const inside = join(b.dir, 'site', ...normalized.slice(prefix.length).split('/').map(decodeURIComponent))
            assert.equal(await readFile(inside, 'utf8'), MARK, `${p}: written inside site/`)
            await rm(inside)
          }
          continue
        }
        assert.ok(r.status >= 400 && r.status < 500, `${method} ${p.slice(0, 60)} → ${r.status}`)
        assert.equal(JSON.parse(r.body.toString() || '{}').error != null || r.status === 400, true, `${method} ${p}: a JSON error`)
      }
    }
    for (const p of RESOLVED) {
      const r = await raw(port, 'GET', prefix + p, { token })
      assert.equal(r.status, 404, p)
      noSecret(r.body, p)
    }
    // Writes through links that lead out of the site are refused; the link's target never changes.
    for (const p of ['link-dir/identity.key', 'link-dir/pwned.txt', 'link-out-dir/secret.txt', 'link-state/x.txt', '../pwned.txt', '..%2fpwned.txt']) {
      const r = await raw(port, 'PUT', prefix + p, { token, body: 'pwned' })
      assert.ok(r.status >= 400 && r.status < 500, `PUT ${p} → ${r.status}`)
      const d = await raw(port, 'DELETE', prefix + p, { token })
      assert.ok(d.status >= 400 && d.status < 500, `DELETE ${p} → ${d.status}`)
    }
    assert.deepEqual(await readdir(b.dir), peerFiles)
    assert.ok((await readFile(join(b.dir, 'identity.key'))).equals(key))
    assert.equal(await readFile(join(outside, 'secret.txt'), 'utf8'), `${MARK} outside`)
    assert.deepEqual(await readdir(outside), ['secret.txt'])
    // Replacing a link that points out of the site replaces the link itself, never its target.
    const over = await raw(port, 'PUT', prefix + 'link-out.txt', { token, body: 'now a plain file' })
    assert.equal(over.status, 200)
    assert.equal(await readFile(join(b.dir, 'secret.txt'), 'utf8'), `${MARK} peer folder`)
    assert.equal((await raw(port, 'GET', prefix + 'link-out.txt', { token })).body.toString(), 'now a plain file')
    // No token: 401 for every method.
    for (const method of ['GET', 'PUT', 'DELETE']) {
      assert.equal((await raw(port, method, prefix + 'index.html', method === 'PUT' ? { body: 'x' } : {})).status, 401, method)
    }
    assert.equal((await raw(port, 'GET', '/api/x/site/files')).status, 401)
    assert.match(await readFile(join(b.dir, 'site', 'index.html'), 'utf8'), /hello from B/)
  })

  it("B's site title reaches A's presence table and follows changes to index.html", async () => {
    await waitFor(() => a.presence.get(b.id)?.fields.siteTitle === "B's & site", 8000, "B's siteTitle at A")
    await writeFile(join(b.dir, 'site', 'index.html'), `<title>${'T'.repeat(150)}</title>`)
    await waitFor(() => a.presence.get(b.id)?.fields.siteTitle === 'T'.repeat(100), 8000, 'the new, capped title at A')
  })
})

describe('site plugin over a relayed (limited) connection', () => {
  let relay: TestPeer, c: TestPeer, d: TestPeer
  const pd = probe('pd', { requires: ['site'] })
  const network = { dcutr: false, autonat: false }
  after(async () => { await d?.cleanup(); await c?.cleanup(); await relay?.cleanup() })

  it("D fetches C's site through a circuit relay: pages, a 1.5 MB file, and the same refusals", async () => {
    relay = await startTestPeer({ plugins: [rendezvous], config: { plugins: { rendezvous: { config: { httpPort: 0, host: '127.0.0.1', relayPort: 0, relayHost: '127.0.0.1' } } } } })
    const info = await (await relay.api('GET', '/api/x/rendezvous/')).json() as { relay: string[] }
    const relayAddr = info.relay.find(x => x.startsWith('/ip4/127.0.0.1/'))!
    // C is reachable only through the relay: it announces nothing but its circuit address.
    c = await startTestPeer({ plugins: [site], config: { network: { ...network, reachability: 'relayed' } } })
    d = await startTestPeer({ plugins: [site, pd.plugin], config: { network } })
    const file = randomBytes(1536 * 1024)
    await mkdir(join(c.dir, 'site'), { recursive: true })
    await writeFile(join(c.dir, 'site', 'index.html'), '<title>C over a relay</title>relayed')
    await writeFile(join(c.dir, 'site', 'song.mp3'), file)
    await writeFile(join(c.dir, 'secret.txt'), MARK)
    await c.node.dial(multiaddr(relayAddr))
    await waitFor(() => c.node.getMultiaddrs().some(m => m.toString().includes('/p2p-circuit')), 10_000, 'a relay reservation')
    const circuit = c.node.getMultiaddrs().find(m => m.toString().includes('/p2p-circuit'))!
    await d.node.dial(circuit)
    const conns = d.node.getConnections(c.node.peerId)
    assert.ok(conns.length > 0 && conns.every(x => x.limits != null), 'D reaches C over a limited, relayed connection only')

    const svc = pd.ctx().use('site')
    const page = await svc.fetch(c.id, '/')
    assert.equal(page.status, 200)
    assert.equal(page.title, 'C over a relay')
    assert.equal((await collect(page.body)).toString(), '<title>C over a relay</title>relayed')
    const song = await svc.fetch(c.id, '/song.mp3')
    assert.equal(song.type, 'audio/mpeg')
    assert.ok((await collect(song.body)).equals(file))
    const seek = await svc.fetch(c.id, '/song.mp3', { range: { start: 1_000_000, end: 1_000_099 } })
    assert.ok((await collect(seek.body)).equals(file.subarray(1_000_000, 1_000_100)))
    for (const p of ['../secret.txt', '%2e%2e/secret.txt', '%252e%252e/secret.txt', '..%5csecret.txt']) {
      const r = await svc.fetch(c.id, p)
      assert.equal(r.status, 400, p)
      assert.equal((await collect(r.body)).includes(MARK), false)
    }
    assert.ok(d.node.getConnections(c.node.peerId).every(x => x.limits != null), 'still relayed only')
  })
})

describe('the site service against a lying peer', () => {
  let h: TestPeer, v: TestPeer
  const pv = probe('pv', { requires: ['site'] })
  // H runs no site plugin: a probe answers /goop/site/1.0.0 with whatever the test says.
  let answer: (body: any) => StreamReply<unknown> = () => ({ body: null })
  const liar = definePlugin({
    name: 'liar',
    version: '1.0.0',
    sdk: '^1.1.0',
    setup (ctx) { ctx.streams.handle(SITE_PROTOCOL, req => answer(req.body), { maxFrameBytes: 2 * 1024 * 1024 }) }
  })
  before(async () => {
    h = await startTestPeer({ plugins: [liar], config: { plugins: { site: { enabled: false } } } })
    v = await startTestPeer({ plugins: [site, pv.plugin] })
    await connect(v, h)
  })
  after(async () => { await v?.cleanup(); await h?.cleanup() })

  const fetchH = async (opts?: SiteFetchOptions): Promise<Buffer> => await collect((await pv.ctx().use('site').fetch(h.id, '/f', opts)).body)
  const fails = async (code: string, what: string): Promise<void> => {
    await assert.rejects(fetchH(), (err: any) => err.code === code, what)
  }
  const ok = (extra: Record<string, unknown>, bytes?: Uint8Array): StreamReply<unknown> =>
    ({ body: { status: 200, type: 'text/plain', length: bytes?.length ?? 0, etag: '"e"', ...extra }, bytes })

  it('malformed, header-injecting, oversize, inconsistent and shifting replies are refused, never passed on', async () => {
    answer = () => ({ body: { status: 200, type: 'text/html\r\nSet-Cookie: x=1', length: 1, etag: '"e"' }, bytes: new Uint8Array(1) })
    await fails('bad_reply', 'CR/LF in the content type')
    answer = () => ({ body: { status: 302, type: 'text/plain', length: 0, etag: '' } })
    await fails('bad_reply', 'a status the protocol does not have')
    answer = () => ok({ length: 5 }, new Uint8Array(3))
    await fails('bad_reply', 'a body shorter than its length')
    answer = () => ok({ length: CHUNK_BYTES + 1 }, new Uint8Array(CHUNK_BYTES + 1))
    await fails('bad_reply', 'more than one chunk in one reply')
    // A big file whose chunks do not line up, or whose ETag changes half-way.
    const size = 3 * CHUNK_BYTES
    const chunk = (start: number, end: number, etag = '"e"'): StreamReply<unknown> =>
      ({ body: { status: 206, type: 'application/octet-stream', length: size, etag, start, end }, bytes: new Uint8Array(end - start + 1) })
    answer = (b) => b.range == null ? chunk(0, CHUNK_BYTES - 1) : chunk(b.range.start + 1, Math.min(b.range.start + CHUNK_BYTES, size - 1))
    await fails('bad_reply', 'a chunk that does not continue the file')
    answer = (b) => b.range == null ? chunk(0, CHUNK_BYTES - 1) : chunk(b.range.start, b.range.end, '"other"')
    await fails('changed', 'a chunk of another version of the file')
    answer = () => chunk(0, CHUNK_BYTES - 1 + 7)
    await fails('bad_reply', 'a first chunk whose range and bytes disagree')
    // A peer with smaller chunks is followed correctly (the next ranges are asked for again).
    const data = randomBytes(size)
    answer = (b) => {
      const start = b.range?.start ?? 0
      const end = Math.min(start + 100_000 - 1, b.range?.end ?? size - 1, size - 1)
      return { body: { status: 206, type: 'application/octet-stream', length: size, etag: '"e"', start, end }, bytes: data.subarray(start, end + 1) }
    }
    assert.ok((await fetchH()).equals(data))
    assert.ok((await fetchH({ range: { start: 7, end: 500_006 } })).equals(data.subarray(7, 500_007)))
  })
})
