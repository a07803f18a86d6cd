import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { definePlugin } from '@goop/sdk'
import { connect, probe, waitFor, startTestPeer, type TestPeer } from '@goop/core/testing'
import { freePort } from './helpers/processes.js'



describe('mq between two peers', () => {
  let a: TestPeer, b: TestPeer
  const pa = probe()
  const pb = probe()
  before(async () => {
    a = await startTestPeer({ plugins: [pa.plugin] })
    b = await startTestPeer({ plugins: [pb.plugin] })
    await connect(a, b)
  })
  after(async () => { await a?.cleanup(); await b?.cleanup() })

  it('exchanges messages both ways, with the authenticated sender', async () => {
    const atB: Array<{ payload: unknown, from: string }> = []
    const atA: Array<{ payload: unknown, from: string }> = []
    const offB = pb.mq().receive('chat.msg', (payload, meta) => { atB.push({ payload, from: meta.from }) })
    const offA = pa.mq().receive('chat.msg', (payload, meta) => { atA.push({ payload, from: meta.from }) })
    await pa.mq().send(b.id, 'chat.msg', { text: 'hi b' })
    await pb.mq().send(a.id, 'chat.msg', { text: 'hi a' })
    assert.deepEqual(atB, [{ payload: { text: 'hi b' }, from: a.id }])
    assert.deepEqual(atA, [{ payload: { text: 'hi a' }, from: b.id }])
    offA(); offB()
  })

  it('delivers exactly once when the first delivery fails', async () => {
    let calls = 0
    const got: unknown[] = []
    const off = pb.mq().receive('flaky', (payload) => {
      calls++
      if (calls === 1) throw new Error('not ready yet')
      got.push(payload)
    })
    await pa.mq().send(b.id, 'flaky', { n: 1 })
    assert.equal(calls, 2)
    assert.deepEqual(got, [{ n: 1 }])
    // A repeated id (a retry the receiver already took) is not delivered again.
    await pa.mq().send(b.id, 'flaky', { n: 2 }, { id: 'fixed-id' })
    await pa.mq().send(b.id, 'flaky', { n: 2 }, { id: 'fixed-id' })
    assert.deepEqual(got, [{ n: 1 }, { n: 2 }])
    off()
  })

  it('keeps the order of 1,000 messages from one sender', async () => {
    const got: number[] = []
    const off = pb.mq().receive('seq', (payload) => { got.push((payload as { n: number }).n) })
    await Promise.all(Array.from({ length: 1000 }, (_, n) => pa.mq().send(b.id, 'seq', { n })))
    assert.equal(got.length, 1000)
    assert.deepEqual(got, Array.from({ length: 1000 }, (_, n) => n))
    off()
  })

  it('a remote subscription receives what the publisher publishes, and stops when cancelled', async () => {
    pb.mq().share('score.*')
    const got: unknown[] = []
    const unsubscribe = await pa.mq().subscribeRemote(b.id, 'score.*', (payload, meta) => {
      assert.equal(meta.from, b.id)
      got.push(payload)
    })
    pb.mq().publish('score.changed', { score: 1 })
    pb.mq().publish('other.topic', { ignored: true })
    pb.mq().publish('score.changed', { score: 2 })
    await waitFor(() => got.length === 2)
    assert.deepEqual(got, [{ score: 1 }, { score: 2 }])
    unsubscribe()
    await new Promise(resolve => setTimeout(resolve, 300))
    pb.mq().publish('score.changed', { score: 3 })
    await new Promise(resolve => setTimeout(resolve, 500))
    assert.deepEqual(got, [{ score: 1 }, { score: 2 }])
  })

  it('refuses a subscription to a topic the publisher did not share', async () => {
    await assert.rejects(pa.mq().subscribeRemote(b.id, 'secret.stuff', () => {}), /not shared/)
  })
})

describe('mq across a restart of the receiver', () => {
  it('delivers a message sent while the receiver restarts exactly once', async () => {
    const pa = probe()
    const a = await startTestPeer({ plugins: [pa.plugin] })
    // A port the OS just gave out (not a random one, which could be in use or in the ephemeral range).
    const port = await freePort()
    let got: unknown[] = []
    const receiver = definePlugin({
      name: 'receiver', version: '1.0.0', sdk: '^1.0.0',
      setup (ctx) { ctx.mq.receive('note', (payload) => { got.push(payload) }) }
    })
    const config = { network: { port } }
    let b = await startTestPeer({ plugins: [receiver], config })
    const dir = b.dir
    try {
      await connect(a, b)
      await pa.mq().send(b.id, 'note', { n: 0 })
      assert.deepEqual(got, [{ n: 0 }])
      got = []
      await b.stop()
      const sending = pa.mq().send(b.id, 'note', { n: 1 })
      await new Promise(resolve => setTimeout(resolve, 700))
      b = await startTestPeer({ plugins: [receiver], config, dir })
      await sending
      await new Promise(resolve => setTimeout(resolve, 300))
      assert.deepEqual(got, [{ n: 1 }])
    } finally {
      await a.cleanup()
      await b.cleanup()
      const { rm } = await import('node:fs/promises')
      await rm(dir, { recursive: true, force: true })
    }
  })
})
