import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { Hono, type Context } from 'hono'
import { setCookie } from 'hono/cookie'
import { streamSSE } from 'hono/streaming'
import { GoopError, isGoopError, type Logger, type PeerEntry } from '@goop/sdk'
import type { PresenceService } from '../presence/service.js'
import type { EventLog } from '../mq/event-log.js'
import type { MqService } from '../mq/service.js'
import type { PluginHost } from '../plugins/host.js'
import { cookieName, ownerOnly, sameOriginOnly, sameToken } from './auth.js'
import { closeServer } from './close-server.js'
import { viewerPage } from './page.js'
import { parseSiteHost, siteOrigins, siteRedirect } from './sites.js'
import { mountViewerAssets } from './assets.js'

export interface ViewerDeps {
  self: () => { peerId: string, name: string, addrs: string[] }
  peers: () => PeerEntry[]
  presence: PresenceService
  plugins: PluginHost
  events: EventLog
  /** For site origins' `/.goop/events`. */
  mq: Pick<MqService, 'bus' | 'subscribeRemote' | 'isShared'>
  log: Logger
}

export function errorResponse (c: Context, err: unknown): Response {
  if (isGoopError(err)) return c.json({ error: { code: err.code, message: err.message } }, err.status as 400)
  return c.json({ error: { code: 'internal', message: 'internal error' } }, 500)
}

/** The viewer's routes (DESIGN §5). Exported apart from the listener so tests can call `app.request`. */
export function viewerApp (deps: ViewerDeps, token: string, allowedHosts: () => Set<string>, port: () => number): Hono {
  const app = new Hono()
  app.onError((err, c) => {
    if (!isGoopError(err)) deps.log.error('viewer route failed', { path: c.req.path, error: err.message })
    return errorResponse(c, err)
  })
  app.notFound(c => c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404))
  // Site origins first (`<label>.localhost:<port>`, sites.ts): they never reach anything below.
  const sites = siteOrigins({ me: () => deps.self().peerId, plugins: deps.plugins, mq: deps.mq, log: deps.log }, port)
  app.use('*', async (c, next) => {
    const host = c.req.header('host') ?? ''
    if (allowedHosts().has(host)) return await next()
    const site = parseSiteHost(host, port())
    if (site === undefined) return await next() // neither the viewer nor a site: sameOriginOnly answers 403
    if (site === 'bad') return c.json({ error: { code: 'bad_site', message: `${JSON.stringify(host.slice(0, 200))} names no peer (a site origin is http://<peer ID as base36 CIDv1>.localhost:${port()})` } }, 400)
    return await sites.fetch(c.req.raw, c.env, site)
  })
  // A navigation to a peer's site: no token needed, but only on the viewer's own Host.
  app.on(['GET', 'HEAD'], ['/p/:peerId', '/p/:peerId/*'], (c) => {
    if (!allowedHosts().has(c.req.header('host') ?? '')) return c.json({ error: { code: 'forbidden_host', message: 'this viewer does not answer for that host' } }, 403)
    return siteRedirect(c.req.url, port())
  })
  app.use('*', sameOriginOnly(allowedHosts))
  mountViewerAssets(app, deps.log) // the UI's /app.js and /app.css (src/viewer/ui)

  app.get('/', (c) => {
    const given = c.req.query('token')
    if (given != null) {
      if (!sameToken(given, token)) return c.html(viewerPage({ badToken: true }), 401)
      setCookie(c, cookieName(port()), token, { httpOnly: true, sameSite: 'Strict', path: '/' })
      return c.redirect('/', 303)
    }
    // The UI is /app.js and /app.css only; the site preview is framed from the peers' own origins.
    c.header('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
      `frame-src 'self' http://*.localhost:${port()}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`)
    return c.html(viewerPage({ badToken: false }))
  })

  const api = new Hono()
  api.use('*', ownerOnly(token, () => cookieName(port())))
  api.get('/self', c => c.json({ ...deps.self(), plugins: deps.plugins.list() }))
  api.get('/peers', c => c.json(deps.peers()))
  api.post('/peers/:peerId/:action{block|unblock}', async (c) => {
    const peerId = c.req.param('peerId')
    if (c.req.param('action') === 'block') await deps.presence.block(peerId)
    else await deps.presence.unblock(peerId)
    return c.json({ peerId, blocked: deps.presence.isBlocked(peerId) })
  })
  api.get('/presence', c => c.json({ ...deps.presence.stats(), blocked: deps.presence.blockedList() }))
  api.get('/plugins', c => c.json(deps.plugins.list()))
  api.post('/plugins/:name/:action{enable|disable}', async (c) => {
    const name = c.req.param('name')
    if (c.req.param('action') === 'disable') return c.json(await deps.plugins.disable(name))
    let trust = false
    const text = await c.req.text()
    if (text.length > 0) {
      if (text.length > 4096) throw new GoopError('bad_request', 'request body is too large')
      let body: unknown
      try { body = JSON.parse(text) } catch { throw new GoopError('bad_request', 'request body is not JSON') }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new GoopError('bad_request', 'request body must be a JSON object like { "trust": true }')
      const t = (body as Record<string, unknown>).trust
      if (t !== undefined && typeof t !== 'boolean') throw new GoopError('bad_request', '"trust" must be true or false')
      trust = t === true
    }
    return c.json(await deps.plugins.enable(name, { trust }))
  })
  api.get('/events', (c) => {
    const header = c.req.header('last-event-id') ?? c.req.query('lastEventId')
    const lastId = header != null && /^\d{1,16}$/.test(header) && Number.isSafeInteger(Number(header)) ? Number(header) : deps.events.newestId
    return streamSSE(c, async (stream) => {
      const { events, gap, oldest } = deps.events.since(lastId)
      const queue = [...events]
      if (gap) await stream.writeSSE({ event: 'events.gap', data: JSON.stringify({ requested: lastId, oldest }) })
      let wake: (() => void) | undefined
      let overflow = false
      const off = deps.events.listen((e) => {
        queue.push(e)
        if (queue.length > 10_000) overflow = true // a client that does not read: cut it loose
        wake?.()
      })
      let closed = false
      stream.onAbort(() => { closed = true; off(); wake?.() })
      await stream.writeSSE({ event: 'ready', data: JSON.stringify({ lastEventId: lastId }) })
      while (!closed && !overflow) {
        const e = queue.shift()
        if (e == null) {
          let timer: NodeJS.Timeout | undefined
          await new Promise<void>(resolve => { wake = resolve; timer = setTimeout(resolve, 15_000) })
          clearTimeout(timer) // woken by an event or a disconnect: a pending keep-alive timer would hold the process open
          wake = undefined
          if (queue.length === 0 && !closed) await stream.write(': keep-alive\n\n')
          continue
        }
        await stream.writeSSE({ id: String(e.id), event: e.topic, data: e.data })
      }
      off()
    })
  })
  // A plugin's routes: at /api/x/<name>/, and also at /api/<name>/ (so the site plugin's file API is
  // /api/site/files/…). The kernel's own routes above always win over a plugin of the same name.
  const toPlugin = (prefix: (name: string) => string) => async (c: Context): Promise<Response> => {
    const name = c.req.param('name') ?? ''
    const router = deps.plugins.routerOf(name)
    if (router == null) throw new GoopError('not_found', `plugin ${name} is not running`, 404)
    const url = new URL(c.req.url)
    url.pathname = url.pathname.slice(prefix(name).length) || '/'
    return await router.fetch(new Request(url, c.req.raw))
  }
  api.all('/x/:name/*', toPlugin(name => `/api/x/${name}`))
  api.all('/:name/*', toPlugin(name => `/api/${name}`))
  app.route('/api', api)
  return app
}

