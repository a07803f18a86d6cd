import { isGoopError, type PluginContext } from '@goop/sdk'
import type { SiteFetchOptions, SiteResponse } from './client.js'
import { etagMatches } from './serve.js'

/**
 * Browsing: the site origins' catch-all (`ctx.http.site`). The viewer hands this plugin every request
 * to `http://<label>.localhost:<port>/<path>` that is not the kernel's own, with the owner's peer ID in
 * `x-goop-site`; this answers it with the owner's file, fetched through the `site` service (over
 * /goop/site/1.0.0, or from this peer's own folder) and streamed to the browser.
 *
 * HTTP on top of the site protocol: `If-None-Match` → 304, `Range: bytes=…` → 206 with
 * `Content-Range` (or 416), `If-Range`, `HEAD`. Small files of other peers are kept in memory (below).
 * A peer that cannot be reached gets a page that says so and tries again, never a hang: the first
 * byte must come within `firstByteMs`.
 */

type Fetch = (peerId: string, path: string, opts?: SiteFetchOptions) => Promise<SiteResponse>

export interface BrowseOptions {
  /** The whole answer's first byte must come within this (then: 504 page). Default 10 s. */
  firstByteMs?: number
  /**
   * A cached file is used without asking the peer for this long after it was last checked; after
   * that (and on a browser's reload) one conditional request asks whether it changed, shared by all
   * requests for it that arrive meanwhile. Default 1 s.
   */
  freshMs?: number
  /** Files up to this size are cached. Default 64 KiB. */
  cacheFileBytes?: number
  /** All cached files together, at most. Default 16 MiB. */
  cacheTotalBytes?: number
  /** The offline page reloads itself after this many seconds. Default 5. */
  retrySeconds?: number
}

interface Cached {
  type: string
  etag: string
  bytes: Uint8Array<ArrayBuffer>
  /** When the peer last confirmed this ETag (epoch ms). */
  checkedAt: number
}

/** Small files of other peers' sites, by peer and path; least recently used goes first. */
class SiteCache {
  private readonly entries = new Map<string, Cached>()
  private total = 0
  constructor (readonly fileBytes: number, readonly totalBytes: number) {}

  get (key: string): Cached | undefined {
    const e = this.entries.get(key)
    if (e != null) { this.entries.delete(key); this.entries.set(key, e) }
    return e
  }

  set (key: string, e: Cached): void {
    this.delete(key)
    if (e.bytes.length > this.fileBytes) return
    this.entries.set(key, e)
    this.total += e.bytes.length
    while (this.total > this.totalBytes) this.delete(this.entries.keys().next().value!)
  }

  delete (key: string): void {
    const e = this.entries.get(key)
    if (e == null) return
    this.entries.delete(key)
    this.total -= e.bytes.length
  }

  get size (): number { return this.total }
}

type ByteRange = { start: number, end?: number } | { suffix: number }

/** `Range: bytes=a-b | a- | -n` (one range). Anything else (several ranges, other units, nonsense) is ignored, as HTTP allows. */
export function parseRange (header: string | null): ByteRange | undefined {
  if (header == null) return undefined
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim())
  if (m == null || (m[1] === '' && m[2] === '')) return undefined
  if (m[1] === '') return { suffix: Number(m[2]) }
  const start = Number(m[1])
  if (m[2] === '') return { start }
  const end = Number(m[2])
  return end < start ? undefined : { start, end }
}

