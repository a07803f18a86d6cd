import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { siteLabel } from '@goop/core'
import { connect, probe, startTestPeer, waitFor, type TestPeer } from '@goop/core/testing'
import { DATA_LIMITS, type DataChanged, type DataSchemaInput } from '@goop/sdk'
import type { ApplyReport, BackupEntry, DataService, TableInfo } from '@goop/plugin-data'

/**
 * The data plugin's HTTP faces on real peers: the owner's admin API (`/api/x/data/…`, and
 * `/api/data/…`), `POST /.goop/data` on site origins (the own site as the owner, another peer's site
 * forwarded as the visitor), `data.changed` on the MQ, and switching the plugin off and on live.
 */

const SCHEMA: DataSchemaInput = {
  tables: {
    notes: {
      columns: { text: { type: 'text', required: true, maxLength: 100 }, done: { type: 'boolean', default: false } },
      policy: { read: 'open', insert: 'open', update: 'author', delete: 'author' }
    },
    secrets: { columns: { text: { type: 'text' } } }
  }
}

interface Reply { status: number, headers: Record<string, string | string[] | undefined>, json: any }

/** An HTTP request to 127.0.0.1 with the Host a browser would send for `host` (Node does not resolve *.localhost). */
async function http (port: number, method: string, path: string, opts: { host?: string, headers?: Record<string, string>, body?: string | Buffer } = {}): Promise<Reply> {
  return await new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: opts.host ?? `127.0.0.1:${port}`, ...opts.headers }
    if (opts.body != null) headers['content-length'] = String(Buffer.byteLength(opts.body))
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json: unknown
        try { json = JSON.parse(text) } catch { json = text }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

