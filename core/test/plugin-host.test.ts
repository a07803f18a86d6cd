import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { definePlugin, type GoopError, type HooksApi, type PluginContext } from '@goop/sdk'
import { connect, probe, waitFor, startTestPeer, type TestPeer } from '@goop/core/testing'


const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }


async function json<T = any> (res: Response): Promise<T> {
  return await res.json() as T
}

interface Info { name: string, enabled: boolean, state: string, error?: string, source: string }

async function pluginInfo (peer: TestPeer, name: string): Promise<Info> {
  const res = await peer.api('GET', '/api/plugins')
  assert.equal(res.status, 200)
  const info = (await json<Info[]>(res)).find(p => p.name === name)
  assert.ok(info != null, `plugin ${name} is listed`)
  return info
}

async function goopJson (peer: TestPeer): Promise<any> {
  return JSON.parse(await readFile(join(peer.dir, 'goop.json'), 'utf8'))
}

async function assertServes (peer: TestPeer): Promise<void> {
  const res = await peer.api('GET', '/api/self')
  assert.equal(res.status, 200)
  assert.equal((await json(res)).peerId, peer.id)
}

/** An inline plugin in one line. */
const simple = (name: string, setup: (ctx: PluginContext) => void, extra: { requires?: string[], provides?: string[] } = {}) =>
  definePlugin({ name, version: '1.0.0', sdk: '^1.0.0', ...extra, setup })

describe('plugins that cannot run never take the peer down', () => {
  let x: TestPeer, y: TestPeer
  const ran: string[] = []
  const py = probe()
  let ticks = 0
  const BROKEN_PROTOCOL = '/test/broken/1.0.0'
  const plugins = [
    simple('needs-db', () => { ran.push('needs-db') }, { requires: ['db'] }),
    simple('cyc-a', (ctx) => { ran.push('cyc-a'); ctx.provide('svc-a', {}) }, { provides: ['svc-a'], requires: ['svc-b'] }),
    simple('cyc-b', (ctx) => { ran.push('cyc-b'); ctx.provide('svc-b', {}) }, { provides: ['svc-b'], requires: ['svc-a'] }),
    simple('broken', (ctx) => {
      ran.push('broken')
      ctx.streams.handle(BROKEN_PROTOCOL, () => ({ body: 'still answering' }))
      ctx.http.router.get('/here', c => c.json({ here: true }))
      ctx.timers.setInterval(() => { ticks++ }, 20)
      throw new Error('the database file is locked')
    }),
    simple('fine', (ctx) => { ran.push('fine'); ctx.http.router.get('/ping', c => c.json({ pong: true })) })
  ]
  before(async () => {
    x = await startTestPeer({ plugins })
    y = await startTestPeer({ plugins: [py.plugin] })
    await connect(y, x)
  })
  after(async () => { await x?.cleanup(); await y?.cleanup() })

  it('a plugin whose required service nobody provides fails, naming itself and the service', async () => {
    const info = await pluginInfo(x, 'needs-db')
    assert.equal(info.state, 'failed')
    assert.match(info.error ?? '', /needs-db/)
    assert.match(info.error ?? '', /"db"/)
    assert.ok(!ran.includes('needs-db'), 'its setup never ran')
  })

  it('plugins that require each other in a cycle both fail, the error naming both', async () => {
    for (const name of ['cyc-a', 'cyc-b']) {
      const info = await pluginInfo(x, name)
      assert.equal(info.state, 'failed')
      assert.match(info.error ?? '', /cycle/)
      assert.match(info.error ?? '', /cyc-a/)
      assert.match(info.error ?? '', /cyc-b/)
    }
    assert.ok(!ran.includes('cyc-a') && !ran.includes('cyc-b'), 'neither setup ran')
  })

  it('a plugin that throws in setup is failed with its error message', async () => {
    assert.ok(ran.includes('broken'))
    const info = await pluginInfo(x, 'broken')
    assert.equal(info.state, 'failed')
    assert.match(info.error ?? '', /the database file is locked/)
  })

  it('what the failed plugin registered before throwing is undone', async () => {
    // Its protocol handler: another peer gets no answer on it.
    await assert.rejects(py.ctx().streams.request(x.id, BROKEN_PROTOCOL, {}, { timeoutMs: 3000 }), (err: any) => {
      assert.equal(err.code, 'unreachable')
      return true
    })
    // Its route.
    assert.equal((await x.api('GET', '/api/x/broken/here')).status, 404)
    // Its timer.
    const seen = ticks
    await sleep(200)
    assert.equal(ticks, seen)
    assert.equal(ticks, 0)
  })

  it('the peer keeps serving, and the other plugins run', async () => {
    await assertServes(x)
    assert.equal((await pluginInfo(x, 'fine')).state, 'running')
    const res = await x.api('GET', '/api/x/fine/ping')
    assert.equal(res.status, 200)
    assert.deepEqual(await json(res), { pong: true })
  })
})

