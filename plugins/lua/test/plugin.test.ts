import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startTestPeer, type TestPeer } from '@goop/core/testing'
import { definePlugin, type LogicModule, type LogicRuntime } from '@goop/sdk'
import lua from '@goop/plugin-lua'

/**
 * The plugin in a real peer: another plugin gets the `lua` service, loads logic with limits above
 * the owner's config (they are lowered to it), calls it, and stopping the peer unloads it.
 */
describe('lua plugin', () => {
  let peer: TestPeer
  let stopped = false
  let runtime: LogicRuntime | undefined

  const user = definePlugin({
    name: 'lua-user',
    version: '1.0.0',
    sdk: '^1.3.0',
    requires: ['lua'],
    setup (ctx) { runtime = ctx.use('lua') }
  })

  before(async () => {
    peer = await startTestPeer({
      plugins: [lua, user],
      viewer: false,
      config: { plugins: { lua: { config: { maxCallTimeoutMs: 300, maxMemoryBytes: 8 * 1024 * 1024 } } } }
    })
  })
  after(async () => { if (!stopped) await peer?.cleanup() })

  it('provides the lua service, capped by its config, and unloads logic when the peer stops', async () => {
    assert.ok(runtime !== undefined)
    assert.equal(runtime.name, 'lua')
    const m: LogicModule = await runtime.load(
      { files: { 'main.lua': 'return { hi = function(a) return "hi " .. a.name .. " from " .. goop.peer end, spin = function() while true do end end }' }, entry: 'main.lua' },
      { memoryBytes: 512 * 1024 * 1024, callTimeoutMs: 60_000 }
    )
    const ctx = { caller: 'visitor', peer: peer.id }
    assert.equal(await m.call('hi', { name: 'ann' }, ctx, async () => null), `hi ann from ${peer.id}`)
    // The template asked for a minute; the owner allows 300 ms.
    const t0 = performance.now()
    await assert.rejects(m.call('spin', null, ctx, async () => null), { code: 'timeout', message: /^the call to spin did not finish within 300 ms/ })
    assert.ok(performance.now() - t0 < 1000)

    // Stopping the peer disposes of the plugin, and with it every module it loaded.
    await peer.cleanup()
    stopped = true
    await assert.rejects(m.call('hi', { name: 'ann' }, ctx, async () => null), { code: 'unavailable' })
  })
})
