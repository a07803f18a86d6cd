import '@goop/sdk/node-polyfill'
import { writeFile } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { upgradeWebSocket } from '@hono/node-server'
import { Hono, type Context } from 'hono'
import type { WebSocket } from 'ws'
import { definePlugin, GoopError, z } from '@goop/sdk'
import { DASHBOARD_HTML, DASHBOARD_JS } from './dashboard.js'
import { startRelay, type Relay } from './relay.js'
import { RendezvousServer } from './server.js'

export { CLOSE, DROP_REASONS, type DropReason } from './server.js'

const GiB = 1024 * 1024 * 1024
const port = z.number().int().min(0).max(65535)
const positive = z.number().int().positive()

export const RendezvousConfigSchema = z.strictObject({
  /** The public HTTP/WebSocket listener; 0 = any free port. */
  httpPort: port.default(8787),
  host: z.string().min(1).max(255).default('0.0.0.0'),
  /** Run the circuit relay v2 server. */
  relay: z.boolean().default(true),
  /** The relay's libp2p TCP port; 0 = any free port. */
  relayPort: port.default(0),
  relayHost: z.string().min(1).max(255).default('0.0.0.0'),
  /** Relay multiaddrs to announce (e.g. a public IP or DNS name) instead of the listen addresses. */
  announce: z.array(z.string().max(512).startsWith('/')).max(16).default([]),
  /** Open WebSocket connections, proven or not. */
  maxConnections: positive.default(20_000),
  /** Per remote IP address; 0 = no per-IP bound (e.g. behind a reverse proxy). */
  maxConnectionsPerIp: z.number().int().min(0).default(0),
  /** A peer that neither pings nor publishes within this time leaves. */
  ttlMs: z.number().int().min(1000).default(20_000),
  /** A connection must prove its key within this time. */
  helloTimeoutMs: z.number().int().min(100).default(10_000),
  /** Token bucket per connection: messages per second, and the burst. */
  rateLimitPerSecond: positive.default(20),
  rateLimitBurst: positive.default(40),
  /** A client that does not read is closed when this much waits to be sent to it. */
  maxBufferedBytes: positive.default(16 * 1024 * 1024),
  /** Deltas (join/update/leave) are collected this long and written to each connection in one go. */
  batchMs: z.number().int().min(0).max(1000).default(100),
  /** At most one punch hint per pair of peers within this time. */
  punchCooldownMs: z.number().int().min(0).default(5000),
  /** Relay limits (README, "Relay limits"). */
  relayMaxReservations: positive.default(1024),
  relayReservationTtlMs: positive.default(60 * 60 * 1000),
  /** Bytes per relayed connection (both directions together) before the relay resets it. */
  relayDataLimit: positive.default(GiB),
  /** How long one relayed connection may last before the relay resets it. */
  relayDurationMs: positive.default(60 * 60 * 1000),
  /** Relayed connections open at once. */
  relayMaxCircuits: positive.default(1024),
  /** libp2p connections to the relay node (reservations hold one each). */
  relayMaxConnections: positive.default(4096)
})
export type RendezvousConfig = z.output<typeof RendezvousConfigSchema>

function portArg (name: string, value: string | undefined): number | undefined {
  if (value == null) return undefined
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new GoopError('bad_request', `--${name} must be a port number (0-65535), not "${value}"`)
  return Number(value)
}