export interface Viewer {
  url: string
  port: number
  token: string
  close: () => Promise<void>
}

/** Serve the viewer. If the default port is taken, the next free ones are tried (an explicit port is not). */
export async function startViewer (deps: ViewerDeps, opts: { host: string, port: number, portIsExplicit: boolean }): Promise<Viewer> {
  const token = randomBytes(24).toString('base64url')
  let port = 0
  const hosts = new Set<string>()
  const app = viewerApp(deps, token, () => hosts, () => port)
  const tries = opts.portIsExplicit || opts.port === 0 ? 1 : 20
  let server: ServerType | undefined
  let lastError: NodeJS.ErrnoException | undefined
  for (let i = 0; i < tries && server == null; i++) {
    try {
      server = await listen(app, opts.host, opts.port === 0 ? 0 : opts.port + i)
    } catch (err) {
      lastError = err as NodeJS.ErrnoException
      if (lastError.code !== 'EADDRINUSE') break
    }
  }
  if (server == null) {
    throw new GoopError('viewer_port', `viewer cannot listen on ${opts.host}:${opts.port}: ${lastError?.message ?? 'unknown error'}` +
      (lastError?.code === 'EADDRINUSE' ? ' (is another goop peer running? pass --viewer-port N, or 0 for any free port)' : ''))
  }
  port = (server.address() as AddressInfo).port
  for (const h of ['127.0.0.1', 'localhost', '[::1]', opts.host.includes(':') ? `[${opts.host}]` : opts.host]) hosts.add(`${h}:${port}`)
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host
  const s = server
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    close: async () => { await closeServer(s) }
  }
}

function listen (app: Hono, hostname: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname, port }, () => { server.off('error', reject); resolve(server) })
    server.once('error', reject)
  })
}
