import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { lstat, mkdir, open, readdir, rename, rmdir, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { GoopError, type PluginContext } from '@goop/sdk'
import { MAX_DEPTH, parseSitePath, realpathInside, resolveParentDir, resolveSiteFile, siteRoot, type SitePath } from './paths.js'
import { contentType } from './mime.js'
import { etagOf } from './serve.js'

export interface FileEntry {
  /** Relative to site/, `/`-separated, not encoded. */
  path: string
  size: number
  /** Epoch ms. */
  mtime: number
  type: string
}

/** Files listed at most (a site with more is listed up to this many, with `truncated: true`). */
export const MAX_LIST = 10_000

/** What is left of the request path after `/files/`, checked like any site path. */
function pathOf (url: string): SitePath {
  const pathname = new URL(url).pathname
  const i = pathname.indexOf('/files/')
  if (i < 0) throw new GoopError('bad_path', 'expected /files/<path>', 400)
  return parseSitePath(pathname.slice(i + '/files/'.length))
}

function fileOnly (path: SitePath): SitePath {
  if (path.dir || path.segments.length === 0) throw new GoopError('bad_path', 'a file path is needed (not a folder)', 400)
  return path
}

/** Every regular file under site/ (links followed only when they stay inside), dotfiles left out. */
export async function listFiles (siteDir: string): Promise<{ files: FileEntry[], truncated: boolean }> {
  const files: FileEntry[] = []
  let truncated = false
  let root: string
  try { root = await siteRoot(siteDir) } catch { return { files, truncated } }
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    let entries
    try { entries = await readdir(dir, { withFileTypes: true }) } catch { return }
    entries.sort((x, y) => x.name < y.name ? -1 : x.name > y.name ? 1 : 0)
    for (const e of entries) {
      if (files.length >= MAX_LIST) { truncated = true; return }
      if (e.name.startsWith('.')) continue
      const p = rel === '' ? e.name : `${rel}/${e.name}`
      const full = join(dir, e.name)
      if (e.isDirectory()) {
        if (depth < MAX_DEPTH - 1) await walk(full, p, depth + 1)
        continue
      }
      let target = full
      if (e.isSymbolicLink()) {
        // Listed only if it leads to a file inside the site (never followed into folders: no cycles).
        try { target = (await realpathInside(root, full)).real } catch { continue }
      } else if (!e.isFile()) {
        continue
      }
      try {
        const st = await stat(target)
        if (st.isFile()) files.push({ path: p, size: st.size, mtime: Math.round(st.mtimeMs), type: contentType(p) })
      } catch { /* gone meanwhile */ }
    }
  }
  await walk(root, '', 0)
  return { files, truncated }
}

/** The owner's file API on `ctx.http.router` (served at `/api/x/site/files…`, behind the token). */
export function fileRoutes (ctx: PluginContext<{ maxUploadBytes: number }>, siteDir: string): void {
  const router = ctx.http.router
  const maxUpload = ctx.config.maxUploadBytes

  router.notFound(c => c.json({ error: { code: 'not_found', message: `no route ${c.req.method} /api/x/site${new URL(c.req.url).pathname}` } }, 404))
  router.get('/files', async c => c.json(await listFiles(siteDir)))
  router.get('/files/', async c => c.json(await listFiles(siteDir)))

  router.get('/files/*', async (c) => {
    const path = fileOnly(pathOf(c.req.url))
    const root = await siteRoot(siteDir)
    const file = await resolveSiteFile(root, path, { index: false })
    const fh = await open(file.real, constants.O_RDONLY | constants.O_NOFOLLOW)
    const st = await fh.stat({ bigint: true }).catch(async (err: Error) => { await fh.close(); throw err })
    if (!st.isFile() || st.ino !== file.stat.ino || st.dev !== file.stat.dev) {
      await fh.close()
      throw new GoopError('not_found', 'no such file', 404)
    }
    const body = Readable.toWeb(fh.createReadStream({ autoClose: true })) as unknown as ReadableStream<Uint8Array>
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': contentType(file.rel),
        'content-length': String(st.size),
        etag: etagOf(st),
        'cache-control': 'no-store',
        // The owner's own files on the viewer's origin: never run them here (their preview belongs on
        // the site's own origin), never sniff them into something else.
        'content-security-policy': "default-src 'none'; sandbox",
        'x-content-type-options': 'nosniff'
      }
    })
  })

  router.put('/files/*', async (c) => {
    const path = fileOnly(pathOf(c.req.url))
    const declared = c.req.header('content-length')
    if (declared != null && Number(declared) > maxUpload) {
      throw new GoopError('too_large', `a file may be at most ${maxUpload} bytes`, 413)
    }
    await mkdir(siteDir, { recursive: true })
    const root = await siteRoot(siteDir)
    const parent = await resolveParentDir(root, path, { create: true })
    const name = path.segments[path.segments.length - 1]
    const target = join(parent, name)
    const existing = await lstat(target).catch(() => undefined)
    if (existing?.isDirectory() === true) throw new GoopError('is_a_folder', `${path.rel} is a folder`, 409)
    // Written next to the target under a dot name (never served or listed), then renamed over it:
    // a reader sees the old file or the new one, never half of one.
    const tmp = join(parent, `.${name.slice(0, 200)}.${randomBytes(6).toString('hex')}.tmp`)
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644)
    let size = 0
    let done = false
    try {
      const reader = c.req.raw.body?.getReader()
      if (reader != null) {
        try {
          for (;;) {
            const { value, done: end } = await reader.read()
            if (end) break
            size += value.length
            if (size > maxUpload) throw new GoopError('too_large', `a file may be at most ${maxUpload} bytes`, 413)
            let off = 0
            while (off < value.length) off += (await fh.write(value, off, value.length - off)).bytesWritten
          }
        } finally {
          await reader.cancel().catch(() => {})
        }
      }
      await fh.datasync()
      await fh.close()
      await rename(tmp, target)
      done = true
    } finally {
      if (!done) {
        await fh.close().catch(() => {})
        await unlink(tmp).catch(() => {})
      }
    }
    const st = await stat(target, { bigint: true })
    ctx.mq.publish('site.changed', { path: path.rel, op: 'put' })
    return c.json({ path: path.rel, size: Number(st.size), mtime: Math.round(Number(st.mtimeMs)), type: contentType(path.rel), etag: etagOf(st) }, existing != null ? 200 : 201)
  })

  router.delete('/files/*', async (c) => {
    const path = pathOf(c.req.url)
    if (path.segments.length === 0) throw new GoopError('bad_path', 'the site folder itself cannot be deleted', 400)
    const root = await siteRoot(siteDir)
    const parent = await resolveParentDir(root, path, { create: false })
    const target = join(parent, path.segments[path.segments.length - 1])
    let st
    try { st = await lstat(target) } catch { throw new GoopError('not_found', 'no such file', 404) }
    if (st.isDirectory()) {
      try {
        await rmdir(target)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (err as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new GoopError('not_empty', `${path.rel} is a folder that is not empty`, 409)
        }
        throw err
      }
    } else if (path.dir) {
      throw new GoopError('not_found', 'no such folder', 404)
    } else {
      await unlink(target) // a link is removed itself, never what it points to
    }
    ctx.mq.publish('site.changed', { path: path.rel, op: 'delete' })
    return c.json({ path: path.rel, deleted: true })
  })
}
