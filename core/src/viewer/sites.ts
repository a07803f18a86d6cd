import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { peerIdFromCID, peerIdFromString } from '@libp2p/peer-id'
import { Hono, type Context } from 'hono'
import { base36 } from 'multiformats/bases/base36'
import { CID } from 'multiformats/cid'
import { GoopError, isGoopError, type Logger, type MessageMeta } from '@goop/sdk'
import type { MqService } from '../mq/service.js'
import type { PluginHost } from '../plugins/host.js'

/**
 * Site origins (DESIGN §5): every peer's site is browsed on an origin of its own,
 * `http://<label>.localhost:<port>/`, where `<label>` is the peer ID as a base36 CIDv1 (libp2p-key
 * codec). The browser keeps origins apart, so a site's scripts cannot read the viewer, the owner's
 * cookie, or another site. On a site origin the viewer serves:
 *
 * - `/.goop/goop.js`, `/.goop/info`, `/.goop/events` — the kernel's own, and only for requests from
 *   that very origin; other `/.goop/*` paths go to the plugins' site routers, after the same check;
 * - `/api/*` — never: 404, whatever token or cookie comes with it;
 * - everything else — the running plugins' site routers (`ctx.http.site`), in plugin order; the site
 *   plugin's catch-all serves the owner's files.
 *
 * Every answer carries a strict Content-Security-Policy, `nosniff` and `no-referrer`.
 */

export interface SiteDeps {
  /** This peer: the visitor of every site it shows. */
  me: () => string
  plugins: Pick<PluginHost, 'siteRouters'>
  mq: Pick<MqService, 'bus' | 'subscribeRemote' | 'isShared'>
  log: Logger
}

/** The libp2p-key multicodec: a CIDv1 with it names a peer (as IPFS subdomain gateways do). */
const LIBP2P_KEY = 0x72
const LABEL = /^k[0-9a-z]{1,62}$/

/** The DNS label of a peer's site origin: its ID as a base36 CIDv1. Throws a 400 for anything else. */
export function siteLabel (peerId: string): string {
  let label: string
  try {
    label = peerIdFromString(peerId).toCID().toString(base36)
  } catch {
    throw new GoopError('bad_peer', `${JSON.stringify(peerId.slice(0, 100))} is not a peer ID`, 400)
  }
  if (label.length > 63) throw new GoopError('bad_peer', 'that peer ID is too long for one DNS label', 400)
  return label
}

const labels = new Map<string, string | undefined>()

/** The peer ID a site label names, or undefined when it is not a canonical base36 libp2p-key CID. */
export function peerFromLabel (label: string): string | undefined {
  if (labels.has(label)) return labels.get(label)
  let peer: string | undefined
  if (LABEL.test(label)) {
    try {
      const cid = CID.parse(label, base36)
      if (cid.version === 1 && cid.code === LIBP2P_KEY) {
        const id = peerIdFromCID(cid).toString()
        if (siteLabel(id) === label) peer = id // the one spelling only: origins must not alias
      }
    } catch { /* not a CID */ }
  }
  labels.set(label, peer)
  if (labels.size > 4096) labels.delete(labels.keys().next().value!)
  return peer
}

/**
 * What a Host header names: a site (`<label>.localhost:<port>`, with the peer it decodes to, or
 * `bad` when the label names none), or undefined when it is not a site host at all.
 */
export function parseSiteHost (host: string, port: number): { peer: string, origin: string } | 'bad' | undefined {
  const h = host.toLowerCase()
  const suffix = `.localhost:${port}`
  if (!h.endsWith(suffix)) return undefined
  const label = h.slice(0, -suffix.length)
  const peer = peerFromLabel(label)
  return peer == null ? 'bad' : { peer, origin: `http://${label}.localhost:${port}` }
}

export function siteOrigin (peerId: string, port: number): string {
  return `http://${siteLabel(peerId)}.localhost:${port}`
}

/** The Content-Security-Policy of every site origin answer. */
export function siteCsp (port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "frame-src 'self'",
    `frame-ancestors 'self' http://127.0.0.1:${port} http://localhost:${port}`,
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'"
  ].join('; ')
}

