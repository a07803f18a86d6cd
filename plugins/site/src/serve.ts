import { createHash } from 'node:crypto'
import type { BigIntStats } from 'node:fs'
import { constants, open, type FileHandle } from 'node:fs/promises'
import { isGoopError, z, type StreamReply } from '@goop/sdk'
import { parseSitePath, resolveSiteFile, siteRoot, type ResolvedFile } from './paths.js'
import { contentType, isHtml } from './mime.js'
import { extractTitle, MAX_TITLE_CHARS } from './title.js'

export const SITE_PROTOCOL = '/goop/site/1.0.0'
/** The most file bytes one reply carries; bigger files and ranges are fetched in consecutive ranges. */
export const CHUNK_BYTES = 512 * 1024
/** The frame limit of the protocol: one chunk plus room for the JSON header. */
export const SITE_MAX_FRAME = CHUNK_BYTES + 16 * 1024

export type SiteStatus = 200 | 206 | 304 | 400 | 404 | 416

export interface SiteRequest {
  /** URL path, percent-encoded, e.g. `/`, `/blog/`, `/img/a%20b.png`. */
  path: string
  method?: 'GET' | 'HEAD'
  ifNoneMatch?: string
  /** Inclusive byte range; `end` defaults to the end of the file. */
  range?: { start: number, end?: number }
}

export interface SiteReply {
  status: SiteStatus
  type: string
  /** The whole file's size (for 404 and 400, the size of the error page sent). */
  length: number
  /** Strong ETag of the file (quoted); empty for 400 and 404. */
  etag: string
  /** For 206: the inclusive range the bytes cover. */
  start?: number
  end?: number
  /** For an HTML file's first bytes: the text of its <title>. */
  title?: string
}

export const SiteRequestSchema = z.object({
  path: z.string().max(64 * 1024),
  method: z.enum(['GET', 'HEAD']).optional(),
  ifNoneMatch: z.string().max(1024).optional(),
  range: z.object({
    start: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    end: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional()
  }).optional()
})

/** What another peer may send back, checked before anything is used (a peer's reply is untrusted). */
export const SiteReplySchema = z.object({
  status: z.union([z.literal(200), z.literal(206), z.literal(304), z.literal(400), z.literal(404), z.literal(416)]),
  // Headers-safe: these end up in HTTP headers of the viewer's proxy.
  type: z.string().max(200).regex(/^[\x20-\x7e]*$/),
  length: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  etag: z.string().max(200).regex(/^[\x20-\x7e]*$/),
  start: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  end: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  title: z.string().max(MAX_TITLE_CHARS * 2).optional()
})

/** Strong ETag from size, mtime (ns) and inode: it changes whenever the file is replaced or written. */
export function etagOf (st: BigIntStats): string {
  const h = createHash('sha256').update(`${st.size}:${st.mtimeNs}:${st.ino}:${st.dev}`).digest('base64url').slice(0, 22)
  return `"${h}"`
}

