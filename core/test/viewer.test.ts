import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connect, probe, startTestPeer, type TestPeer } from '@goop/core/testing'
import { readSse, type SseEvent } from './helpers/sse.js'

/** The viewer's HTTP server of a real test peer, spoken to with node:http (which lets us set Host). */


interface Reply { status: number, headers: IncomingHttpHeaders, text: string, json: () => any }

function open (port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers }, timeout: 10_000 }, resolve)
    req.on('error', reject)
    req.on('timeout', () => { req.destroy(new Error(`${method} ${path} timed out`)) })
    req.end(body)
  })
}

async function call (port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  const res = await open(port, method, path, headers, body)
  let text = ''
  res.setEncoding('utf8')
  for await (const chunk of res) text += chunk
  return { status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) }
}

/** The error shape every refusal has: { error: { code, message } }. */
function assertError (r: Reply, status: number, code: string): void {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`)
  assert.match(String(r.headers['content-type']), /application\/json/)
  const body = r.json()
  assert.deepEqual(Object.keys(body), ['error'])
  assert.deepEqual(Object.keys(body.error).toSorted(), ['code', 'message'])
  assert.equal(body.error.code, code)
  assert.equal(typeof body.error.message, 'string')
  assert.ok(body.error.message.length > 0)
}


/** An SSE client on GET /api/events: parses `event:`, `data:` and `id:` lines into events. */
async function sse (port: number, headers: Record<string, string>) {
  const res = await open(port, 'GET', '/api/events', headers)
  assert.equal(res.statusCode, 200)
  assert.match(String(res.headers['content-type']), /text\/event-stream/)
  let wake: (() => void) | undefined
  const events = readSse(res, () => { wake?.() })
  return {
    events,
    /** Wait until `count` events (not counting `ready`) have come, then return them. */
    async take (count: number, ms = 5000): Promise<SseEvent[]> {
      const end = Date.now() + ms
      const got = (): SseEvent[] => events.filter(e => e.event !== 'ready')
      while (got().length < count) {
        if (Date.now() > end) throw new Error(`expected ${count} events, got ${JSON.stringify(events)}`)
        await new Promise<void>(resolve => { wake = resolve; setTimeout(resolve, 100) })
      }
      return got()
    },
    close: () => { res.destroy() }
  }
}

describe('viewer HTTP server', () => {
  let peer: TestPeer
  const tick = probe()
  let port: number
  let token: string
  const bearer = (): Record<string, string> => ({ authorization: `Bearer ${token}` })

  before(async () => {
    peer = await startTestPeer({ plugins: [tick.plugin] })
    port = peer.viewer!.port
    token = peer.viewer!.token
  })
  after(async () => { await peer?.cleanup() })

  it('answers the admin API only with the token (401 otherwise)', async () => {
    const routes: Array<[string, string]> = [['GET', '/api/self'], ['GET', '/api/peers'], ['GET', '/api/plugins'], ['GET', '/api/events'], ['POST', '/api/plugins/x/enable'], ['POST', '/api/plugins/probe/disable']]
    for (const [method, path] of routes) {
      assertError(await call(port, method, path), 401, 'unauthorized')
      assertError(await call(port, method, path, { authorization: `Bearer ${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}` }), 401, 'unauthorized')
      assertError(await call(port, method, path, { cookie: `goop_token_${port}=wrong` }), 401, 'unauthorized')
    }
    // The refused disable did nothing.
    assert.equal((await call(port, 'GET', '/api/plugins', bearer())).json().find((p: { name: string }) => p.name === 'probe')?.state, 'running')
    const self = await call(port, 'GET', '/api/self', bearer())
    assert.equal(self.status, 200)
    assert.equal(self.json().peerId, peer.id)
  })

  it('refuses a foreign Origin with 403, even with the token', async () => {
    for (const origin of ['http://evil.example', `http://evil.example:${port}`, `https://127.0.0.1:${port}`, 'null']) {
      assertError(await call(port, 'GET', '/api/self', { ...bearer(), origin }), 403, 'forbidden_origin')
      assertError(await call(port, 'POST', '/api/plugins/probe/disable', { ...bearer(), origin }), 403, 'forbidden_origin')
    }
    assertError(await call(port, 'GET', '/api/self', { ...bearer(), 'sec-fetch-site': 'cross-site' }), 403, 'forbidden_origin')
    assert.equal((await call(port, 'GET', '/api/plugins', bearer())).json().find((p: { name: string }) => p.name === 'probe')?.state, 'running')
    // Its own origin is fine.
    assert.equal((await call(port, 'GET', '/api/self', { ...bearer(), origin: `http://127.0.0.1:${port}` })).status, 200)
    assert.equal((await call(port, 'GET', '/api/self', { ...bearer(), origin: `http://localhost:${port}` })).status, 200)
  })

  it('refuses a foreign Host header with 403 (DNS rebinding), even with the token', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`]) {
      assertError(await call(port, 'GET', '/api/self', { ...bearer(), host }), 403, 'forbidden_host')
      assertError(await call(port, 'GET', `/?token=${token}`, { host }), 403, 'forbidden_host')
    }
    assert.equal((await call(port, 'GET', '/api/self', { ...bearer(), host: `localhost:${port}` })).status, 200)
  })

  it('turns /?token= into an HttpOnly SameSite=Strict cookie that authorizes the API', async () => {
    const r = await call(port, 'GET', `/?token=${encodeURIComponent(token)}`)
    assert.ok(r.status === 302 || r.status === 303, `expected a redirect, got ${r.status}`)
    assert.equal(r.headers.location, '/')
    const cookies = r.headers['set-cookie'] ?? []
    assert.equal(cookies.length, 1)
    const parts = cookies[0].split(';').map(s => s.trim())
    assert.equal(parts[0], `goop_token_${port}=${token}`)
    assert.ok(parts.some(p => /^httponly$/i.test(p)), cookies[0])
    assert.ok(parts.some(p => /^samesite=strict$/i.test(p)), cookies[0])
    assert.ok(parts.includes('Path=/'), cookies[0])

    const self = await call(port, 'GET', '/api/self', { cookie: parts[0] })
    assert.equal(self.status, 200)
    assert.equal(self.json().peerId, peer.id)

    const wrong = await call(port, 'GET', '/?token=not-the-token')
    assert.equal(wrong.status, 401)
    assert.equal(wrong.headers['set-cookie'], undefined)
  })

  it('streams events over SSE with increasing ids, and replays exactly what came after Last-Event-ID', async () => {
    const first = await sse(port, bearer())
    try {
      await new Promise(resolve => setTimeout(resolve, 100)) // let it subscribe
      for (let n = 1; n <= 3; n++) tick.mq().publish('test.tick', { n })
      const got = await first.take(3)
      assert.deepEqual(got.map(e => e.event), ['test.tick', 'test.tick', 'test.tick'])
      assert.deepEqual(got.map(e => JSON.parse(e.data!)), [{ n: 1 }, { n: 2 }, { n: 3 }])
      const ids = got.map(e => Number(e.id))
      assert.ok(ids.every(Number.isInteger), JSON.stringify(ids))
      assert.deepEqual(ids, [ids[0], ids[0] + 1, ids[0] + 2])

      // A client that saw the first one reconnects: it gets the 2nd and 3rd, once, then live ones.
      const second = await sse(port, { ...bearer(), 'last-event-id': String(ids[0]) })
      try {
        const replayed = await second.take(2)
        tick.mq().publish('test.tick', { n: 4 })
        const all = await second.take(3)
        assert.deepEqual(all.map(e => [Number(e.id), e.event, JSON.parse(e.data!)]), [
          [ids[1], 'test.tick', { n: 2 }],
          [ids[2], 'test.tick', { n: 3 }],
          [ids[2] + 1, 'test.tick', { n: 4 }]
        ])
        assert.deepEqual(replayed.slice(0, 2), all.slice(0, 2))
        await new Promise(resolve => setTimeout(resolve, 200))
        assert.equal(second.events.filter(e => e.event !== 'ready').length, 3, 'nothing may be replayed twice')
      } finally { second.close() }
      const live = await first.take(4)
      assert.deepEqual(JSON.parse(live[3].data!), { n: 4 })
    } finally { first.close() }
  })

  it('tells a client that resumes from an event no longer buffered that it missed some', async () => {
    const smallProbe = probe()
    const small = await startTestPeer({ plugins: [smallProbe.plugin], config: { mq: { eventBuffer: 16 } } })
    try {
      // Publish through a live client, to learn the ids, then resume from the first one.
      const live = await sse(small.viewer!.port, { authorization: `Bearer ${small.viewer!.token}` })
      let ids: number[]
      try {
        await new Promise(resolve => setTimeout(resolve, 100))
        for (let n = 1; n <= 40; n++) smallProbe.mq().publish('test.many', { n })
        ids = (await live.take(40)).map(e => Number(e.id))
      } finally { live.close() }
      const resumed = await sse(small.viewer!.port, { authorization: `Bearer ${small.viewer!.token}`, 'last-event-id': String(ids[0]) })
      try {
        const got = await resumed.take(17)
        assert.equal(got[0].event, 'events.gap')
        assert.deepEqual(JSON.parse(got[0].data!), { requested: ids[0], oldest: ids[24] })
        assert.deepEqual(got.slice(1).map(e => JSON.parse(e.data!).n), Array.from({ length: 16 }, (_, i) => 25 + i))
      } finally { resumed.close() }
    } finally { await small.cleanup() }
  })

  it('lists a connected peer as online from a direct connection', async () => {
    const other = await startTestPeer({ viewer: false })
    const otherId = other.id
    try {
      await connect(peer, other)
      let entry: any
      const end = Date.now() + 5000
      while (entry?.online !== true) {
        if (Date.now() > end) throw new Error(`peer ${other.id} not listed online`)
        const r = await call(port, 'GET', '/api/peers', bearer())
        assert.equal(r.status, 200)
        entry = r.json().find((p: { peerId: string }) => p.peerId === other.id)
        if (entry?.online !== true) await new Promise(resolve => setTimeout(resolve, 50))
      }
      assert.equal(entry.online, true)
      assert.deepEqual(entry.sources, ['direct'])
      assert.ok(entry.addrs.some((a: string) => a.startsWith('/ip4/127.0.0.1/tcp/')), JSON.stringify(entry.addrs))
    } finally {
      await other.cleanup()
    }
    // When it goes away it is still listed for a while, as offline.
    const end = Date.now() + 5000
    for (;;) {
      const entry = (await call(port, 'GET', '/api/peers', bearer())).json().find((p: { peerId: string }) => p.peerId === otherId)
      assert.ok(entry != null, 'a peer that just left must stay listed')
      if (entry.online === false) break
      if (Date.now() > end) throw new Error('the stopped peer was not listed offline')
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  })
})

describe('viewer shutdown', () => {
  it('a peer stopped while an SSE client listens lets its process exit at once', async () => {
    // A real process embeds a peer, follows /api/events, receives an event, then stops the peer and
    // returns. Nothing of the stopped viewer may keep the process alive (e.g. a keep-alive timer).
    const script = `
      import { definePlugin } from '@goop/sdk'
      import { startTestPeer } from '@goop/core/testing'
      let mq
      const peer = await startTestPeer({ plugins: [definePlugin({ name: 'probe', version: '1.0.0', sdk: '^1.0.0', setup (ctx) { mq = ctx.mq } })] })
      const res = await fetch('http://127.0.0.1:' + peer.viewer.port + '/api/events', { headers: { authorization: 'Bearer ' + peer.viewer.token } })
      const reader = res.body.getReader()
      const decoder = new TextDecoder()
      let text = ''
      while (!text.includes('event: ready')) text += decoder.decode((await reader.read()).value)
      mq.publish('some.topic', { n: 1 })
      while (!text.includes('event: some.topic')) text += decoder.decode((await reader.read()).value)
      await peer.cleanup()
      console.log('stopped')
    `
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=development', '--input-type=module', '-e', script], {
      cwd: dirname(fileURLToPath(import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe']
    })
    try {
      let out = ''
      let err = ''
      child.stdout.on('data', (d: Buffer) => { out += d.toString() })
      child.stderr.on('data', (d: Buffer) => { err += d.toString() })
      const exited = new Promise<number | null>(resolve => { child.on('exit', code => { resolve(code) }) })
      let stoppedAt: number | undefined
      const end = Date.now() + 20_000
      while (stoppedAt == null) {
        if (out.includes('stopped')) stoppedAt = Date.now()
        else if (child.exitCode != null || Date.now() > end) throw new Error(`the script did not stop its peer: ${out}${err}`)
        else await new Promise(resolve => setTimeout(resolve, 20))
      }
      const code = await Promise.race([exited, new Promise<'hung'>(resolve => setTimeout(() => { resolve('hung') }, 5000))])
      assert.notEqual(code, 'hung', `the process was still alive ${Date.now() - stoppedAt} ms after peer.stop()`)
      assert.equal(code, 0, err)
    } finally {
      if (child.exitCode == null) child.kill('SIGKILL')
    }
  })
})
