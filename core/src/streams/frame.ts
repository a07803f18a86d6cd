import type { Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'

/**
 * Wire format of every goop request/response protocol:
 *
 *   frame  = uvarint(length) payload            length ≤ the protocol's maxFrameBytes
 *   payload = uvarint(headerLength) header body  header is UTF-8 JSON, body the raw bytes (may be empty)
 *
 * The header is `{ i, k, b?, c?, m? }`: `i` the request id (multiplexing), `k` the kind (`q` request,
 * `r` reply, `e` error), `b` the JSON body, `c`/`m` an error's code and message.
 */
export interface FrameHeader {
  i: number | null
  k: 'q' | 'r' | 'e'
  b?: unknown
  c?: string
  m?: string
}

export interface Frame {
  header: FrameHeader
  bytes?: Uint8Array
}

export class FrameError extends Error {
  constructor (readonly code: 'bad_frame' | 'frame_too_large' | 'timeout' | 'truncated', message: string) {
    super(message)
    this.name = 'FrameError'
  }
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

function varintLength (n: number): number {
  let len = 1
  while (n >= 0x80) { n = Math.floor(n / 128); len++ }
  return len
}

function writeVarint (buf: Uint8Array, offset: number, n: number): number {
  while (n >= 0x80) { buf[offset++] = (n & 0x7f) | 0x80; n = Math.floor(n / 128) }
  buf[offset++] = n
  return offset
}

/** Encode one frame into a single buffer (so concurrent writers can never interleave halves of frames). */
export function encodeFrame (frame: Frame, maxBytes: number): Uint8Array {
  const header = encoder.encode(JSON.stringify(frame.header))
  const body = frame.bytes ?? new Uint8Array(0)
  const payloadLength = varintLength(header.length) + header.length + body.length
  if (payloadLength > maxBytes) {
    throw new FrameError('frame_too_large', `frame of ${payloadLength} bytes is over the limit of ${maxBytes}`)
  }
  const out = new Uint8Array(varintLength(payloadLength) + payloadLength)
  let o = writeVarint(out, 0, payloadLength)
  o = writeVarint(out, o, header.length)
  out.set(header, o)
  out.set(body, o + header.length)
  return out
}

const TIMEOUT = Symbol('timeout')

/**
 * Reads frames from a libp2p stream. Each read has a deadline: `idleMs` for the first byte of a frame
 * (may be extended by the caller while requests are in flight), then `frameMs` for the rest of it.
 */
export class FrameReader {
  private readonly iterator: AsyncIterator<Uint8Array | Uint8ArrayList>
  private readonly buffer = new Uint8ArrayList()
  private pending?: Promise<IteratorResult<Uint8Array | Uint8ArrayList>>
  private ended = false

  constructor (stream: Stream, private readonly maxBytes: number) {
    this.iterator = stream[Symbol.asyncIterator]()
  }

  /** Pull one chunk into the buffer; false at the end of the stream, TIMEOUT if none came in `ms`. */
  private async pull (ms: number): Promise<boolean | typeof TIMEOUT> {
    if (this.ended) return false
    this.pending ??= this.iterator.next()
    let result: IteratorResult<Uint8Array | Uint8ArrayList> | typeof TIMEOUT
    if (ms === Infinity) {
      result = await this.pending
    } else {
      let timer: NodeJS.Timeout | undefined
      result = await Promise.race([
        this.pending,
        // unref: a deadline must never be what keeps a stopping process alive.
        new Promise<typeof TIMEOUT>(resolve => { timer = setTimeout(resolve, ms, TIMEOUT); timer.unref() })
      ])
      clearTimeout(timer)
    }
    if (result === TIMEOUT) return TIMEOUT
    this.pending = undefined
    if (result.done === true) { this.ended = true; return false }
    this.buffer.append(result.value)
    return true
  }

  /** Try to decode a varint at `offset` of the buffer: [value, bytesUsed], or undefined if incomplete. */
  private varintAt (offset: number): [number, number] | undefined {
    let value = 0
    let scale = 1
    for (let i = 0; i < 5; i++) {
      if (offset + i >= this.buffer.length) return undefined
      const byte = this.buffer.get(offset + i)
      value += (byte & 0x7f) * scale
      if ((byte & 0x80) === 0) return [value, i + 1]
      scale *= 128
    }
    throw new FrameError('bad_frame', 'frame length prefix is not a valid varint')
  }

  /**
   * The next frame, or null at a clean end of stream. `keepWaiting()` is asked when the idle deadline
   * passes before a frame starts: true waits another `idleMs`.
   */
  async read (opts: { idleMs: number, frameMs: number, keepWaiting?: () => boolean }): Promise<Frame | null> {
    // Wait for the first byte of a frame.
    while (this.buffer.length === 0) {
      const got = await this.pull(opts.idleMs)
      if (got === false) return null
      if (got === TIMEOUT && opts.keepWaiting?.() !== true) throw new FrameError('timeout', `no frame within ${opts.idleMs} ms`)
    }
    const deadline = Date.now() + opts.frameMs
    const need = async (what: string): Promise<void> => {
      const left = deadline - Date.now()
      const got = left > 0 ? await this.pull(left) : TIMEOUT
      if (got === TIMEOUT) throw new FrameError('timeout', `${what} did not arrive within ${opts.frameMs} ms`)
      if (got === false) throw new FrameError('truncated', `stream ended in the middle of ${what}`)
    }
    let prefix = this.varintAt(0)
    while (prefix === undefined) { await need('a frame length'); prefix = this.varintAt(0) }
    const [length, lengthBytes] = prefix
    if (length > this.maxBytes) throw new FrameError('frame_too_large', `frame of ${length} bytes is over the limit of ${this.maxBytes}`)
    if (length === 0) throw new FrameError('bad_frame', 'empty frame')
    while (this.buffer.length < lengthBytes + length) await need('a frame')
    const payload = this.buffer.subarray(lengthBytes, lengthBytes + length)
    this.buffer.consume(lengthBytes + length)
    return decodePayload(payload)
  }
}

function decodePayload (payload: Uint8Array): Frame {
  let headerLength = 0
  let scale = 1
  let o = 0
  for (;; o++) {
    if (o >= payload.length || o >= 5) throw new FrameError('bad_frame', 'frame header length is not a valid varint')
    const byte = payload[o]
    headerLength += (byte & 0x7f) * scale
    scale *= 128
    if ((byte & 0x80) === 0) { o++; break }
  }
  if (o + headerLength > payload.length) throw new FrameError('bad_frame', 'frame header is longer than the frame')
  let header: unknown
  try {
    header = JSON.parse(decoder.decode(payload.subarray(o, o + headerLength)))
  } catch {
    throw new FrameError('bad_frame', 'frame header is not UTF-8 JSON')
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new FrameError('bad_frame', 'frame header is not a JSON object')
  const h = header as Record<string, unknown>
  if (h.k !== 'q' && h.k !== 'r' && h.k !== 'e') throw new FrameError('bad_frame', 'frame kind "k" must be "q", "r" or "e"')
  if (h.i !== null && !Number.isSafeInteger(h.i)) throw new FrameError('bad_frame', 'frame id "i" must be an integer')
  // A view, not a copy: the frame was already copied out of the stream buffer once.
  const bytes = payload.length > o + headerLength ? payload.subarray(o + headerLength) : undefined
  return { header: h as unknown as FrameHeader, bytes }
}

/** Serialises writes on a stream and honours backpressure. */
/**
 * Writes frames in order. Frames written during one turn of the event loop go out as one `send`
 * (flushed in `setImmediate`, right after the I/O that produced them): with many requests in flight
 * the replies to one incoming chunk leave in one noise message and one yamux frame instead of one
 * each, which cost the owner more CPU (encryption, syscalls) than the replies themselves. While a
 * send waits for the stream to drain, later frames gather and follow in the next one.
 */
export class FrameWriter {
  private chain: Promise<void> = Promise.resolve()
  private pending: Uint8Array[] = []
  private waiting: Array<{ resolve: () => void, reject: (err: unknown) => void }> = []
  private scheduled = false
  constructor (private readonly stream: Stream, private readonly maxBytes: number) {}

  /** Resolves once the frame was handed to the stream; rejects if the stream closed first. Throws a FrameError at once for a frame that is too large. */
  write (frame: Frame): Promise<void> {
    const bytes = encodeFrame(frame, this.maxBytes)
    return new Promise<void>((resolve, reject) => {
      this.pending.push(bytes)
      this.waiting.push({ resolve, reject })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => { this.flush() })
      }
    })
  }

  private flush (): void {
    this.scheduled = false
    const parts = this.pending
    const waiting = this.waiting
    this.pending = []
    this.waiting = []
    this.chain = this.chain.then(async () => {
      if (this.stream.writeStatus !== 'writable') throw new Error('stream is closed for writing')
      if (!this.stream.send(parts.length === 1 ? parts[0] : concat(parts))) await this.stream.onDrain()
    }).then(
      () => { for (const w of waiting) w.resolve() },
      (err: unknown) => { for (const w of waiting) w.reject(err) }
    )
  }
}

function concat (parts: Uint8Array[]): Uint8Array {
  let size = 0
  for (const p of parts) size += p.length
  const out = new Uint8Array(size)
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}
