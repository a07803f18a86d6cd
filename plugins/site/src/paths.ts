import type { BigIntStats } from 'node:fs'
import { lstat, mkdir, realpath, stat } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { GoopError } from '@goop/sdk'

/**
 * The one place where a path asked for (by another peer over /goop/site/1.0.0, or by the owner's
 * file API) becomes a file under `<peer>/site/`. Two stages:
 *
 * 1. `parseSitePath` is purely lexical and touches no file: it decodes the URL path once and refuses
 *    anything that could climb out or hide (`..` in any encoding, absolute paths, NUL and control
 *    characters, backslashes, double encoding, dotfiles, overlong or too deep paths).
 * 2. `resolveSiteFile` / `resolveParentDir` then resolve symlinks with `realpath` and require the
 *    result to lie inside `realpath(site)`, with no dot segment in it either.
 *
 * Refusals are GoopErrors with status 400 (malformed or hostile) or 404 (hidden or missing), so the
 * owner API answers them as they are and the protocol maps them to its `status`.
 */

/** Longest path accepted, in characters, before any decoding. */
export const MAX_PATH_CHARS = 1024
/** Most segments (folders + file) in a path. */
export const MAX_DEPTH = 32
/** Longest single name, in UTF-8 bytes (the usual file system limit). */
export const MAX_NAME_BYTES = 255

export interface SitePath {
  /** Decoded names, each checked; empty for the site's root. */
  segments: string[]
  /** The path named a folder (empty, or ended in `/`). */
  dir: boolean
  /** `segments` joined with `/`: the canonical relative path. */
  rel: string
}

const bad = (message: string): GoopError => new GoopError('bad_path', message, 400)
const hidden = (): GoopError => new GoopError('not_found', 'no such file', 404)

// C0 controls (NUL included), DEL and C1 controls: never part of a site path.
// oxlint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
/** A percent escape: after one decoding there must be none left (double encoding is refused). */
const ESCAPE = /%[0-9a-f]{2}/i

function checkSegment (raw: string): string {
  if (raw === '') throw bad('empty path segment')
  let name: string
  try {
    name = decodeURIComponent(raw)
  } catch {
    throw bad('malformed percent-encoding')
  }
  if (ESCAPE.test(name)) throw bad('double-encoded path')
  if (name === '.' || name === '..') throw bad('path traversal')
  if (name.includes('/') || name.includes('\\')) throw bad('encoded separator in path')
  if (CONTROL.test(name)) throw bad('control character in path')
  if (name.includes(':')) throw bad('":" in path (drive letters and streams are refused)')
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) throw bad(`name longer than ${MAX_NAME_BYTES} bytes`)
  // Dotfiles and dot-folders (.git, .env, the file API's temp files) are not served, and not even
  // admitted to exist.
  if (name.startsWith('.')) throw hidden()
  return name
}

/**
 * Check a requested path without touching the file system. `raw` is a URL path, percent-encoded as a
 * browser sends it, with or without one leading `/`; a query or fragment is cut off.
 */