declare module '@goop/sdk' {
  interface Services {
    'test.greeter': { greet: (name: string) => string }
  }
}

describe('services between plugins', () => {
  let p: TestPeer
  const order: string[] = []
  const greeter = { greet: (name: string) => `hi ${name}` }
  let got: unknown
  let undeclared: unknown
  const sneaky = probe('sneaky')
  // Listed before its provider on purpose.
  const requirer = simple('requirer', (ctx) => {
    order.push('requirer')
    got = ctx.use('test.greeter')
    ctx.http.router.get('/greet/:name', c => c.json({ text: ctx.use('test.greeter').greet(c.req.param('name')) }))
  }, { requires: ['test.greeter'] })
  const provider = simple('provider', (ctx) => {
    order.push('provider')
    ctx.provide('test.greeter', greeter)
  }, { provides: ['test.greeter'] })
  before(async () => {
    p = await startTestPeer({ plugins: [sneaky.plugin, requirer, provider] })
  })
  after(async () => { await p?.cleanup() })

  it('sets the provider up before the plugin that requires it, even when listed after it', async () => {
    assert.deepEqual(order, ['provider', 'requirer'])
    assert.equal((await pluginInfo(p, 'requirer')).state, 'running')
    assert.equal((await pluginInfo(p, 'provider')).state, 'running')
  })

  it("the requirer gets the provider's own object through ctx.use", async () => {
    assert.equal(got, greeter)
    const res = await p.api('GET', '/api/x/requirer/greet/ann')
    assert.equal(res.status, 200)
    assert.deepEqual(await json(res), { text: 'hi ann' })
  })

  it('ctx.use of a service the plugin did not declare throws, even though it is provided', () => {
    try {
      undeclared = sneaky.ctx().use('test.greeter')
    } catch (err) {
      undeclared = err
    }
    assert.ok(undeclared instanceof Error, 'ctx.use threw')
    assert.equal((undeclared as GoopError).code, 'service_undeclared')
    assert.match((undeclared as Error).message, /sneaky/)
    assert.match((undeclared as Error).message, /test\.greeter/)
  })

  it('refuses to disable a provider a running plugin requires (409, naming the dependent)', async () => {
    const res = await p.api('POST', '/api/plugins/provider/disable')
    assert.equal(res.status, 409)
    const body = await json(res)
    assert.equal(body.error.code, 'plugin_required')
    assert.match(body.error.message, /requirer/)
    assert.equal((await pluginInfo(p, 'provider')).state, 'running')
    assert.equal((await p.api('GET', '/api/x/requirer/greet/bo')).status, 200)
  })

  it('the provider can be disabled once its dependent is', async () => {
    assert.equal((await p.api('POST', '/api/plugins/requirer/disable')).status, 200)
    const res = await p.api('POST', '/api/plugins/provider/disable')
    assert.equal(res.status, 200)
    assert.equal((await json(res)).state, 'stopped')
  })
})

