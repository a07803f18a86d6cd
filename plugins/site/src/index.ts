import { join } from 'node:path'
import { open } from 'node:fs/promises'
import { constants } from 'node:fs'
import { definePlugin, GoopError, isGoopError, z, type Channel, type PluginContext } from '@goop/sdk'
import { browser } from './browse.js'
import { fetchSite, type Ask, type SiteFetchOptions, type SiteResponse } from './client.js'
import { fileRoutes } from './files.js'
import { parseSitePath, resolveSiteFile, siteRoot } from './paths.js'
import { etagOf, serveSite, SITE_MAX_FRAME, SITE_PROTOCOL } from './serve.js'
import { extractTitle, TITLE_SCAN_BYTES } from './title.js'

export { SITE_PROTOCOL, CHUNK_BYTES, SITE_MAX_FRAME, serveSite, etagOf, etagMatches } from './serve.js'
export type { SiteReply, SiteRequest, SiteStatus } from './serve.js'
export type { SiteFetchOptions, SiteResponse } from './client.js'
export type { FileEntry } from './files.js'
export { parseSitePath, resolveSiteFile, siteRoot, MAX_PATH_CHARS, MAX_DEPTH, MAX_NAME_BYTES } from './paths.js'
export type { SitePath, ResolvedFile } from './paths.js'
export { contentType } from './mime.js'
export { browser, parseRange, type BrowseOptions } from './browse.js'
export { extractTitle, MAX_TITLE_CHARS } from './title.js'

/** The `site` service: fetch a path of any peer's site (this peer's own included), streamed. */
export interface SiteService {
  fetch(peerId: string, path: string, opts?: SiteFetchOptions): Promise<SiteResponse>
}

declare module '@goop/sdk' {
  interface Services {
    site: SiteService
  }
  interface Topics {
    /** The owner changed a file of this peer's site through the file API. */
    'site.changed': { path: string, op: 'put' | 'delete' }
  }
}

const Config = z.strictObject({
  maxUploadBytes: z.number().int().positive().max(1024 * 1024 * 1024).default(10 * 1024 * 1024)
    .describe('Largest file the owner may PUT through /api/x/site/files/<path>'),
  firstByteMs: z.number().int().min(100).max(120_000).default(10_000)
    .describe('Browsing: a site whose first byte has not come within this many ms gets the "did not answer" page (504)')
})

/** Channels kept open to other peers' sites, at most (the oldest is forgotten first). */
const MAX_CHANNELS = 256

/** The <title> of site/index.html, re-read only when its ETag (size, mtime, inode) changes. */
function titleCache (siteDir: string): () => Promise<string | undefined> {
  let cached: { etag: string, title: string | undefined } | undefined
  return async () => {
    try {
      const root = await siteRoot(siteDir)
      const file = await resolveSiteFile(root, parseSitePath('index.html'), { index: false })
      const etag = etagOf(file.stat)
      if (cached?.etag === etag) return cached.title
      const fh = await open(file.real, constants.O_RDONLY | constants.O_NOFOLLOW)
      try {
        const buf = Buffer.alloc(Math.min(Number(file.stat.size), TITLE_SCAN_BYTES))
        const { bytesRead } = await fh.read(buf, 0, buf.length, 0)
        cached = { etag, title: extractTitle(buf.subarray(0, bytesRead)) }
      } finally { await fh.close() }
      return cached.title
    } catch {
      cached = undefined
      return undefined
    }
  }
}

export default definePlugin({
  name: 'site',
  version: '1.1.0',
  sdk: '^1.2.0',
  description: "Serves this peer's site/ folder to other peers (/goop/site/1.0.0) and lets the owner edit it",
  provides: ['site'],
  config: Config,
  setup (ctx: PluginContext<z.output<typeof Config>>) {
    const siteDir = join(ctx.dirs.peer, 'site')

    ctx.streams.handle(SITE_PROTOCOL, async req => await serveSite(siteDir, req.body), {
      allowLimited: true, // sites must work over relays
      maxFrameBytes: SITE_MAX_FRAME,
      // Each request in flight may hold a 512 KiB chunk: 32 bound that to 16 MiB per stream (more wait).
      maxInflight: 32
    })

    const title = titleCache(siteDir)
    ctx.hooks.on('presence.announce', async (fields) => {
      const t = await title()
      return t != null ? { ...fields, siteTitle: t } : fields
    })

    fileRoutes(ctx, siteDir)

    // One channel per peer, reused for every request and chunk (ctx.streams.open shares it anyway).
    const channels = new Map<string, Channel>()
    const channelTo = (peer: string): Channel => {
      let ch = channels.get(peer)
      if (ch == null) {
        ch = ctx.streams.open(peer, SITE_PROTOCOL, { maxFrameBytes: SITE_MAX_FRAME })
        channels.set(peer, ch)
        if (channels.size > MAX_CHANNELS) channels.delete(channels.keys().next().value!)
      }
      return ch
    }
    const remote = (peer: string): Ask => async (body, opts) => {
      try {
        return await channelTo(peer).request(body, opts)
      } catch (err) {
        // Closed under us (the peer's stream service was reset): forget it and try once more.
        if (!isGoopError(err) || err.code !== 'channel_closed') throw err
        channels.delete(peer)
        return await channelTo(peer).request(body, opts)
      }
    }
    const local: Ask = async body => await serveSite(siteDir, body)

    const service: SiteService = {
      fetch: async (peerId, path, opts) => {
        if (typeof peerId !== 'string' || peerId === '') throw new GoopError('bad_request', 'peerId is required')
        return await fetchSite(peerId === ctx.peerId ? local : remote(peerId), path, opts)
      }
    }
    ctx.provide('site', service)

    // Browsing: every site origin's files (the kernel sets x-goop-site to the owner; see browse.ts).
    const browse = browser(ctx, service.fetch, { firstByteMs: ctx.config.firstByteMs })
    ctx.http.site.get('*', async (c) => {
      const owner = c.req.header('x-goop-site')
      if (owner == null || owner === '') return c.text('not a site origin', 400)
      return await browse(c.req.raw, owner)
    })
  }
})
