import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { definePlugin, SDK_VERSION } from '@goop/sdk'
import { connect, probe, waitFor, startTestPeer, type TestPeer } from '@goop/core/testing'
import hello from 'goop-plugin-hello'


const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }


async function json<T = any> (res: Response): Promise<T> {
  return await res.json() as T
}

/** The ID's tail: hello greets the asker by the last six characters of its peer ID. */
const tail = (id: string): string => id.slice(-6)

describe('hello between two peers', () => {
  let a: TestPeer, b: TestPeer
  const pa = probe()
  before(async () => {
    a = await startTestPeer({ plugins: [hello, pa.plugin] })
    b = await startTestPeer({ plugins: [hello], config: { plugins: { hello: { config: { greeting: 'hoi' } } } } })
    await connect(a, b)
  })
  after(async () => { await a?.cleanup(); await b?.cleanup() })

  it("A's greet route returns B's greeting, made with B's own config, and B publishes it to A's subscription", async () => {
    const got: Array<{ payload: unknown, from: string }> = []
    const off = await pa.ctx().mq.subscribeRemote(b.id, 'hello.greeted', (payload, meta) => { got.push({ payload, from: meta.from }) })
    try {
      const res = await a.api('GET', `/api/x/hello/greet/${b.id}`)
      assert.equal(res.status, 200)
      assert.deepEqual(await json(res), { text: `hoi, ${tail(a.id)}` })
      await waitFor(() => got.length === 1)
      assert.deepEqual(got, [{ payload: { from: a.id, text: `hoi, ${tail(a.id)}` }, from: b.id }])
      assert.equal((await json(await b.api('GET', '/api/x/hello/'))).greeted, 1)
    } finally { off() }
  })

  it("the greeting is per peer: B asking A gets A's default greeting", async () => {
    const res = await b.api('GET', `/api/x/hello/greet/${a.id}`)
    assert.equal(res.status, 200)
    assert.deepEqual(await json(res), { text: `hello, ${tail(b.id)}` })
  })

  it('a hello.wave sent from A is counted by B', async () => {
    const start = await json(await b.api('GET', '/api/x/hello/'))
    assert.equal(start.waves, 0)
    await pa.ctx().mq.send(b.id, 'hello.wave', { text: 'o/' })
    await pa.ctx().mq.send(b.id, 'hello.wave', { text: 'o/ again' })
    const res = await b.api('GET', '/api/x/hello/')
    assert.equal(res.status, 200)
    assert.equal((await json(res)).waves, 2)
  })

  it('the hello routes are behind the owner token', async () => {
    const res = await fetch(`http://127.0.0.1:${b.viewer!.port}/api/x/hello/`)
    assert.equal(res.status, 401)
  })
})

describe('the hello.greeting hook', () => {
  let a: TestPeer, c: TestPeer
  const askers: string[] = []
  // Listed before hello: a tap may come before the hook is declared.
  const shout = definePlugin({
    name: 'shout',
    version: '1.0.0',
    sdk: '^1.0.0',
    setup (ctx) {
      ctx.hooks.on('hello.greeting', (text: string, asker: string) => { askers.push(asker); return `${text.toUpperCase()}!` })
    }
  })
  before(async () => {
    a = await startTestPeer({ plugins: [hello] })
    c = await startTestPeer({ plugins: [shout, hello] })
    await connect(a, c)
  })
  after(async () => { await a?.cleanup(); await c?.cleanup() })

  it('another plugin that taps hello.greeting changes the greeting text', async () => {
    const res = await a.api('GET', `/api/x/hello/greet/${c.id}`)
    assert.equal(res.status, 200)
    assert.deepEqual(await json(res), { text: `HELLO, ${tail(a.id).toUpperCase()}!` })
    assert.deepEqual(askers, [a.id])
  })

  it('disabling the tapping plugin gives the plain greeting back', async () => {
    assert.equal((await c.api('POST', '/api/plugins/shout/disable')).status, 200)
    const res = await a.api('GET', `/api/x/hello/greet/${c.id}`)
    assert.deepEqual(await json(res), { text: `hello, ${tail(a.id)}` })
  })
})