describe('hooks declared by one plugin, tapped by others', () => {
  let p: TestPeer
  let hooks!: HooksApi
  const parallelRan: string[] = []
  const firstCalls: string[] = []
  let release: () => void = () => {}
  let gate: Promise<void> = Promise.resolve()
  // The tapping plugins come first: a tap may be added before the hook is declared.
  const tapA = simple('tap-a', (ctx) => {
    ctx.hooks.on('demo.seq', (v: string) => `${v}>post`, { order: 'post' })
    ctx.hooks.on('demo.seq', async (v: string, extra: string) => { await sleep(5); return `${v}>a0(${extra})` })
    ctx.hooks.on('demo.par', async (n: number) => { await gate; parallelRan.push(`a${n}`) })
    ctx.hooks.on('demo.first', () => { firstCalls.push('a-pre'); return undefined }, { order: 'pre' })
    ctx.hooks.on('demo.first', (key: string) => { firstCalls.push('a-post'); return `late:${key}` }, { order: 'post' })
  })
  const tapB = simple('tap-b', (ctx) => {
    ctx.hooks.on('demo.seq', (v: string) => `${v}>pre`, { order: 'pre' })
    ctx.hooks.on('demo.seq', (v: string) => `${v}>b50`, { order: 50 })
    ctx.hooks.on('demo.seq', () => undefined, { order: 5 })
    ctx.hooks.on('demo.seq', (v: string) => `${v}>b-5`, { order: -5 })
    ctx.hooks.on('demo.seq', (v: string) => `${v}>b0`)
    ctx.hooks.on('demo.par', () => { throw new Error('this tap fails') }, { order: 'pre' })
    // Releases tap-a's handler: only possible if the handlers of a parallel hook run together.
    ctx.hooks.on('demo.par', (n: number) => { release(); parallelRan.push(`b${n}`) })
    ctx.hooks.on('demo.first', (key: string) => { firstCalls.push('b'); return key === 'known' ? 'from-b' : undefined })
  })
  const owner = simple('owner', (ctx) => {
    ctx.hooks.declare('demo.seq', 'sequential')
    ctx.hooks.declare('demo.par', 'parallel')
    ctx.hooks.declare('demo.first', 'first')
    hooks = ctx.hooks
  })
  before(async () => {
    p = await startTestPeer({ plugins: [tapA, tapB, owner] })
  })
  after(async () => { await p?.cleanup() })

  it('sequential: each tap transforms the value in turn, pre first, then by number, post last', async () => {
    assert.equal(await hooks.call('demo.seq', 'x', 'e'), 'x>pre>b-5>a0(e)>b0>b50>post')
  })

  it('parallel: every tap runs, together; one that throws stops neither the others nor the caller', async () => {
    parallelRan.length = 0
    gate = new Promise<void>(resolve => { release = resolve })
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise(resolve => { timer = setTimeout(() => { resolve('timed out') }, 3000) })
    try {
      assert.equal(await Promise.race([hooks.call('demo.par', 1), timeout]), undefined)
    } finally { clearTimeout(timer) }
    assert.deepEqual(parallelRan.toSorted(), ['a1', 'b1'])
  })

  it('first: taps run in order until one returns something; that value wins', async () => {
    firstCalls.length = 0
    assert.equal(await hooks.call('demo.first', 'known'), 'from-b')
    assert.deepEqual(firstCalls, ['a-pre', 'b'])
    firstCalls.length = 0
    assert.equal(await hooks.call('demo.first', 'other'), 'late:other')
    assert.deepEqual(firstCalls, ['a-pre', 'b', 'a-post'])
  })

  it('disabling a tapping plugin removes its taps', async () => {
    assert.equal((await p.api('POST', '/api/plugins/tap-b/disable')).status, 200)
    assert.equal(await hooks.call('demo.seq', 'x', 'e'), 'x>a0(e)>post')
    firstCalls.length = 0
    assert.equal(await hooks.call('demo.first', 'known'), 'late:known')
    assert.deepEqual(firstCalls, ['a-pre', 'a-post'])
  })
})