/** If-None-Match: a list of ETags or `*`; compared weakly, as RFC 9110 says for this header. */
export function etagMatches (header: string | undefined, etag: string): boolean {
  if (header == null || header === '' || etag === '') return false
  const bare = (t: string): string => t.trim().replace(/^W\//, '')
  return header.split(',').some(t => t.trim() === '*' || bare(t) === bare(etag))
}

const DEFAULT_404 = new TextEncoder().encode('<!doctype html><meta charset="utf-8"><title>Not found</title><h1>Not found</h1><p>There is no such page on this site.</p>\n')
const BAD_REQUEST = new TextEncoder().encode('bad request\n')

/**
 * Open a resolved file without following a last-moment symlink, and make sure it is the very file
 * that was checked (same device and inode), so a swap between the check and the open is refused.
 */
async function openChecked (file: ResolvedFile): Promise<FileHandle | undefined> {
  let fh: FileHandle
  try {
    fh = await open(file.real, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch {
    return undefined
  }
  const st = await fh.stat({ bigint: true })
  if (!st.isFile() || st.ino !== file.stat.ino || st.dev !== file.stat.dev) {
    await fh.close()
    return undefined
  }
  return fh
}

async function readRange (fh: FileHandle, start: number, count: number): Promise<Uint8Array> {
  const buf = Buffer.allocUnsafe(count)
  let got = 0
  while (got < count) {
    const { bytesRead } = await fh.read(buf, got, count - got, start + got)
    if (bytesRead === 0) break // the file shrank meanwhile
    got += bytesRead
  }
  return got === count ? buf : buf.subarray(0, got)
}

/** The 404 answer: the owner's `404.html` (resolved by the same rules) or a small default page. */
async function notFound (root: string | undefined, head: boolean): Promise<StreamReply<SiteReply>> {
  const type = 'text/html; charset=utf-8'
  if (root != null) {
    try {
      const file = await resolveSiteFile(root, parseSitePath('404.html'), { index: false })
      const fh = await openChecked(file)
      if (fh != null) {
        try {
          const bytes = await readRange(fh, 0, Math.min(Number(file.stat.size), CHUNK_BYTES))
          return { body: { status: 404, type, length: bytes.length, etag: '' }, bytes: head ? undefined : bytes }
        } finally { await fh.close() }
      }
    } catch { /* no custom page: the default one */ }
  }
  return { body: { status: 404, type, length: DEFAULT_404.length, etag: '' }, bytes: head ? undefined : DEFAULT_404 }
}

function badRequest (head: boolean): StreamReply<SiteReply> {
  return { body: { status: 400, type: 'text/plain; charset=utf-8', length: BAD_REQUEST.length, etag: '' }, bytes: head ? undefined : BAD_REQUEST }
}

/**
 * Answer one site request: the protocol handler for other peers, and the site service for this
 * peer's own site (the same code path). Never throws for a bad path: the status says it.
 */
export async function serveSite (siteDir: string, input: unknown): Promise<StreamReply<SiteReply>> {
  const parsed = SiteRequestSchema.safeParse(input)
  if (!parsed.success) return badRequest(false)
  const req = parsed.data
  const head = req.method === 'HEAD'
  let root: string | undefined
  let file: ResolvedFile
  try {
    const path = parseSitePath(req.path) // lexical checks first: nothing is touched for a hostile path
    root = await siteRoot(siteDir)
    file = await resolveSiteFile(root, path, { index: true })
  } catch (err) {
    if (isGoopError(err) && err.status === 400) return badRequest(head)
    if (isGoopError(err) && err.status === 404) return await notFound(root, head)
    throw err
  }
  const fh = await openChecked(file)
  if (fh == null) return await notFound(root, head)
  try {
    const size = Number(file.stat.size)
    const type = contentType(file.rel)
    const etag = etagOf(file.stat)
    if (etagMatches(req.ifNoneMatch, etag)) return { body: { status: 304, type, length: size, etag } }
    let status: SiteStatus = 200
    let start = 0
    let end = size - 1
    if (req.range != null) {
      start = req.range.start
      end = Math.min(req.range.end ?? size - 1, size - 1)
      if (start >= size || end < start) return { body: { status: 416, type, length: size, etag } }
      status = 206
    }
    if (end - start + 1 > CHUNK_BYTES) {
      end = start + CHUNK_BYTES - 1
      status = 206
    }
    const reply: SiteReply = { status, type, length: size, etag }
    if (status === 206) { reply.start = start; reply.end = end }
    if (head) return { body: reply }
    const bytes = size === 0 ? new Uint8Array(0) : await readRange(fh, start, end - start + 1)
    if (status === 206 && bytes.length !== end - start + 1) reply.end = start + bytes.length - 1
    if (start === 0 && isHtml(type)) {
      const title = extractTitle(bytes)
      if (title != null) reply.title = title
    }
    return { body: reply, bytes }
  } finally {
    await fh.close()
  }
}
