// One process of simulated rendezvous clients, started by bench/rendezvous-load.ts (2–4 of them).
// Commands come as JSON lines on stdin, answers go as JSON lines on stdout; the process exits when
// stdin ends.
//
// Each client speaks the real protocol (plugins/rendezvous/README.md) with its own Ed25519 key:
// challenge → hello (sig over RENDEZVOUS_AUTH_DOMAIN + nonce) → welcome → publish (a signed record)
// → {"t":"ping"} every 5 s. The WebSocket layer is a minimal RFC 6455 client on a raw TCP socket
// (HTTP upgrade, masked client frames, unmasked server frames), not the `ws` package: thousands of
// clients share one process here, and a client that must only *hold* its connection should not pay
// for an event per frame or a parse of a 3 MB snapshot. Frames are split by their headers only; a
// payload is read when its type (the byte after `{"t":"`) says it matters to this client.
//
// Modes: `rendezvous` (the protocol above) and `plain` (the baseline: a plain `ws` server; the client
// only connects and sends the same ping every 5 s).
import { createHash, generateKeyPairSync, randomBytes, randomFillSync, sign, type KeyObject } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { createInterface } from 'node:readline'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { PRESENCE_DOMAIN, RENDEZVOUS_AUTH_DOMAIN } from '@goop/sdk'

const HOLD = 0
const SAMPLE = 1
const JOIN = 2
type Role = typeof HOLD | typeof SAMPLE | typeof JOIN

const PING_MS = 5000
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
/**
 * Inside a join delta, the escaped record carries `\"bt\":\"<ns>\"`: when its publish was sent, and
 * `\"ct\":\"<ns>\"`: when that client started to connect.
 */
const MARKER = Buffer.from('\\"bt\\":\\"')
const CONNECT_MARKER = Buffer.from('\\"ct\\":\\"')
const PING = Buffer.from('{"t":"ping"}')

interface Init { port: number, host: string, localAddress?: string, mode: 'rendezvous' | 'plain', worker: number, samples: number }
let cfg!: Init

const now = (): bigint => process.hrtime.bigint()
const msSince = (t: bigint): number => Number(now() - t) / 1e6

// ---- keys ------------------------------------------------------------------------------------------

interface Key { id: string, priv: KeyObject }

/** A new Ed25519 key and its libp2p peer ID (identity multihash of the protobuf public key). ~80 µs. */
function newKey (): Key {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url')
  return { id: peerIdFromPublicKey(publicKeyFromRaw(raw)).toString(), priv: privateKey }
}

const sig = (key: Key, domain: string, text: string): string => sign(null, Buffer.from(domain + text), key.priv).toString('base64url')

// ---- masked client frames --------------------------------------------------------------------------

let maskPool = Buffer.alloc(0)
let maskAt = 0
function mask (): Buffer {
  if (maskAt + 4 > maskPool.length) { maskPool = randomFillSync(Buffer.allocUnsafe(64 * 1024)); maskAt = 0 }
  maskAt += 4
  return maskPool.subarray(maskAt - 4, maskAt)
}

function clientFrame (opcode: number, payload: Buffer): Buffer {
  const n = payload.length
  const head = n < 126 ? 2 : 4
  const out = Buffer.allocUnsafe(head + 4 + n)
  out[0] = 0x80 | opcode
  if (n < 126) out[1] = 0x80 | n
  else { out[1] = 0x80 | 126; out.writeUInt16BE(n, 2) }
  const m = mask()
  m.copy(out, head)
  const at = head + 4
  for (let i = 0; i < n; i++) out[at + i] = payload[i] ^ m[i & 3]
  return out
}

/** The decimal digits after `marker` in `p`, as a bigint (0n if absent). */
function readNs (p: Buffer, marker: Buffer): bigint {
  const at = p.indexOf(marker)
  if (at < 0) return 0n
  let t = 0n
  for (let i = at + marker.length; i < p.length; i++) {
    const d = p[i] - 0x30
    if (d < 0 || d > 9) break
    t = t * 10n + BigInt(d)
  }
  return t
}