describe('hello built for another SDK', () => {
  let p: TestPeer
  before(async () => {
    // version 0.7.0 so that the SDK version in the error can only be the SDK this peer provides.
    p = await startTestPeer({ plugins: [definePlugin({ ...hello, version: '0.7.0', sdk: '^2.0.0' })] })
  })
  after(async () => { await p?.cleanup() })

  it('is refused with a message naming the range it wants and the SDK the peer has', async () => {
    const res = await p.api('GET', '/api/plugins')
    assert.equal(res.status, 200)
    const info = (await json<Array<{ name: string, state: string, error?: string }>>(res)).find(x => x.name === 'hello')
    assert.ok(info != null, 'hello is listed')
    assert.equal(info.state, 'failed')
    assert.match(info.error ?? '', /\^2\.0\.0/)
    assert.ok((info.error ?? '').includes(SDK_VERSION), `${info.error} names @goop/sdk ${SDK_VERSION}`)
  })

  it('never ran, and the peer keeps serving', async () => {
    assert.equal((await p.api('GET', '/api/x/hello/')).status, 404)
    const self = await p.api('GET', '/api/self')
    assert.equal(self.status, 200)
    assert.equal((await json(self)).peerId, p.id)
  })
})

describe('hello disabled and enabled live', () => {
  let a: TestPeer, b: TestPeer
  const pa = probe()
  const pb = probe()
  before(async () => {
    a = await startTestPeer({ plugins: [hello, pa.plugin] })
    b = await startTestPeer({ plugins: [hello, pb.plugin] })
    await connect(a, b)
  })
  after(async () => { await a?.cleanup(); await b?.cleanup() })

  it('stops answering, serving routes and publishing when disabled, and works again when enabled', async () => {
    const greet = async (): Promise<Response> => await a.api('GET', `/api/x/hello/greet/${b.id}`)
    const got: unknown[] = []
    const off = await pa.ctx().mq.subscribeRemote(b.id, 'hello.greeted', (payload) => { got.push(payload) })
    try {
      assert.equal((await greet()).status, 200)
      await waitFor(() => got.length === 1)

      const disabled = await b.api('POST', '/api/plugins/hello/disable')
      assert.equal(disabled.status, 200)
      assert.equal((await json(disabled)).state, 'stopped')

      // The protocol no longer answers: A's route fails, promptly.
      for (let i = 0; i < 2; i++) {
        const t0 = Date.now()
        const res = await greet()
        const took = Date.now() - t0
        assert.ok(res.status >= 400, `greet after disable answered ${res.status}`)
        assert.ok(took < 4000, `the failure took ${took} ms`)
        // A clear error, as the admin API gives them, not a bare 500.
        const body = await json(res)
        assert.equal(typeof body.error?.message, 'string')
        assert.notEqual(body.error?.code, 'internal', body.error?.message)
      }
      // B's own routes are gone.
      assert.equal((await b.api('GET', '/api/x/hello/')).status, 404)
      assert.equal((await b.api('GET', '/api/x/hello/greet/whoever')).status, 404)

      // The topic is no longer shared: whatever B publishes on it now stays on B.
      pb.ctx().mq.publish('hello.greeted', { from: 'someone', text: 'not for A' })
      await sleep(500)
      assert.deepEqual(got, [{ from: a.id, text: `hello, ${tail(a.id)}` }])

      // No restart: the same peer, still connected, still serving.
      assert.equal((await b.api('GET', '/api/self')).status, 200)
      assert.ok(a.node.getPeers().some(p => p.toString() === b.id))

      const enabled = await b.api('POST', '/api/plugins/hello/enable')
      assert.equal(enabled.status, 200)
      assert.equal((await json(enabled)).state, 'running')
      const res = await greet()
      assert.equal(res.status, 200)
      assert.deepEqual(await json(res), { text: `hello, ${tail(a.id)}` })
      assert.deepEqual(await json(await b.api('GET', '/api/x/hello/')), { greeted: 1, waves: 0 })
    } finally { off() }
  })
})