/** Marks the 404 of a plugin's site router none of whose routes matched (removed before it leaves). */
export const NO_ROUTE_HEADER = 'x-goop-no-route'
/** The header the kernel sets to the site owner's peer ID for plugins' site routes (never the browser's). */
export const SITE_HEADER = 'x-goop-site'
/** Headers a site origin request never passes on: the owner's credentials, and the kernel's own. */
const STRIPPED = ['cookie', 'authorization', SITE_HEADER, NO_ROUTE_HEADER]
/** Bodies sent to plugins' site routes (a form post): read once, so each router can be tried. */
const MAX_BODY = 8 * 1024 * 1024
/** Event streams open at once (each holds remote subscriptions). */
const MAX_EVENT_STREAMS = 64
const MAX_TOPICS = 32
const TOPIC = /^[^\s,*]{1,256}$/
/** A browser that does not read its event stream is cut off beyond this much unsent data. */
const MAX_EVENT_BACKLOG = 1024 * 1024
const KEEP_ALIVE_MS = 15_000
const RETRY_MS = 15_000

interface Site { peer: string, origin: string }
type Env = { site: Site }

function jsonError (status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status })
}

function escapeHtml (s: string): string {
  return s.replace(/[&<>"']/g, ch => `&#${ch.charCodeAt(0)};`)
}

function page (status: number, title: string, text: string): Response {
  const html = `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title>` +
    '<style>body{font:16px/1.5 system-ui,sans-serif;color:#1d2330;background:#f6f7f9;margin:0;display:grid;place-items:center;min-height:100vh}' +
    'main{max-width:34rem;padding:2rem}h1{font-size:1.4rem;margin:0 0 .5rem}p{color:#4a5263}</style>' +
    `<main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></main></html>\n`
  return new Response(html, { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } })
}

/** The goop.js bundle (built from sdk/src/browser by `npm run build`), read once. */
let goopBundle: { text: string } | undefined
function goopJsBundle (): string {
  if (goopBundle == null) {
    const file = createRequire(import.meta.url).resolve('@goop/sdk/goop.js')
    goopBundle = { text: readFileSync(file, 'utf8') }
  }
  return goopBundle.text
}

/**
 * The site origins' request handler: `fetch(req, env, site)` answers one request whose Host named
 * `site`. Security headers are put on every answer, whoever made it.
 */
export function siteOrigins (deps: SiteDeps, port: () => number): { fetch: (req: Request, env: unknown, site: Site) => Promise<Response> } {
  const app = new Hono<{ Bindings: Env }>()
  app.onError((err, c) => {
    if (!isGoopError(err)) deps.log.error('site origin route failed', { path: c.req.path, error: err.message })
    return isGoopError(err) ? jsonError(err.status, err.code, err.message) : jsonError(500, 'internal', 'internal error')
  })

  // The admin API does not exist here: a site's script must never reach it, token or not.
  app.all('/api', c => jsonError(404, 'not_found', `no route ${c.req.method} ${c.req.path} on a site origin`))
  app.all('/api/*', c => jsonError(404, 'not_found', `no route ${c.req.method} ${c.req.path} on a site origin`))

  // `/.goop/*` acts for the visitor: only this very origin may ask (so one site cannot make its
  // visitor act on another). Browsers send no Origin on a same-origin GET (fetch, EventSource); for
  // those, the browser's own `Sec-Fetch-Site: same-origin`, which no script can set, stands in.
  app.use('/.goop/*', async (c, next) => {
    const origin = c.req.header('origin')
    const method = c.req.method
    if (origin != null) {
      if (origin !== c.env.site.origin) return jsonError(403, 'forbidden_origin', `requests from origin ${origin.slice(0, 200)} are not allowed here`)
    } else if (!((method === 'GET' || method === 'HEAD') && (c.req.path === '/.goop/goop.js' || c.req.header('sec-fetch-site') === 'same-origin'))) {
      return jsonError(403, 'forbidden_origin', `${c.req.path} answers only requests from ${c.env.site.origin}`)
    }
    await next()
  })

  app.get('/.goop/goop.js', (c) => {
    let bundle: string
    try { bundle = goopJsBundle() } catch {
      throw new GoopError('not_built', 'goop.js is not built (run npm run build)', 500)
    }
    // The bundle reads who is who from `__goop_boot`: the kernel hands it in, nothing is fetched first.
    const text = `(function (__goop_boot) {\n${bundle}\n})(${JSON.stringify({ peer: c.env.site.peer, me: deps.me() })});\n`
    const etag = `"${createHash('sha256').update(text).digest('base64url').slice(0, 22)}"`
    const headers = { 'content-type': 'text/javascript; charset=utf-8', etag, 'cache-control': 'no-cache' }
    if (c.req.header('if-none-match') === etag) return new Response(null, { status: 304, headers })
    return new Response(text, { headers })
  })

  app.get('/.goop/info', c => Response.json({ peer: c.env.site.peer, me: deps.me() }, { headers: { 'cache-control': 'no-store' } }))

  let eventStreams = 0
  app.get('/.goop/events', (c) => {
    const raw = c.req.query('topics') ?? ''
    const topics = [...new Set(raw.split(','))]
    const bad = topics.find(t => !TOPIC.test(t) || t.startsWith('goop.'))
    if (raw === '' || bad != null) {
      return jsonError(400, 'bad_topics', `topics=${JSON.stringify(raw.slice(0, 100))}: give topics separated by commas (each 1–256 characters, no spaces or *, not starting with "goop.")`)
    }
    if (topics.length > MAX_TOPICS) return jsonError(400, 'bad_topics', `at most ${MAX_TOPICS} topics per stream`)
    // HEAD: the body is thrown away unread and the connection stays, so nothing may be subscribed.
    if (c.req.method === 'HEAD') return new Response(null, { headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' } })
    if (eventStreams >= MAX_EVENT_STREAMS) return jsonError(429, 'too_many', `at most ${MAX_EVENT_STREAMS} event streams at once`)
    eventStreams++
    return eventStream(deps, c.env.site.peer, topics, c.req.raw.signal, () => { eventStreams-- })
  })

  // Everything else: the plugins' site routes, in plugin order; the first answer that is not 404
  // wins. Other `/.goop/*` paths go there too (e.g. the data plugin's `/.goop/data`), after the
  // same-origin check above: they act for the visitor.
  const toPlugins = async (c: Context<{ Bindings: Env }>, notFound: () => Response): Promise<Response> => {
    const routers = deps.plugins.siteRouters()
    if (routers.length === 0) return notFound()
    const req = c.req.raw
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
    let body: ArrayBuffer | undefined
    if (hasBody) {
      const length = Number(req.headers.get('content-length') ?? 0)
      if (length > MAX_BODY) return jsonError(413, 'too_large', `request bodies on a site origin are limited to ${MAX_BODY} bytes`)
      body = await req.arrayBuffer()
      if (body.byteLength > MAX_BODY) return jsonError(413, 'too_large', `request bodies on a site origin are limited to ${MAX_BODY} bytes`)
    }
    const headers = new Headers(req.headers)
    headers.set(SITE_HEADER, c.env.site.peer)
    let fallback: Response | undefined
    for (const { router } of routers) {
      const res = await router.fetch(new Request(req.url, { method: req.method, headers, body, signal: req.signal }))
      if (res.status !== 404) { await fallback?.body?.cancel(); return res }
      if (res.headers.get(NO_ROUTE_HEADER) == null && fallback == null) fallback = res
      else await res.body?.cancel()
    }
    return fallback ?? notFound()
  }
  app.all('/.goop/*', async c => await toPlugins(c, () => jsonError(404, 'not_found', `no route ${c.req.method} ${c.req.path}`)))
  app.all('*', async c => await toPlugins(c, () => deps.plugins.siteRouters().length === 0
    ? page(404, 'No site here', 'This peer has no plugin that serves sites (is the site plugin switched off?).')
    : page(404, 'Not found', 'There is no such page on this site.')))

  return {
    fetch: async (req, env, site) => {
      let res: Response
      const fetchSite = req.headers.get('sec-fetch-site')
      if (fetchSite != null && fetchSite !== 'same-origin' && fetchSite !== 'none' && req.headers.get('sec-fetch-mode') !== 'navigate') {
        // Another page's <img>, <script> or fetch() must not make this peer fetch sites for it.
        res = jsonError(403, 'forbidden_origin', 'a site origin answers other origins only for navigations')
      } else {
        const headers = new Headers(req.headers)
        for (const h of STRIPPED) headers.delete(h)
        const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
        const inner = new Request(req.url, { method: req.method, headers, signal: req.signal, ...(hasBody ? { body: req.body, duplex: 'half' } : {}) } as RequestInit)
        res = await app.fetch(inner, { ...(env as object), site })
      }
      return secured(res, port())
    }
  }
}

/** Every site origin answer, from the kernel or a plugin: strict CSP, nosniff, no referrer. */
function secured (res: Response, port: number): Response {
  const headers = new Headers(res.headers)
  headers.delete(NO_ROUTE_HEADER)
  headers.set('content-security-policy', siteCsp(port))
  headers.set('x-content-type-options', 'nosniff')
  headers.set('referrer-policy', 'no-referrer')
  headers.set('cross-origin-resource-policy', 'same-origin')
  const empty = res.status === 204 || res.status === 205 || res.status === 304
  return new Response(empty ? null : res.body, { status: res.status, statusText: res.statusText, headers })
}

/**
 * `/.goop/events`: the owner's topics as Server-Sent Events (`event:` topic, `data:` JSON payload,
 * `id:` the message ID). For another peer's site the visitor's peer subscribes at the owner
 * (`mq.subscribeRemote`: the owner accepts only topics it shared); for the own site, locally, with
 * the same rule. A topic that is refused or unreachable gets a `goop.error` event (unreachable ones
 * are tried again every 15 s); `goop.ready` lists the topics followed. Closing the stream ends every
 * subscription it made.
 */
function eventStream (deps: SiteDeps, owner: string, topics: string[], signal: AbortSignal, onEnd: () => void): Response {
  const encoder = new TextEncoder()
  const offs: Array<() => void> = []
  const accepted = new Set<string>()
  let closed = false
  let keepAlive: NodeJS.Timeout | undefined
  let retry: NodeJS.Timeout | undefined
  let controller!: ReadableStreamDefaultController<Uint8Array>

  const end = (): void => {
    if (closed) return
    closed = true
    clearInterval(keepAlive)
    clearTimeout(retry)
    for (const off of offs.splice(0)) { try { off() } catch { /* already gone */ } }
    signal.removeEventListener('abort', end)
    onEnd()
  }
  const send = (text: string): void => {
    if (closed) return
    try {
      controller.enqueue(encoder.encode(text))
      if ((controller.desiredSize ?? 0) < -MAX_EVENT_BACKLOG) {
        deps.log.warn('cut off a site event stream that does not read', { owner })
        controller.error(new Error('event stream backlog'))
        end()
      }
    } catch { end() }
  }
  const event = (name: string, data: unknown, id?: string): void => {
    // Topics have no whitespace (checked); an ID from another peer is used only if it is one safe token.
    const idLine = id != null && /^[\x21-\x7e]{1,128}$/.test(id) ? `id: ${id}\n` : ''
    send(`${idLine}event: ${name}\ndata: ${JSON.stringify(data ?? null)}\n\n`)
  }

  const me = deps.me()
  const subscribe = async (topic: string): Promise<boolean> => {
    const handler = (payload: unknown, meta: MessageMeta): void => { event(topic, payload, meta.id) }
    try {
      let off: () => void
      if (owner === me) {
        if (!deps.mq.isShared(topic)) throw new GoopError('forbidden', `topic ${topic} is not shared by this peer`)
        off = deps.mq.bus.subscribe(topic, handler)
      } else {
        off = await deps.mq.subscribeRemote(owner, topic, handler)
      }
      if (closed) { off(); return true }
      offs.push(off)
      accepted.add(topic)
      return true
    } catch (err) {
      const code = isGoopError(err) ? err.code : 'unreachable'
      event('goop.error', { topic, code, message: (err as Error)?.message ?? String(err) })
      return code === 'forbidden' || code === 'too_many' // refused for good: not tried again
    }
  }
  const start = async (): Promise<void> => {
    let pending = topics
    const round = async (): Promise<void> => {
      const done = await Promise.all(pending.map(subscribe))
      pending = pending.filter((_, i) => !done[i])
    }
    await round()
    event('goop.ready', { topics: [...accepted] })
    const again = (): void => {
      if (closed || pending.length === 0) return
      retry = setTimeout(() => {
        void round().then(() => {
          if (!closed && accepted.size > 0) event('goop.ready', { topics: [...accepted] })
          again()
        })
      }, RETRY_MS)
    }
    again()
  }

  const body = new ReadableStream<Uint8Array>({
    start (c) {
      controller = c
      if (signal.aborted) { end(); return }
      signal.addEventListener('abort', end)
      keepAlive = setInterval(() => { send(': keep-alive\n\n') }, KEEP_ALIVE_MS)
      send(': goop events\n\n')
      void start().catch((err: unknown) => { deps.log.warn('site event stream failed', { owner, error: (err as Error)?.message }) })
    },
    cancel () { end() }
  }, { highWaterMark: 0 })
  return new Response(body, {
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' }
  })
}

/** `GET /p/<peerId>/<path>` on the viewer's origin: where that peer's site lives. */
export function siteRedirect (url: string, port: number): Response {
  const u = new URL(url)
  const m = /^\/p\/([^/]*)(\/.*)?$/.exec(u.pathname)
  if (m == null) return jsonError(404, 'not_found', 'no such route')
  let label: string
  try {
    label = siteLabel(m[1])
  } catch (err) {
    return jsonError(400, (err as GoopError).code, (err as GoopError).message)
  }
  return new Response(null, {
    status: 302,
    headers: { location: `http://${label}.localhost:${port}${m[2] ?? '/'}${u.search}`, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }
  })
}