// ---- statistics (per window) -----------------------------------------------------------------------

const stats = {
  /** join delta arrival − its publish, ms, at sample clients; latT: that join's publish time */
  latencies: [] as number[],
  latT: [] as bigint[],
  /** the same joins: delta arrival − the joiner's connect, ms (what a joining peer waits to be seen) */
  visible: [] as number[],
  /** join clients: when they sent their publish */
  published: [] as bigint[],
  /** ping → pong at sample clients, ms */
  rtts: [] as number[],
  /** join clients: connect → welcome complete, ms */
  handshakes: [] as number[],
  pingsSent: 0,
  pongs: 0,
  joinsStarted: 0,
  joinFailures: 0,
  /** join deltas received by any client (all of them count frames, cheaply) */
  joinDeltas: 0
}
let windowStart = 0n
let windowEnd = 0n
let inWindow = false

/** Clients that closed without us asking, by reason. */
const dropped: Record<string, number> = {}
const errors: Record<string, number> = {}
const count = (into: Record<string, number>, key: string): void => { into[key] = (into[key] ?? 0) + 1 }

// ---- one client ------------------------------------------------------------------------------------

const clients = new Set<Client>()
const samples: Client[] = []
let held = 0
let seqBase = Date.now()

class Client {
  readonly sock: Socket
  key?: Key
  private http = true
  private httpBuf: Buffer | null = null
  private wsKey: string
  /** An incomplete frame header (plus the first payload bytes) carried to the next chunk. */
  private partial: Buffer | null = null
  /** Payload bytes of the current frame still to come. */
  private left = 0
  /** Pieces of the current payload, or null while skipping it. */
  private parts: Buffer[] | null = null
  private op = 0
  private type = 0
  /** 0: waiting for challenge (or the upgrade, plain), 1: hello sent, 2: published / live. */
  phase = 0
  isHeld = false
  closing = false
  gone = false
  private pingTimer?: NodeJS.Timeout
  private pingAt = 0n
  private readonly t0 = now()
  /** Sample clients: how many other peers they know (snapshot + joins − leaves). */
  known = 0
  onHeld?: (ok: boolean) => void
  private closeCode = 0

  constructor (readonly role: Role, readonly n: number) {
    this.wsKey = randomBytes(16).toString('base64')
    this.sock = connect({ host: cfg.host, port: cfg.port, ...(cfg.localAddress != null ? { localAddress: cfg.localAddress } : {}) })
    this.sock.setNoDelay(true)
    this.sock.on('connect', () => {
      this.sock.write(`GET /ws HTTP/1.1\r\nHost: ${cfg.host}:${cfg.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${this.wsKey}\r\nSec-WebSocket-Version: 13\r\n\r\n`)
    })
    this.sock.on('data', (chunk: Buffer) => { this.onData(chunk) })
    this.sock.on('error', (err: NodeJS.ErrnoException) => { count(errors, `socket ${err.code ?? err.message}`) })
    this.sock.on('close', () => { this.onClose() })
  }