/** Wildcard listen hosts are not dialable: name loopback in URLs meant for this machine. */
function localHost (host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1'
  if (host === '::' || host === '[::]') return '[::1]'
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

function remoteIp (c: Context): string {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress ?? ''
}

const USAGE = 'goop rendezvous DIR [--http-port 8787] [--port N]'

export default definePlugin({
  name: 'rendezvous',
  version: '1.0.0',
  sdk: '^1.1.0',
  description: 'A rendezvous server: signed presence over WebSocket, a public dashboard of who is online, and a circuit relay',
  config: RendezvousConfigSchema,
  commands: {
    rendezvous: {
      summary: 'run a rendezvous server (and a circuit relay) from a peer folder',
      usage: USAGE,
      async run (args, tools) {
        let parsed
        try {
          parsed = parseArgs({ args, options: { 'http-port': { type: 'string' }, port: { type: 'string' } }, allowPositionals: true, strict: true })
        } catch (err) {
          throw new GoopError('bad_request', `${(err as Error).message.split('\n')[0]} (usage: ${USAGE})`)
        }
        const { values, positionals } = parsed
        if (positionals.length !== 1) throw new GoopError('bad_request', `usage: ${USAGE}`)
        const httpPort = portArg('http-port', values['http-port'])
        const relayPort = portArg('port', values.port)
        tools.print(`starting a rendezvous server in ${positionals[0]} (HTTP port ${httpPort ?? 'from goop.json, default 8787'}, relay port ${relayPort ?? 'from goop.json, default any'})`)
        await tools.runPeer({
          dir: positionals[0],
          enable: { rendezvous: { config: { ...(httpPort != null ? { httpPort } : {}), ...(relayPort != null ? { relayPort } : {}) } } },
          mdns: false
        })
      }
    }
  },
  async setup (ctx) {
    const cfg = ctx.config
    const server = new RendezvousServer(cfg, ctx.identity, ctx.log)
    ctx.onDispose(() => { server.stop() })

    let relay: Relay | undefined
    if (cfg.relay) {
      relay = await startRelay(join(ctx.dirs.state, 'relay.key'), {
        host: cfg.relayHost,
        port: cfg.relayPort,
        announce: cfg.announce,
        maxReservations: cfg.relayMaxReservations,
        reservationTtlMs: cfg.relayReservationTtlMs,
        dataLimit: cfg.relayDataLimit,
        durationMs: cfg.relayDurationMs,
        maxCircuits: cfg.relayMaxCircuits,
        maxConnections: cfg.relayMaxConnections
      }, ctx.log)
      const r = relay
      ctx.onDispose(async () => { await r.stop() })
    }
    const relayAddrs = (): string[] => relay?.addrs() ?? []
    server.relayAddrs = relayAddrs

    const app = new Hono()
    const json = (c: Context, body: string, status: 200 | 426 | 503 = 200): Response => c.body(body, status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'access-control-allow-origin': '*',
      'x-content-type-options': 'nosniff'
    })
    app.get('/ws', async (c, next) => {
      if (!server.admits(remoteIp(c))) {
        return json(c, JSON.stringify({ error: { code: 'full', message: 'this rendezvous has no room for more connections' } }), 503)
      }
      await next()
    }, upgradeWebSocket((c) => {
      const ip = remoteIp(c)
      let client: ReturnType<RendezvousServer['open']>
      return {
        onOpen: (_e, ws) => {
          const raw = ws.raw as unknown as WebSocket
          const conn = client = server.open(raw, ip)
          // Messages are read from the socket itself (no onMessage): no event object per message, and
          // the size is checked before the bytes become a string.
          if (conn != null) raw.on('message', (data: Buffer) => { server.message(conn, data) })
        },
        onClose: () => { if (client != null && !ctx.signal.aborted) server.closed(client) }
      }
    }, { onError: (err) => { ctx.log.warn('websocket handler failed', { error: (err as Error)?.message ?? String(err) }) } }),
    c => json(c, JSON.stringify({ error: { code: 'upgrade_required', message: 'this is a WebSocket endpoint' } }), 426))
    app.get('/healthz', c => json(c, JSON.stringify({
      ok: true,
      peers: server.peers,
      connections: server.connections,
      authenticated: server.authenticated,
      relay: relay != null ? { reservations: relay.reservations() } : null,
      dropped: server.dropped
    })))
    app.get('/peers', c => json(c, server.peersJson()))
    app.get('/relay', c => json(c, JSON.stringify({ addrs: relayAddrs() })))
    const page = {
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache'
    }
    app.get('/', c => c.html(DASHBOARD_HTML, 200, {
      ...page,
      'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    }))
    app.get('/dashboard.js', c => c.body(DASHBOARD_JS, 200, { ...page, 'content-type': 'text/javascript; charset=utf-8' }))
    app.notFound(c => c.json({ error: { code: 'not_found', message: 'not found' } }, 404))

    const listener = await ctx.http.listen({ host: cfg.host, port: cfg.httpPort, app, websocket: true })
    const httpUrl = `http://${localHost(cfg.host)}:${listener.port}`
    const info = (): { httpUrl: string, relay: string[], relayPeerId: string | null } => ({ httpUrl, relay: relayAddrs(), relayPeerId: relay?.peerId ?? null })
    await writeFile(join(ctx.dirs.state, 'listen.json'), JSON.stringify(info(), null, 2) + '\n')
    ctx.http.router.get('/', c => c.json({ ...info(), peers: server.peers, connections: server.connections, dropped: server.dropped }))
    ctx.log.info('rendezvous listening', { url: httpUrl, ws: `${httpUrl.replace(/^http/, 'ws')}/ws`, relay: relayAddrs() })
  }
})
