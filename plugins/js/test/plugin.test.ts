import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startTestPeer, type TestPeer } from '@goop/core/testing'
import { definePlugin, GoopError, type LogicRuntime } from '@goop/sdk'
import js from '../src/index.js'

/**
 * The plugin in a real peer: it provides the `js` service to a plugin that requires it, the owner's
 * config caps what a template may ask for, and stopping the peer unloads every module.
 */

describe('the js plugin', () => {
  let peer: TestPeer | undefined
  let stopped = false
  let runtime: LogicRuntime | undefined
  const user = definePlugin({
    name: 'js-user',
    version: '1.0.0',
    sdk: '^1.3.0',
    requires: ['js'],
    setup (ctx) { runtime = ctx.use('js') }
  })

  before(async () => {
    peer = await startTestPeer({ plugins: [js, user], viewer: false, config: { plugins: { js: { config: { memoryLimitMb: 12, callTimeoutMs: 200 } } } } })
  })
  after(async () => { if (!stopped) await peer?.cleanup() })

  it('provides the runtime, with the owner\'s limits as caps', async () => {
    assert.equal(runtime?.name, 'js')
    const m = await (runtime as LogicRuntime).load({ files: { 'main.ts': 'export const ping = (a: unknown) => a\nexport function loop () { while (true) {} }' }, entry: 'main.ts' },
      { memoryBytes: 1024 * 1024 * 1024, callTimeoutMs: 60_000 })
    const id = (peer as TestPeer).id
    const ctx = { caller: id, peer: id }
    assert.equal(await m.call('ping', 'hi', ctx, async () => null), 'hi')
    const t0 = Date.now()
    const err = await m.call('loop', null, ctx, async () => null).then(() => undefined, (e: unknown) => e)
    assert.ok(err instanceof GoopError)
    assert.equal(err.code, 'timeout')
    assert.match(err.message, /within 200 ms/)
    assert.ok(Date.now() - t0 < 2000)
    // Stopping the peer stops the plugin, which unloads what it loaded.
    stopped = true
    await peer?.cleanup()
    const late = await m.call('ping', 'hi', ctx, async () => null).then(() => undefined, (e: unknown) => e)
    assert.equal((late as GoopError).code, 'unavailable')
  })
})
