import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Stream } from '@libp2p/interface'
import { encodeFrame, FrameReader, MQ_PROTOCOL, type Frame } from '@goop/core'
import { connect, probe, startTestPeer, type TestPeer } from '@goop/core/testing'

/**
 * Hostile input on /goop/mq/1.0.0, written byte by byte from a real libp2p node: the receiving peer
 * must answer with an error frame (or close the stream), and keep serving everyone else.
 */

const MIB = 1024 * 1024


function varint (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return Uint8Array.from(out)
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

/** A frame whose payload is `varint(header.length) header`, with any header bytes at all. */
const rawFrame = (header: Uint8Array): Uint8Array => {
  const payload = concat(varint(header.length), header)
  return concat(varint(payload.length), payload)
}
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

interface Outcome {
  frames: Frame[]
  /** How reading ended: the server closed its side, reset the stream, or we stopped waiting. */
  end: 'closed' | 'reset' | 'waiting'
}

describe('hostile frames on /goop/mq/1.0.0', () => {
  let a: TestPeer, b: TestPeer
  const pa = probe('probe-a')
  const pb = probe('probe-b')
  const delivered: unknown[] = []
  let n = 0

  before(async () => {
    a = await startTestPeer({ plugins: [pa.plugin] })
    b = await startTestPeer({ plugins: [pb.plugin] })
    await connect(a, b)
    pb.mq().receive('ping', (payload, meta) => { delivered.push({ payload, from: meta.from }) })
  })
  after(async () => { await a?.cleanup(); await b?.cleanup() })

  const open = async (): Promise<Stream> => await a.node.dialProtocol(b.node.peerId, MQ_PROTOCOL, { signal: AbortSignal.timeout(5000) })

  /** Read what the server sends until it ends the stream, at most `count` frames, or until `waitMs` of silence. */
  const readAll = async (stream: Stream, opts: { count?: number, waitMs?: number } = {}): Promise<Outcome> => {
    const reader = new FrameReader(stream, 2 * MIB)
    const frames: Frame[] = []
    try {
      while (frames.length < (opts.count ?? Infinity)) {
        const frame = await reader.read({ idleMs: opts.waitMs ?? 3000, frameMs: 3000 })
        if (frame == null) return { frames, end: 'closed' }
        frames.push(frame)
      }
      return { frames, end: 'waiting' }
    } catch (err) {
      if ((err as { code?: string }).code === 'timeout') return { frames, end: 'waiting' }
      return { frames, end: 'reset' }
    }
  }

  /** Send hostile bytes on a fresh stream, optionally close our side, and return what came back. */
  const hostile = async (bytes: Uint8Array, opts: { closeWrite?: boolean, waitMs?: number } = {}): Promise<Outcome> => {
    const stream = await open()
    try {
      stream.send(bytes)
      if (opts.closeWrite === true) await stream.close()
      return await readAll(stream, { waitMs: opts.waitMs })
    } finally {
      stream.abort(new Error('test done'))
    }
  }

  /** The peer still works for normal traffic: a real mq.send from A reaches B's receiver. */
  const stillServes = async (): Promise<void> => {
    const tag = ++n
    const seen = delivered.length
    await pa.mq().send(b.id, 'ping', { tag }, { deadlineMs: 5000 })
    assert.deepEqual(delivered.slice(seen), [{ payload: { tag }, from: a.id }])
  }

  /** The one stream-level error frame a broken stream must end with. */
  const assertStreamError = (out: Outcome, code: string): void => {
    assert.equal(out.frames.length, 1, `expected exactly one error frame, got ${JSON.stringify(out.frames.map(f => f.header))}`)
    const [{ header }] = out.frames
    assert.equal(header.k, 'e')
    assert.equal(header.i, null)
    assert.equal(header.c, code)
    assert.equal(typeof header.m, 'string')
    assert.notEqual(out.end, 'waiting', 'the server must not keep a stream open after its framing broke')
  }

  it('answers garbage (a header that is not JSON) with bad_frame and closes the stream', async () => {
    assertStreamError(await hostile(rawFrame(utf8('this is not json {'))), 'bad_frame')
    await stillServes()
  })

  it('answers other malformed frames with bad_frame', async () => {
    const cases: Array<[string, Uint8Array]> = [
      ['a length prefix that is not a varint', Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])],
      ['an empty frame', Uint8Array.from([0x00])],
      ['a header that is not UTF-8', rawFrame(Uint8Array.from([0x22, 0xc3, 0x28, 0x22]))],
      ['a header that is a JSON array', rawFrame(utf8('[1,2,3]'))],
      ['a header with an unknown kind', rawFrame(utf8('{"i":1,"k":"x"}'))],
      ['a header with a non-integer id', rawFrame(utf8('{"i":"1","k":"q"}'))],
      ['a header length longer than the frame', concat(varint(3), varint(50), utf8('{}'))]
    ]
    for (const [what, bytes] of cases) {
      const out = await hostile(bytes)
      assert.equal(out.frames[0]?.header.c, 'bad_frame', `${what}: got ${JSON.stringify(out.frames.map(f => f.header))}`)
      assert.notEqual(out.end, 'waiting', `${what}: the stream was left open`)
    }
    await stillServes()
  })

  it('answers a frame cut short by the end of the stream with truncated', async () => {
    // The prefix promises 100 bytes; 10 come, then our side closes.
    const out = await hostile(concat(varint(100), new Uint8Array(10).fill(0x7b)), { closeWrite: true })
    assertStreamError(out, 'truncated')
    await stillServes()
  })

  it('answers a frame longer than 1 MiB with frame_too_large, without waiting for its bytes', async () => {
    const started = Date.now()
    const out = await hostile(concat(varint(MIB + 1), utf8('{"i":1,"k":"q"}')))
    assertStreamError(out, 'frame_too_large')
    assert.ok(Date.now() - started < 2500, 'the limit must be enforced from the length prefix')
    // Far over the limit too (a 4 GiB claim), still the same answer.
    assertStreamError(await hostile(concat(varint(2 ** 32), Uint8Array.from([1, 2, 3]))), 'frame_too_large')
    await stillServes()
  })

  it('answers a bad request with bad_request for that id, and the same stream keeps working', async () => {
    const stream = await open()
    try {
      stream.send(encodeFrame({ header: { i: 7, k: 'q', b: { op: 'nope' } } }, MIB))
      stream.send(encodeFrame({ header: { i: 8, k: 'r', b: null } }, MIB)) // not a request: refused, not fatal
      stream.send(encodeFrame({ header: { i: 9, k: 'q', b: { op: 'msg', items: [{ id: 'raw-9', topic: 'ping', payload: { raw: 9 }, at: Date.now() }] } } }, MIB))
      const out = await readAll(stream, { count: 3 })
      const byId = new Map(out.frames.map(f => [f.header.i, f.header]))
      assert.equal(out.frames.length, 3, JSON.stringify(out.frames.map(f => f.header)))
      assert.equal(byId.get(7)?.k, 'e')
      assert.equal(byId.get(7)?.c, 'bad_request')
      assert.match(String(byId.get(7)?.m), /op/)
      assert.equal(byId.get(8)?.k, 'e')
      assert.equal(byId.get(8)?.c, 'bad_frame')
      assert.deepEqual(byId.get(9), { i: 9, k: 'r', b: { acked: 1 } })
      assert.deepEqual(delivered.at(-1), { payload: { raw: 9 }, from: a.id })
      assert.equal(stream.status, 'open', 'a bad request must not cost the stream')
    } finally {
      stream.abort(new Error('test done'))
    }
    await stillServes()
  })

  it('survives a body nested 100,000 levels deep, and the stream keeps working', async () => {
    const depth = 100_000
    const header = utf8(`{"i":1,"k":"q","b":{"op":"msg","items":[{"id":"deep-1","topic":"ping","at":1,"payload":${'['.repeat(depth)}${']'.repeat(depth)}}]}}`)
    const stream = await open()
    try {
      stream.send(rawFrame(header))
      const [first] = (await readAll(stream, { count: 1 })).frames
      assert.ok(first != null, 'no answer to the deeply nested request')
      assert.equal(first.header.i, 1)
      stream.send(encodeFrame({ header: { i: 2, k: 'q', b: { op: 'msg', items: [{ id: 'deep-2', topic: 'ping', payload: { after: 'deep' }, at: Date.now() }] } } }, MIB))
      const [second] = (await readAll(stream, { count: 1 })).frames
      assert.deepEqual(second?.header, { i: 2, k: 'r', b: { acked: 1 } })
      assert.deepEqual(delivered.at(-1), { payload: { after: 'deep' }, from: a.id })
    } finally {
      stream.abort(new Error('test done'))
    }
    await stillServes()
  })

  it('answers a receiver that throws with an error reply, and the next message is delivered', async () => {
    let calls = 0
    const got: unknown[] = []
    const off = pb.mq().receive('boom', (payload) => {
      calls++
      if (calls === 1) throw new Error('receiver exploded')
      got.push(payload)
    })
    const stream = await open()
    try {
      const msg = (i: number, id: string) => encodeFrame({ header: { i, k: 'q', b: { op: 'msg', items: [{ id, topic: 'boom', payload: { id }, at: Date.now() }] } } }, MIB)
      stream.send(msg(1, 'boom-1'))
      const [first] = (await readAll(stream, { count: 1 })).frames
      assert.ok(first != null, 'no reply to a message whose receiver threw')
      assert.equal(first.header.i, 1)
      assert.equal(first.header.k, 'r')
      const body = first.header.b as { acked: number, error?: string }
      assert.equal(body.acked, 0)
      assert.match(String(body.error), /receiver of boom failed/)
      stream.send(msg(2, 'boom-2'))
      const [second] = (await readAll(stream, { count: 1 })).frames
      assert.deepEqual(second?.header, { i: 2, k: 'r', b: { acked: 1 } })
      assert.deepEqual(got, [{ id: 'boom-2' }])
    } finally {
      stream.abort(new Error('test done'))
      off()
    }
    await stillServes()
  })

  it('gives up on a frame that stalls half-way (timeout), and keeps serving', async () => {
    // The prefix promises 100 bytes, 10 come, and the writer goes quiet with its side still open.
    // The mq read deadline is 10 s; nothing else may wait on it.
    const started = Date.now()
    const pending = hostile(concat(varint(100), new Uint8Array(10).fill(0x7b)), { waitMs: 15_000 })
    await stillServes()
    const out = await pending
    assertStreamError(out, 'timeout')
    const took = Date.now() - started
    assert.ok(took >= 9000 && took < 14_000, `the stalled frame was dropped after ${took} ms`)
    await stillServes()
  })
})