  private onData (chunk: Buffer): void {
    if (this.http) {
      const buf = this.httpBuf == null ? chunk : Buffer.concat([this.httpBuf, chunk])
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) { this.httpBuf = buf; return }
      const head = buf.toString('latin1', 0, end)
      const accept = createHash('sha1').update(this.wsKey + WS_GUID).digest('base64')
      if (!head.startsWith('HTTP/1.1 101') || !head.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`)) {
        this.fail(`upgrade refused: ${head.split('\r\n')[0]}`)
        return
      }
      this.http = false
      this.httpBuf = null
      if (cfg.mode === 'plain') this.live()
      if (end + 4 === buf.length) return
      chunk = buf.subarray(end + 4)
    }
    this.frames(chunk)
  }

  /** Split a chunk into frames by their headers; payloads are kept only where needed. */
  private frames (chunk: Buffer): void {
    let off = 0
    if (this.left > 0) {
      const n = Math.min(this.left, chunk.length)
      if (this.parts != null) this.parts.push(chunk.subarray(0, n))
      this.left -= n
      off = n
      if (this.left === 0) this.frame(this.parts == null ? null : Buffer.concat(this.parts))
      if (off === chunk.length || this.gone) return
    }
    if (this.partial != null) {
      chunk = Buffer.concat([this.partial, chunk.subarray(off)])
      off = 0
      this.partial = null
    }
    const end = chunk.length
    while (off < end && !this.gone) {
      const avail = end - off
      let len = avail >= 2 ? chunk[off + 1] & 0x7f : 0
      let h = 2
      if (avail >= 2 && len === 126) { h = 4; if (avail >= 4) len = chunk.readUInt16BE(off + 2) }
      if (avail >= 2 && len === 127) { h = 10; if (avail >= 10) len = Number(chunk.readBigUInt64BE(off + 2)) }
      // Wait for the header and the payload's first 8 bytes (its `{"t":"x` type) together.
      if (avail < 2 || avail < h + Math.min(len, 8)) { this.partial = Buffer.from(chunk.subarray(off)); return }
      this.op = chunk[off] & 0x0f
      const start = off + h
      this.type = len > 6 ? chunk[start + 6] : 0
      if (end - start >= len) {
        off = start + len
        this.frame(chunk.subarray(start, off))
        continue
      }
      this.left = len - (end - start)
      // Keep the payload if it is small or this client reads everything; skip a big snapshot.
      this.parts = len <= 65_536 || this.role === SAMPLE ? [chunk.subarray(start)] : null
      return
    }
  }

  private frame (p: Buffer | null): void {
    this.parts = null
    const op = this.op
    if (op === 0x8) { // close
      this.closeCode = p != null && p.length >= 2 ? p.readUInt16BE(0) : 1005
      this.closing = true
      this.sock.end()
      return
    }
    if (op === 0x9) { this.sock.write(clientFrame(0xA, p ?? Buffer.alloc(0))); return }
    if (op !== 0x1 && op !== 0x2) return
    switch (this.type) {
      case 0x63: this.onChallenge(p!); break // c
      case 0x77: this.onWelcome(p); break // w
      case 0x6A: this.onJoin(p!); break // j
      case 0x6C: if (this.role === SAMPLE) this.known--; break // l
      case 0x70: // p: pong or punch
        if (p![7] === 0x6F) this.onPong()
        break
      case 0x65: { // e
        let code = 'unknown'
        try { code = JSON.parse(p!.toString()).code } catch { /* keep unknown */ }
        count(errors, code)
        break
      }
      default: break // update, punch
    }
  }

  private onChallenge (p: Buffer): void {
    if (this.phase !== 0) return
    const { nonce } = JSON.parse(p.toString()) as { nonce: string }
    this.key ??= newKey()
    this.send(Buffer.from(JSON.stringify({ t: 'hello', peerId: this.key.id, sig: sig(this.key, RENDEZVOUS_AUTH_DOMAIN, nonce) })))
    this.phase = 1
  }

  private onWelcome (p: Buffer | null): void {
    if (this.phase !== 1) return
    if (this.role === SAMPLE && p != null) this.known += (JSON.parse(p.toString()) as { peers: unknown[] }).peers.length
    if (this.role === JOIN) stats.handshakes.push(msSince(this.t0))
    const key = this.key!
    const fields: Record<string, string> = {}
    let t = 0n
    if (this.role === JOIN) { t = now(); fields.bt = String(t); fields.ct = String(this.t0) }
    const record = JSON.stringify({ v: 1, peerId: key.id, name: `bench ${cfg.worker}-${this.n}`, addrs: [`/ip4/127.0.0.1/tcp/${10_000 + (this.n % 50_000)}`], seq: seqBase++, fields })
    this.send(Buffer.from(JSON.stringify({ t: 'publish', record, sig: sig(key, PRESENCE_DOMAIN, record) })))
    if (this.role === JOIN) stats.published.push(t)
    this.live()
  }

  /** Published (or, plain, connected): held from now on, pinging every 5 s at a random phase. */
  private live (): void {
    this.phase = 2
    this.isHeld = true
    held++
    const first = this.role === JOIN ? PING_MS : Math.random() * PING_MS
    this.pingTimer = setTimeout(() => {
      this.ping()
      this.pingTimer = setInterval(() => { this.ping() }, PING_MS)
    }, first)
    this.onHeld?.(true)
    this.onHeld = undefined
  }

  private ping (): void {
    if (this.gone) return
    if (this.role === SAMPLE) this.pingAt = now()
    this.send(PING)
    if (inWindow) stats.pingsSent++
  }

  private onPong (): void {
    if (inWindow) stats.pongs++
    if (this.role === SAMPLE && this.pingAt !== 0n) {
      if (inWindow) stats.rtts.push(msSince(this.pingAt))
      this.pingAt = 0n
    }
  }

  private onJoin (p: Buffer): void {
    stats.joinDeltas++
    if (this.role !== SAMPLE) return
    this.known++
    const t = readNs(p, MARKER)
    if (t >= windowStart && t !== 0n) {
      const arrived = now()
      stats.latencies.push(Number(arrived - t) / 1e6)
      stats.latT.push(t)
      stats.visible.push(Number(arrived - readNs(p, CONNECT_MARKER)) / 1e6)
    }
  }

  send (payload: Buffer): void {
    if (!this.gone && this.sock.writable) this.sock.write(clientFrame(0x1, payload))
  }

  fail (why: string): void {
    count(errors, why)
    this.sock.destroy()
  }

  close (): void {
    this.closing = true
    this.gone = true
    clearTimeout(this.pingTimer)
    this.sock.destroy()
  }

  private onClose (): void {
    clearTimeout(this.pingTimer)
    if (this.isHeld) held--
    const wasGone = this.gone
    this.gone = true
    clients.delete(this)
    if (!wasGone) count(dropped, this.closeCode !== 0 ? `closed by server ${this.closeCode}` : this.isHeld ? 'connection lost' : `failed before held (phase ${this.phase})`)
    if (this.role === JOIN && !this.isHeld) stats.joinFailures++
    this.onHeld?.(false)
    this.onHeld = undefined
  }
}

// ---- commands ----------------------------------------------------------------------------------------

let nextN = 0

/** Open `count` held clients (samples first), at most `concurrency` handshakes at a time. */
async function open (total: number, concurrency: number, timeoutMs: number): Promise<{ ok: number, failed: number, ms: number }> {
  const t0 = now()
  let ok = 0
  let failed = 0
  let started = 0
  await new Promise<void>((resolve) => {
    const deadline = setTimeout(() => { resolve() }, timeoutMs)
    const next = (): void => {
      if (ok + failed === total) { clearTimeout(deadline); resolve(); return }
      while (started < total && started - ok - failed < concurrency) {
        started++
        const role = samples.length < cfg.samples ? SAMPLE : HOLD
        const c = new Client(role, nextN++)
        clients.add(c)
        if (role === SAMPLE) samples.push(c)
        c.onHeld = (good) => { if (good) ok++; else failed++; next() }
      }
    }
    next()
  })
  return { ok, failed: failed + (total - ok - failed), ms: msSince(t0) }
}

let joinTimer: NodeJS.Timeout | undefined

function startJoins (rate: number, offsetMs: number): void {
  const t0 = Date.now() + offsetMs
  let started = 0
  joinTimer = setInterval(() => {
    const due = Math.floor((Date.now() - t0) * rate / 1000)
    while (started < due) {
      started++
      stats.joinsStarted++
      clients.add(new Client(JOIN, nextN++))
    }
  }, 10)
}

function status (): Record<string, unknown> {
  const known = samples.filter(s => !s.gone).map(s => s.known)
  return {
    held,
    open: clients.size,
    minKnown: known.length > 0 ? Math.min(...known) : null,
    samples: known.length,
    dropped: { ...dropped },
    errors: { ...errors },
    rss: process.memoryUsage().rss
  }
}

function reset (): void {
  stats.latencies = []
  stats.latT = []
  stats.visible = []
  stats.published = []
  stats.rtts = []
  stats.handshakes = []
  stats.pingsSent = 0
  stats.pongs = 0
  stats.joinsStarted = 0
  stats.joinFailures = 0
  stats.joinDeltas = 0
}

const reply = (msg: Record<string, unknown>): void => { process.stdout.write(JSON.stringify(msg) + '\n') }

let cpuAtStart = process.cpuUsage()
let cpuInWindow = { user: 0, system: 0 }

async function command (msg: any): Promise<void> {
  switch (msg.cmd) {
    case 'init': {
      cfg = msg as Init
      reply({ id: msg.id, ok: true })
      break
    }
    case 'open':
      reply({ id: msg.id, ...(await open(msg.count, msg.concurrency ?? 50, msg.timeoutMs ?? 120_000)), ...status() })
      break
    case 'status':
      reply({ id: msg.id, ...status() })
      break
    case 'window': {
      // All workers share the clock: CLOCK_MONOTONIC (process.hrtime) is the same across processes.
      reset()
      windowStart = BigInt(msg.startNs)
      windowEnd = 0n
      inWindow = true
      cpuAtStart = process.cpuUsage()
      if (msg.joinRate > 0) startJoins(msg.joinRate, msg.offsetMs ?? 0)
      reply({ id: msg.id, ok: true })
      break
    }
    case 'end-window': {
      clearInterval(joinTimer)
      windowEnd = BigInt(msg.endNs)
      inWindow = false
      cpuInWindow = process.cpuUsage(cpuAtStart)
      reply({ id: msg.id, ok: true, joinsStarted: stats.joinsStarted })
      break
    }
    case 'collect': {
      // Only joins published within the window [startNs, endNs] count, here and at every receiver.
      const inside = (t: bigint): boolean => t >= windowStart && (windowEnd === 0n || t <= windowEnd)
      reply({
        id: msg.id,
        ...status(),
        latencies: stats.latencies.filter((_, i) => inside(stats.latT[i])).map(v => +v.toFixed(2)),
        visible: stats.visible.filter((_, i) => inside(stats.latT[i])).map(v => +v.toFixed(1)),
        rtts: stats.rtts.map(v => +v.toFixed(2)),
        handshakes: stats.handshakes.map(v => +v.toFixed(1)),
        pingsSent: stats.pingsSent,
        pongs: stats.pongs,
        joinsStarted: stats.joinsStarted,
        joinsPublished: stats.published.filter(inside).length,
        joinFailures: stats.joinFailures,
        joinDeltas: stats.joinDeltas,
        cpuMs: (cpuInWindow.user + cpuInWindow.system) / 1000
      })
      break
    }
    case 'close':
      for (const c of [...clients]) c.close()
      held = 0
      samples.length = 0
      reply({ id: msg.id, ok: true })
      break
    default:
      reply({ id: msg.id, error: `unknown command ${String(msg.cmd)}` })
  }
}

const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  let msg: any
  try { msg = JSON.parse(line) } catch { return }
  command(msg).catch((err: unknown) => { reply({ id: msg.id, error: (err as Error)?.stack ?? String(err) }) })
})
lines.on('close', () => {
  for (const c of [...clients]) c.close()
  process.exit(0)
})