describe('disable and enable, live and persisted', () => {
  let p: TestPeer | undefined
  let dir: string | undefined
  const pp = probe()
  let ticks = 0
  let timeouts = 0
  const seen: unknown[] = []
  let signal: AbortSignal | undefined
  let setupAt = 0
  const TIMEOUT_MS = 700
  const ticker = simple('ticker', (ctx) => {
    signal = ctx.signal
    setupAt = Date.now()
    ctx.timers.setInterval(() => { ticks++ }, 20)
    ctx.timers.setTimeout(() => { timeouts++ }, TIMEOUT_MS)
    ctx.mq.subscribe('tick.*', (payload) => { seen.push(payload) })
  })
  before(async () => {
    p = await startTestPeer({ plugins: [ticker, pp.plugin] })
    dir = p.dir
  })
  after(async () => {
    await p?.cleanup()
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it('disable undoes its timers and MQ subscriptions, and writes enabled: false to goop.json', async () => {
    const peer = p!
    await waitFor(() => ticks >= 3)
    pp.ctx().mq.publish('tick.a', { n: 1 })
    assert.deepEqual(seen, [{ n: 1 }])

    const res = await peer.api('POST', '/api/plugins/ticker/disable')
    assert.equal(res.status, 200)
    const info = await json<Info>(res)
    assert.equal(info.enabled, false)
    assert.equal(info.state, 'stopped')
    assert.equal(signal?.aborted, true)
    const at = ticks
    const firedBefore = timeouts // 0 unless this machine took over TIMEOUT_MS to get here
    await sleep(Math.max(300, setupAt + TIMEOUT_MS + 300 - Date.now()))
    assert.equal(ticks, at, 'the interval stopped firing')
    assert.equal(timeouts, firedBefore, 'the pending timeout never fired')
    pp.ctx().mq.publish('tick.b', { n: 2 })
    assert.deepEqual(seen, [{ n: 1 }])

    assert.equal((await goopJson(peer)).plugins?.ticker?.enabled, false)
  })

  it('enable runs it again and writes enabled: true to goop.json', async () => {
    const peer = p!
    const res = await peer.api('POST', '/api/plugins/ticker/enable')
    assert.equal(res.status, 200)
    assert.equal((await json(res)).state, 'running')
    const at = ticks
    await waitFor(() => ticks >= at + 3)
    pp.ctx().mq.publish('tick.c', { n: 3 })
    assert.deepEqual(seen, [{ n: 1 }, { n: 3 }])
    assert.equal((await goopJson(peer)).plugins?.ticker?.enabled, true)
  })

  it('a plugin disabled before a restart stays disabled after it', async () => {
    assert.equal((await p!.api('POST', '/api/plugins/ticker/disable')).status, 200)
    await p!.stop()
    p = await startTestPeer({ plugins: [ticker, pp.plugin], dir })
    const info = await pluginInfo(p, 'ticker')
    assert.equal(info.enabled, false)
    assert.equal(info.state, 'stopped')
    const at = ticks
    await sleep(200)
    assert.equal(ticks, at)
  })
})

describe('a third-party (installed) plugin', () => {
  const helloDir = fileURLToPath(new URL('../../examples/plugin-hello', import.meta.url))
  let p: TestPeer | undefined
  let dir: string | undefined
  before(async () => {
    p = await startTestPeer({ config: { plugins: { hello: { enabled: false, from: helloDir } } } })
    dir = p.dir
  })
  after(async () => {
    await p?.cleanup()
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it('is listed as installed and stopped', async () => {
    const info = await pluginInfo(p!, 'hello')
    assert.equal(info.source, 'installed')
    assert.equal(info.enabled, false)
    assert.equal(info.state, 'stopped')
    assert.equal(info.error, undefined)
  })

  it('enabling it without trust is refused with 409 needs_trust, and nothing changes', async () => {
    const res = await p!.api('POST', '/api/plugins/hello/enable')
    assert.equal(res.status, 409)
    const body = await json(res)
    assert.equal(body.error.code, 'needs_trust')
    assert.match(body.error.message, /trust/)
    assert.equal((await pluginInfo(p!, 'hello')).state, 'stopped')
    assert.equal((await p!.api('GET', '/api/x/hello/')).status, 404)
    const entry = (await goopJson(p!)).plugins.hello
    assert.equal(entry.enabled, false)
    assert.equal(entry.trusted, undefined)
  })

  it('with { trust: true } it runs, and goop.json records trusted: true', async () => {
    const res = await p!.api('POST', '/api/plugins/hello/enable', { trust: true })
    assert.equal(res.status, 200)
    assert.equal((await json(res)).state, 'running')
    const routes = await p!.api('GET', '/api/x/hello/')
    assert.equal(routes.status, 200)
    assert.deepEqual(await json(routes), { greeted: 0, waves: 0 })
    assert.deepEqual((await goopJson(p!)).plugins.hello, { enabled: true, from: helloDir, trusted: true })
  })

  it('once trusted, it runs after a restart without asking again', async () => {
    await p!.stop()
    p = await startTestPeer({ dir })
    const info = await pluginInfo(p, 'hello')
    assert.equal(info.state, 'running', info.error)
    assert.equal((await p.api('GET', '/api/x/hello/')).status, 200)
  })
})