describe('replies written in one turn of the event loop', () => {
  let a: TestPeer, b: TestPeer
  const PROTOCOL = '/goop-test/echo/1.0.0'
  const echo = probe('echo')

  before(async () => {
    a = await startTestPeer()
    b = await startTestPeer({ plugins: [echo.plugin] })
    await connect(a, b)
    echo.ctx().streams.handle(PROTOCOL, req => ({ body: req.body }))
  })
  after(async () => { await a?.cleanup(); await b?.cleanup() })

  it('leave in one send: 50 requests in one chunk come back in a few chunks, not 50, complete and in order', async () => {
    const N = 50
    const stream = await a.node.dialProtocol(b.node.peerId, PROTOCOL, { signal: AbortSignal.timeout(5000) })
    try {
      const requests = Array.from({ length: N }, (_, i) => encodeFrame({ header: { i, k: 'q', b: { n: i } } }, MIB))
      // The replies the server writes, byte for byte: what must arrive, however it is cut into chunks.
      const expected = Array.from({ length: N }, (_, i) => encodeFrame({ header: { i, k: 'r', b: { n: i } } }, MIB))
      const want = expected.reduce((n, f) => n + f.length, 0)
      stream.send(concat(...requests))
      const chunks: Uint8Array[] = []
      let got = 0
      for await (const chunk of stream) {
        const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray()
        chunks.push(bytes)
        got += bytes.length
        if (got >= want) break
      }
      assert.deepEqual(concat(...chunks), concat(...expected), 'every reply, in order')
      // One send per reply would arrive as (about) one chunk per reply.
      assert.ok(chunks.length <= 5, `${N} replies arrived in ${chunks.length} chunks`)
    } finally {
      stream.abort(new Error('test done'))
    }
  })
})