function escapeHtml (s: string): string {
  return s.replace(/[&<>"']/g, ch => `&#${ch.charCodeAt(0)};`)
}

/** A ReadableStream that reads `body` only as the browser takes it, and stops it when the browser goes. */
function streamOf (body: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = body[Symbol.asyncIterator]()
  return new ReadableStream<Uint8Array>({
    async pull (controller) {
      try {
        const { value, done } = await it.next()
        if (done === true) controller.close()
        else controller.enqueue(value)
      } catch (err) {
        controller.error(err) // the browser sees a cut-short answer (its length does not add up)
      }
    },
    async cancel () { await it.return?.() }
  }, { highWaterMark: 0 })
}

/** A small body, whole (copied into one buffer of its own: it may be kept in the cache). */
async function collect (body: AsyncIterable<Uint8Array>): Promise<Uint8Array<ArrayBuffer>> {
  const parts: Uint8Array[] = []
  let size = 0
  for await (const p of body) { parts.push(p); size += p.length }
  const out = new Uint8Array(size)
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

async function drop (body: AsyncIterable<Uint8Array>): Promise<void> {
  await body[Symbol.asyncIterator]().return?.()
}

class Deadline extends Error {}

export function browser (ctx: Pick<PluginContext, 'peerId' | 'presence' | 'log'>, fetch: Fetch, opts: BrowseOptions = {}): (req: Request, owner: string) => Promise<Response> {
  const firstByteMs = opts.firstByteMs ?? 10_000
  const freshMs = opts.freshMs ?? 1000
  const retrySeconds = opts.retrySeconds ?? 5
  const cache = new SiteCache(opts.cacheFileBytes ?? 64 * 1024, opts.cacheTotalBytes ?? 16 * 1024 * 1024)
  /** Revalidations in flight, so 32 browsers asking for one page ask the peer once. */
  const checking = new Map<string, Promise<Cached | undefined>>()

  /** Ask the peer, with the first-byte deadline; the deadline no longer applies once the answer has begun. */
  const ask = async (owner: string, path: string, o: SiteFetchOptions, signal: AbortSignal): Promise<SiteResponse> => {
    const deadline = new AbortController()
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { deadline.abort(); reject(new Deadline()) }, firstByteMs)
    })
    try {
      return await Promise.race([fetch(owner, path, { ...o, signal: AbortSignal.any([signal, deadline.signal]) }), timedOut])
    } finally {
      clearTimeout(timer)
    }
  }

  const offline = (owner: string, status: 502 | 504, why: string, head: boolean): Response => {
    const entry = ctx.presence.get(owner)
    const who = entry?.name != null && entry.name !== '' ? entry.name : `${owner.slice(0, 8)}…${owner.slice(-6)}`
    const title = status === 504 ? `${who} did not answer in time` : `${who} is offline or unreachable`
    const seen = entry != null && !entry.online ? ` It was last seen ${new Date(entry.lastSeen).toISOString().replace('T', ' ').slice(0, 16)} UTC.` : ''
    const text = status === 504
      ? `This peer's site did not start to answer within ${Math.round(firstByteMs / 1000)} seconds.${seen}`
      : `This peer's site cannot be reached right now.${seen}`
    const html = '<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
      `<meta http-equiv="refresh" content="${retrySeconds}"><title>${escapeHtml(title)}</title>` +
      '<style>body{font:16px/1.5 system-ui,sans-serif;color:#1d2330;background:#f6f7f9;margin:0;display:grid;place-items:center;min-height:100vh}' +
      'main{max-width:36rem;padding:2rem}h1{font-size:1.4rem;margin:0 0 .5rem}p{color:#4a5263}code,small{color:#7a8294;word-break:break-all}' +
      '.dot{display:inline-block;width:.6rem;height:.6rem;border-radius:50%;background:#d9a400;margin-right:.5rem;animation:p 1.2s ease-in-out infinite}' +
      '@keyframes p{50%{opacity:.3}}</style>' +
      `<main data-goop-offline="${status}"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>` +
      `<p><span class="dot"></span>Trying again every ${retrySeconds} seconds…</p>` +
      `<p><small>Peer <code>${escapeHtml(owner)}</code><br>${escapeHtml(why)}</small></p></main></html>\n`
    return new Response(head ? null : html, {
      status,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'retry-after': String(retrySeconds) }
    })
  }

  const fromCache = (e: Cached, req: Request, range: ByteRange | undefined): Response => {
    const head = req.method === 'HEAD'
    const base = { 'content-type': e.type, etag: e.etag, 'accept-ranges': 'bytes', 'cache-control': 'no-cache' }
    if (etagMatches(req.headers.get('if-none-match') ?? undefined, e.etag)) return new Response(null, { status: 304, headers: base })
    const size = e.bytes.length
    const ifRange = req.headers.get('if-range')
    if (range != null && (ifRange == null || ifRange === e.etag)) {
      const start = 'suffix' in range ? Math.max(0, size - range.suffix) : range.start
      const end = 'suffix' in range ? size - 1 : Math.min(range.end ?? size - 1, size - 1)
      if (start >= size || end < start || ('suffix' in range && range.suffix === 0)) {
        return new Response(null, { status: 416, headers: { ...base, 'content-range': `bytes */${size}` } })
      }
      return new Response(head ? null : e.bytes.slice(start, end + 1), {
        status: 206,
        headers: { ...base, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': String(end - start + 1) }
      })
    }
    return new Response(head ? null : e.bytes, { headers: { ...base, 'content-length': String(size) } })
  }

  /** The cached entry, confirmed by the peer (one conditional request) unless it was checked within `freshMs`. */
  const cached = async (owner: string, path: string, key: string, revalidate: boolean): Promise<Cached | undefined> => {
    const e = cache.get(key)
    if (e == null) return undefined
    if (!revalidate && Date.now() - e.checkedAt < freshMs) return e
    let p = checking.get(key)
    if (p == null) {
      p = (async () => {
        try {
          // Not tied to one browser's request: others wait on it too.
          const r = await ask(owner, path, { ifNoneMatch: e.etag }, AbortSignal.timeout(firstByteMs))
          if (r.status === 304 && r.etag === e.etag) {
            e.checkedAt = Date.now()
            return e
          }
          if (r.status === 200 && r.length <= cache.fileBytes) {
            const fresh: Cached = { type: r.type, etag: r.etag, bytes: await collect(r.body), checkedAt: Date.now() }
            if (fresh.bytes.length === r.length) { cache.set(key, fresh); return fresh }
          } else {
            await drop(r.body)
          }
          cache.delete(key)
          return undefined
        } catch (err) {
          cache.delete(key) // gone or unreachable: the error page (never a second wait for a second try)
          throw err
        } finally {
          checking.delete(key)
        }
      })()
      checking.set(key, p)
    }
    return await p
  }

  return async (req, owner) => {
    const head = req.method === 'HEAD'
    const url = new URL(req.url)
    const path = url.pathname
    let range = parseRange(req.headers.get('range'))
    const ifRange = req.headers.get('if-range')
    const ifNoneMatch = req.headers.get('if-none-match') ?? undefined
    const remote = owner !== ctx.peerId // this peer's own site is read from disk: never cached, always current
    const key = `${owner}\n${path}`
    try {
      if (remote) {
        // A reload (`Cache-Control: max-age=0` or `no-cache`) always asks the peer whether the file changed.
        const cc = `${req.headers.get('cache-control') ?? ''},${req.headers.get('pragma') ?? ''}`
        const e = await cached(owner, path, key, /no-cache|max-age=0(?!\d)/i.test(cc))
        if (e != null) return fromCache(e, req, range)
      }
      const o: SiteFetchOptions = { method: head ? 'HEAD' : 'GET', ...(ifNoneMatch != null ? { ifNoneMatch } : {}) }
      if (range != null && 'suffix' in range) {
        // `bytes=-n`: the last n bytes, which needs the size first.
        const h = await ask(owner, path, { method: 'HEAD' }, req.signal)
        await drop(h.body)
        if (h.status !== 200) range = undefined
        else if (range.suffix === 0 || h.length === 0) {
          return new Response(null, { status: 416, headers: { 'content-type': h.type, etag: h.etag, 'content-range': `bytes */${h.length}` } })
        } else range = { start: Math.max(0, h.length - range.suffix) }
      }
      let r = await ask(owner, path, range != null ? { ...o, range } : o, req.signal)
      if (range != null && ifRange != null && r.etag !== ifRange && (r.status === 206 || r.status === 416)) {
        // If-Range names another version: the whole file instead.
        await drop(r.body)
        r = await ask(owner, path, o, req.signal)
      }
      const headers: Record<string, string> = { 'content-type': r.type, 'cache-control': 'no-cache' }
      if (r.etag !== '') headers.etag = r.etag
      switch (r.status) {
        case 304:
          return new Response(null, { status: 304, headers })
        case 416:
          await drop(r.body)
          return new Response(null, { status: 416, headers: { ...headers, 'content-range': `bytes */${r.length}` } })
        case 400:
        case 404:
          return new Response(head ? null : streamOf(r.body), { status: r.status, headers: { ...headers, 'content-length': String(r.length) } })
        case 206:
          headers['accept-ranges'] = 'bytes'
          headers['content-range'] = `bytes ${r.start}-${r.end}/${r.length}`
          headers['content-length'] = String(r.end! - r.start! + 1)
          return new Response(head ? null : streamOf(r.body), { status: 206, headers })
        default: {
          headers['accept-ranges'] = 'bytes'
          headers['content-length'] = String(r.length)
          if (remote && !head && r.length <= cache.fileBytes) {
            const bytes = await collect(r.body)
            if (bytes.length === r.length) cache.set(key, { type: r.type, etag: r.etag, bytes, checkedAt: Date.now() })
            return new Response(bytes, { headers })
          }
          return new Response(head ? null : streamOf(r.body), { headers })
        }
      }
    } catch (err) {
      if (err instanceof Deadline || (isGoopError(err) && err.code === 'timeout')) {
        return offline(owner, 504, `No answer within ${Math.round(firstByteMs / 1000)} s.`, head)
      }
      const why = isGoopError(err) ? err.message : 'the request failed'
      if (isGoopError(err) && /protocol/i.test(err.message) && err.code === 'unreachable') {
        return offline(owner, 502, `The peer is online but does not serve a site (${why}).`, head)
      }
      if (!isGoopError(err)) ctx.log.warn('browsing failed', { owner, path, error: (err as Error)?.message ?? String(err) })
      return offline(owner, 502, why, head)
    }
  }
}
