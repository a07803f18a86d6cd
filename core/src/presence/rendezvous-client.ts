import type { PrivateKey } from '@libp2p/interface'
import WebSocket from 'ws'
import { RENDEZVOUS_MAX_MESSAGE, rendezvousAuthBytes, ServerMessageSchema, toBase64Url, type ClientMessage, type Logger, type SignedPresence } from '@goop/sdk'

export interface RendezvousClientDeps {
  self: string
  key: PrivateKey
  log: Logger
  heartbeatMs: number
  own: () => SignedPresence | undefined
  /** This peer's record without its seq: publish when it changes, else only ping. */
  ownContent: () => string
  onRecord: (env: SignedPresence) => void
  onLeave: (peerId: string) => void
  onDisconnected: () => void
  onRelays: (addrs: string[]) => void
  onPunch: (peerId: string, addrs: string[]) => void
}

/** `http://host:8787` or `ws://host:8787/ws` → the WebSocket URL. */
export function wsUrl (url: string): string {
  const u = new URL(url)
  if (u.protocol === 'http:') u.protocol = 'ws:'
  if (u.protocol === 'https:') u.protocol = 'wss:'
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/ws'
  return u.toString()
}

/**
 * One rendezvous server, kept connected: proves this peer's key, publishes its record when it
 * changes (a ping otherwise), and hands what the server says (snapshot, deltas, relays, punch
 * hints) to the presence service, which verifies every record itself. Reconnects with backoff.
 */
export class RendezvousClient {
  connected = false
  private ws?: WebSocket
  private published = ''
  private attempt = 0
  private reconnectTimer?: NodeJS.Timeout
  private stopping = false

  constructor (readonly url: string, private readonly deps: RendezvousClientDeps) {}

  start (): void { this.connect() }

  private connect (): void {
    if (this.stopping) return
    let ws: WebSocket
    try {
      ws = new WebSocket(wsUrl(this.url), { maxPayload: 64 * 1024 * 1024, handshakeTimeout: 10_000 })
    } catch (err) {
      this.deps.log.warn('bad rendezvous URL', { url: this.url, error: (err as Error).message })
      return
    }
    this.ws = ws
    ws.on('message', (data) => { void this.onMessage(ws, data.toString()) })
    ws.on('error', (err) => { this.deps.log.debug('rendezvous connection error', { url: this.url, error: err.message }) })
    ws.on('close', () => {
      const was = this.connected
      this.connected = false
      this.published = ''
      if (was) {
        this.deps.log.info('rendezvous connection lost', { url: this.url })
        this.deps.onDisconnected()
      }
      if (!this.stopping) this.scheduleReconnect()
    })
  }

  private scheduleReconnect (): void {
    clearTimeout(this.reconnectTimer)
    const delay = Math.min(30_000, 500 * 2 ** Math.min(this.attempt++, 6)) * (0.75 + Math.random() * 0.5)
    this.reconnectTimer = setTimeout(() => { this.connect() }, delay)
    this.reconnectTimer.unref()
  }

  private send (msg: ClientMessage): void {
    const text = JSON.stringify(msg)
    if (text.length > RENDEZVOUS_MAX_MESSAGE) { this.deps.log.warn('rendezvous message too large to send', { type: msg.t }); return }
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(text)
  }

  private async onMessage (ws: WebSocket, text: string): Promise<void> {
    let raw: unknown
    try { raw = JSON.parse(text) } catch { this.deps.log.debug('rendezvous sent something that is not JSON', { url: this.url }); return }
    const parsed = ServerMessageSchema.safeParse(raw)
    if (!parsed.success) { this.deps.log.debug('rendezvous sent an unknown message', { url: this.url }); return }
    const msg = parsed.data
    switch (msg.t) {
      case 'challenge': {
        const sig = await this.deps.key.sign(rendezvousAuthBytes(msg.nonce))
        if (this.ws !== ws) break
        this.send({ t: 'hello', peerId: this.deps.self, sig: toBase64Url(sig) })
        // Publish at once: the server takes a connection's messages in order, so the record counts as
        // soon as the key is proven, without waiting for the snapshot (large on a busy server).
        const own = this.deps.own()
        if (own != null) { this.send({ t: 'publish', ...own }); this.published = this.deps.ownContent() }
        break
      }
      case 'welcome':
        this.connected = true
        this.attempt = 0
        this.deps.log.info('connected to rendezvous', { url: this.url, peers: msg.peers.length })
        this.heartbeat()
        for (const env of msg.peers) this.deps.onRecord(env)
        if (msg.relay.length > 0) this.deps.onRelays(msg.relay)
        break
      case 'join':
      case 'update':
        this.deps.onRecord({ record: msg.record, sig: msg.sig })
        break
      case 'leave':
        this.deps.onLeave(msg.peerId)
        break
      case 'punch':
        this.deps.onPunch(msg.peerId, msg.addrs)
        break
      case 'error':
        this.deps.log.warn('rendezvous says', { url: this.url, code: msg.code, message: msg.message })
        break
      case 'pong':
        break
    }
  }

  /** Publish the record if its content changed since the server last had it, else ping. */
  heartbeat (): void {
    if (!this.connected) return
    const own = this.deps.own()
    const content = this.deps.ownContent()
    if (own != null && content !== this.published) {
      this.send({ t: 'publish', ...own })
      this.published = content
    } else {
      this.send({ t: 'ping' })
    }
  }

  requestPunch (peerId: string): void {
    if (this.connected) this.send({ t: 'connect', peerId })
  }

  /** Send the goodbye record, then close. */
  async stop (bye?: SignedPresence): Promise<void> {
    this.stopping = true
    clearTimeout(this.reconnectTimer)
    const ws = this.ws
    if (ws == null) return
    if (bye != null && this.connected) this.send({ t: 'publish', ...bye })
    await new Promise<void>((resolve) => {
      if (ws.readyState === WebSocket.CLOSED) { resolve(); return }
      const timer = setTimeout(() => { ws.terminate(); resolve() }, 1000)
      ws.once('close', () => { clearTimeout(timer); resolve() })
      ws.close(1000, 'bye')
    })
  }
}