describe('data plugin over HTTP', () => {
  let O: TestPeer
  let V: TestPeer
  const vProbe = probe('probe', { requires: ['data'] })

  before(async () => {
    ;[O, V] = await Promise.all([
      // A small burst, so the site route's 429 can be reached with a few requests.
      startTestPeer({ config: { name: 'owner', plugins: { data: { config: { rateLimit: { perSecond: 2, burst: 40 } } } } } }),
      startTestPeer({ plugins: [vProbe.plugin], config: { name: 'visitor' } })
    ])
    await connect(V, O)
  })
  after(async () => { await Promise.all([O?.cleanup(), V?.cleanup()]) })

  const admin = async (method: string, path: string, body?: unknown, raw?: string): Promise<Reply> =>
    await http(O.viewer!.port, method, `/api/x/data${path}`, {
      headers: { authorization: `Bearer ${O.viewer!.token}`, 'content-type': 'application/json' },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body))
    })

  /** `POST /.goop/data` on `owner`'s site origin, served by `viewer`'s peer, from that very origin. */
  const site = async (viewer: TestPeer, owner: TestPeer, body: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> => {
    const host = `${siteLabel(owner.id)}.localhost:${viewer.viewer!.port}`
    return await http(viewer.viewer!.port, 'POST', '/.goop/data', { host, body, headers: { origin: `http://${host}`, 'content-type': 'application/json', ...headers } })
  }

  it('admin API: schema, tables, op as the owner; errors are JSON with the code\'s status; bodies are bounded', async () => {
    assert.equal((await http(O.viewer!.port, 'GET', '/api/x/data/tables')).status, 401, 'the token is required')
    const applied = await admin('POST', '/schema', SCHEMA)
    assert.equal(applied.status, 200, JSON.stringify(applied.json))
    assert.deepEqual((applied.json as ApplyReport).tables.map(t => [t.name, t.action]), [['notes', 'created'], ['secrets', 'created']])
    const tables = await admin('GET', '/tables')
    assert.equal(tables.status, 200)
    const notes = (tables.json.tables as TableInfo[]).find(t => t.name === 'notes')!
    assert.deepEqual(notes.columns.map(c => c.name), ['text', 'done'])
    assert.equal(notes.source, 'owner')
    // The same router at /api/data/ (the viewer's Database page uses either).
    const alias = await http(O.viewer!.port, 'GET', '/api/data/tables', { headers: { authorization: `Bearer ${O.viewer!.token}` } })
    assert.deepEqual(alias.json, tables.json)

    const inserted = await admin('POST', '/op', { op: 'insert', table: 'secrets', values: { text: 'owner only' } })
    assert.equal(inserted.status, 200)
    assert.equal(inserted.json.row._author, O.id)
    assert.equal((await admin('POST', '/op', { op: 'query', table: 'secrets' })).json.rows.length, 1)

    const cases: Array<[string, Reply, number, string]> = [
      ['unknown table', await admin('POST', '/op', { op: 'query', table: 'nope' }), 404, 'unknown_table'],
      ['bad value', await admin('POST', '/op', { op: 'insert', table: 'notes', values: { text: 5 } }), 400, 'bad_value'],
      ['not an op', await admin('POST', '/op', { op: 'drop', table: 'notes' }), 400, 'bad_request'],
      ['not JSON', await admin('POST', '/op', undefined, '{ "op": '), 400, 'bad_request'],
      ['empty', await admin('POST', '/op', undefined, ''), 400, 'bad_request'],
      ['oversize op', await admin('POST', '/op', { op: 'insert', table: 'notes', values: { text: 'x'.repeat(DATA_LIMITS.requestBytes) } }), 413, 'too_large'],
      ['bad schema', await admin('POST', '/schema', { tables: { 'Bad Name': { columns: {} } } }), 400, 'bad_request'],
      ['no route', await admin('GET', '/nothing'), 404, 'not_found']
    ]
    for (const [what, r, status, code] of cases) {
      assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`)
      assert.equal(r.json.error.code, code, what)
      assert.equal(typeof r.json.error.message, 'string')
    }
    assert.match(cases[3][1].json.error.message, /not JSON/)
  })

  it('admin API: a destructive change is 409 until forced (with a backup); drop answers the backup; restore takes a backup\'s name only', async () => {
    await admin('POST', '/op', { op: 'insert', table: 'notes', values: { text: 'keep me', done: true } })
    const narrowed: DataSchemaInput = { tables: { notes: { ...SCHEMA.tables.notes, columns: { text: SCHEMA.tables.notes.columns.text } } } }
    const refused = await admin('POST', '/schema', narrowed)
    assert.equal(refused.status, 409)
    assert.equal(refused.json.error.code, 'destructive')
    assert.match(refused.json.error.message, /done/)
    const forced = await admin('POST', '/schema?force=1', narrowed)
    assert.equal(forced.status, 200, JSON.stringify(forced.json))
    assert.equal(typeof forced.json.backup, 'string')

    const dropped = await admin('DELETE', '/tables/secrets')
    assert.equal(dropped.status, 200, JSON.stringify(dropped.json))
    const backup = dropped.json.backup as string
    assert.doesNotMatch(backup, /\//, 'a file name, not a path')
    assert.ok((await readdir(join(O.dir, 'backups'))).includes(backup))
    assert.deepEqual(((await admin('GET', '/tables')).json.tables as TableInfo[]).map(t => t.name), ['notes'])
    assert.equal((await admin('DELETE', '/tables/secrets')).status, 404)
    const listed = (await admin('GET', '/backups')).json.backups as BackupEntry[]
    assert.equal(listed[0].file, backup, 'newest first')

    for (const file of ['../goop.json', '/etc/passwd', `backups/${backup}`, '..', '.', '', 'identity.key', `${backup}/..`, 5, null]) {
      const r = await admin('POST', '/restore', { file })
      assert.ok(r.status === 400 || r.status === 404, `restore ${JSON.stringify(file)}: ${r.status} ${JSON.stringify(r.json)}`)
    }
    const restored = await admin('POST', '/restore', { file: backup })
    assert.equal(restored.status, 200, JSON.stringify(restored.json))
    assert.deepEqual(restored.json, { tables: ['secrets'], rows: 1 })
    assert.equal((await admin('POST', '/op', { op: 'query', table: 'secrets' })).json.rows[0].text, 'owner only')
  })

  it("POST /.goop/data: on the owner's own site as the owner; on another peer's site forwarded as the visitor; data.changed reaches a follower", async () => {
    const changes: DataChanged[] = []
    const off = await vProbe.ctx().mq.subscribeRemote(O.id, 'data.changed', (c) => { changes.push(c) })
    try {
      const own = await site(O, O, JSON.stringify({ op: 'describe' }))
      assert.equal(own.status, 200, JSON.stringify(own.json))
      assert.equal(own.json.role, 'owner')
      assert.equal(own.headers['cache-control'], 'no-store')

      const visiting = await site(V, O, JSON.stringify({ op: 'describe' }))
      assert.equal(visiting.status, 200, JSON.stringify(visiting.json))
      assert.equal(visiting.json.role, 'visitor')
      assert.deepEqual(visiting.json.tables.map((t: { name: string }) => t.name), ['notes'], 'secrets (all owner) is not there for visitors')

      const inserted = await site(V, O, JSON.stringify({ op: 'insert', table: 'notes', values: { text: 'from the page' } }))
      assert.equal(inserted.status, 200, JSON.stringify(inserted.json))
      assert.equal(inserted.json.row._author, V.id, 'the visitor, as its connection says')
      await waitFor(() => changes.some(c => c._id === inserted.json.row._id), 5000, 'data.changed at the follower')
      assert.deepEqual(changes.find(c => c._id === inserted.json.row._id), { table: 'notes', op: 'insert', _id: inserted.json.row._id })

      // The page cannot pose as another peer: a body naming the owner is not a valid request.
      const spoof = await site(V, O, JSON.stringify({ op: 'insert', table: 'notes', values: { text: 'x' }, caller: O.id }))
      assert.equal(spoof.status, 400)
      assert.equal(spoof.json.error.code, 'bad_request')

      const refusals: Array<[string, Reply, number, string]> = [
        ['forbidden', await site(V, O, JSON.stringify({ op: 'query', table: 'secrets' })), 403, 'forbidden'],
        ['not someone else\'s row', await site(V, O, JSON.stringify({ op: 'delete', table: 'notes', id: 1 })), 403, 'forbidden'],
        ['unknown table', await site(V, O, JSON.stringify({ op: 'query', table: 'nope' })), 404, 'unknown_table'],
        ['not JSON', await site(V, O, '{"op":'), 400, 'bad_request'],
        ['oversize', await site(V, O, JSON.stringify({ op: 'insert', table: 'notes', values: { text: 'y'.repeat(DATA_LIMITS.requestBytes) } })), 413, 'too_large']
      ]
      for (const [what, r, status, code] of refusals) {
        assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`)
        assert.equal(r.json.error.code, code, what)
      }
      assert.match(refusals[3][1].json.error.message, /not JSON/)

      // The kernel's same-origin rule holds for this route too.
      const host = `${siteLabel(O.id)}.localhost:${V.viewer!.port}`
      const body = JSON.stringify({ op: 'describe' })
      assert.equal((await http(V.viewer!.port, 'POST', '/.goop/data', { host, body })).status, 403, 'no Origin')
      assert.equal((await http(V.viewer!.port, 'POST', '/.goop/data', { host, body, headers: { origin: 'http://evil.example' } })).status, 403, 'another origin')
      assert.equal((await http(V.viewer!.port, 'GET', '/.goop/data', { host, headers: { origin: `http://${host}` } })).status, 404, 'POST only')
    } finally { off() }
  })

  it('POST /.goop/data: rate_limited is 429 with Retry-After; an owner that cannot be reached is 502', async () => {
    const replies = await Promise.all(Array.from({ length: 50 }, async () => await site(V, O, JSON.stringify({ op: 'count', table: 'notes' }))))
    const limited = replies.filter(r => r.status === 429)
    assert.ok(limited.length > 0, `some were limited: ${replies.map(r => r.status).join(' ')}`)
    for (const r of limited) {
      assert.equal(r.json.error.code, 'rate_limited')
      assert.ok(Number(r.headers['retry-after']) >= 1, String(r.headers['retry-after']))
    }
    assert.ok(replies.every(r => r.status === 200 || r.status === 429))
    // The owner's own page is never limited.
    for (let i = 0; i < 5; i++) assert.equal((await site(O, O, JSON.stringify({ op: 'count', table: 'notes' }))).status, 200)

    const gone = await startTestPeer({ viewer: false })
    const goneId = gone.id
    await gone.cleanup()
    const unreachable = await site(V, { id: goneId } as TestPeer, JSON.stringify({ op: 'describe' }))
    assert.equal(unreachable.status, 502, JSON.stringify(unreachable.json))
    assert.equal(unreachable.json.error.code, 'unreachable')
  })

  it('switched off and on live: the protocol and routes go away and come back, with the data', async () => {
    const data = (): DataService => vProbe.ctx().use('data')
    // (V used up its rate above; a new plugin instance starts with a full bucket.)
    const count = (await admin('POST', '/op', { op: 'count', table: 'notes' })).json.count as number
    // The built-in templates plugin requires data: it goes first (the kernel refuses otherwise).
    assert.equal((await O.api('POST', '/api/plugins/templates/disable')).status, 200)
    assert.equal((await O.api('POST', '/api/plugins/data/disable')).status, 200)
    await assert.rejects(data().remote(O.id, { op: 'count', table: 'notes' }), (err: Error & { code?: string }) => err.code != null)
    assert.equal((await admin('GET', '/tables')).status, 404)
    assert.equal((await O.api('POST', '/api/plugins/data/enable')).status, 200)
    assert.equal((await O.api('POST', '/api/plugins/templates/enable')).status, 200)
    assert.equal((await data().remote(O.id, { op: 'count', table: 'notes' })).count, count)
    // And the owner's own API works again (a new store on the same file).
    assert.equal((await admin('POST', '/op', { op: 'count', table: 'notes' })).json.count, count)
  })
})