export function parseSitePath (raw: unknown): SitePath {
  if (typeof raw !== 'string') throw bad('path must be a string')
  if (raw.length > MAX_PATH_CHARS) throw bad(`path longer than ${MAX_PATH_CHARS} characters`)
  let p = raw
  const cut = p.search(/[?#]/)
  if (cut >= 0) p = p.slice(0, cut)
  if (CONTROL.test(p)) throw bad('control character in path')
  if (p.includes('\\')) throw bad('backslash in path')
  if (p.startsWith('/')) p = p.slice(1)
  // `//host/x`, `///etc/passwd`: absolute in some readings; refused rather than guessed at.
  if (p.startsWith('/')) throw bad('absolute path')
  const dir = p === '' || p.endsWith('/')
  const body = dir ? p.slice(0, -1) : p
  const parts = body === '' ? [] : body.split('/')
  if (parts.length > MAX_DEPTH) throw bad(`path deeper than ${MAX_DEPTH} levels`)
  // Check every segment for traversal first, so `.git/../..` answers 400 rather than 404.
  let hiddenSeen: GoopError | undefined
  const segments: string[] = []
  for (const part of parts) {
    try {
      segments.push(checkSegment(part))
    } catch (err) {
      if ((err as GoopError).status !== 404) throw err
      hiddenSeen ??= err as GoopError
    }
  }
  if (hiddenSeen != null) throw hiddenSeen
  return { segments, dir, rel: segments.join('/') }
}

function isMissing (err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'ENAMETOOLONG'
}

/** `realpath(site)`, or a 404 if the site folder does not exist. */
export async function siteRoot (siteDir: string): Promise<string> {
  try {
    return await realpath(siteDir)
  } catch (err) {
    if (isMissing(err)) throw hidden()
    throw err
  }
}

/** The path of `real` below `root` as `a/b/c`, or undefined when it is not inside `root`. */
export function insideRoot (root: string, real: string): string | undefined {
  if (real === root) return ''
  const prefix = root.endsWith(sep) ? root : root + sep
  if (!real.startsWith(prefix)) return undefined
  const rel = relative(root, real)
  return rel.split(sep).join('/')
}

/**
 * Resolve `p` (symlinks included) and require the result to be inside `root` with no dot segment: a
 * link out of the site, or to a dotfile inside it, is answered 404 without reading the target.
 */
export async function realpathInside (root: string, p: string): Promise<{ real: string, rel: string }> {
  let real: string
  try {
    real = await realpath(p)
  } catch (err) {
    if (isMissing(err)) throw hidden()
    throw err
  }
  const rel = insideRoot(root, real)
  if (rel == null) throw hidden()
  if (rel !== '' && rel.split('/').some(s => s.startsWith('.'))) throw hidden()
  return { real, rel }
}

export interface ResolvedFile {
  /** Real path (symlinks resolved), inside the site. */
  real: string
  /** Path of the file relative to the site, `/`-separated (after following links and `index.html`). */
  rel: string
  stat: BigIntStats
}

/**
 * The regular file a checked path names: a folder gives its `index.html` when `index` is true.
 * Anything else (missing, outside, a device, a folder without index) is a 404.
 */
export async function resolveSiteFile (root: string, path: SitePath, opts: { index: boolean }): Promise<ResolvedFile> {
  let { real, rel } = await realpathInside(root, join(root, ...path.segments))
  let st = await stat(real, { bigint: true })
  if (st.isDirectory()) {
    if (!opts.index) throw new GoopError('not_a_file', 'that path is a folder', 404)
    ;({ real, rel } = await realpathInside(root, join(real, 'index.html')))
    st = await stat(real, { bigint: true })
  } else if (path.dir) {
    throw hidden() // `file.html/`
  }
  if (!st.isFile()) throw hidden()
  return { real, rel, stat: st }
}

/**
 * The folder that will hold `path`'s last segment, created (one level at a time, never through a link
 * that leads out of the site) when `create` is true. Returns its real path.
 */
export async function resolveParentDir (root: string, path: SitePath, opts: { create: boolean }): Promise<string> {
  let cur = root
  for (const name of path.segments.slice(0, -1)) {
    const next = join(cur, name)
    let st
    try {
      st = await lstat(next)
    } catch (err) {
      if (!opts.create || (err as NodeJS.ErrnoException).code !== 'ENOENT') {
        if (isMissing(err)) throw hidden()
        throw err
      }
      try {
        await mkdir(next)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      }
      st = await lstat(next)
    }
    if (st.isSymbolicLink()) {
      cur = (await realpathInside(root, next)).real
      if (!(await stat(cur)).isDirectory()) throw new GoopError('not_a_folder', `${name} is not a folder`, 409)
    } else if (st.isDirectory()) {
      cur = next
    } else {
      throw new GoopError('not_a_folder', `${name} is not a folder`, 409)
    }
  }
  // A last check on the whole chain (it must still be inside the site).
  return (await realpathInside(root, cur)).real
}
