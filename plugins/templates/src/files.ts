import { copyFile, lstat, mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fail } from './errors.js'

export interface WalkLimits { files: number, bytes: number }

export interface Walked {
  /** Relative paths (with `/`) of the regular files, sorted. */
  files: string[]
  /** Relative paths of the folders, parents before children. */
  dirs: string[]
  bytes: number
}

/**
 * Every file under `root`, refusing what a template must not carry: symbolic links (copied into a
 * peer's site they could expose files outside it), devices, sockets, FIFOs; and more files or bytes
 * than `limits`. `label` names the folder in errors (e.g. `blog/site`).
 */
export async function walk (root: string, label: string, limits: WalkLimits): Promise<Walked> {
  const out: Walked = { files: [], dirs: [], bytes: 0 }
  const queue: string[] = ['']
  while (queue.length > 0) {
    const rel = queue.shift() as string
    const entries = await readdir(join(root, rel), { withFileTypes: true })
    entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    for (const e of entries) {
      const path = rel === '' ? e.name : `${rel}/${e.name}`
      if (e.isSymbolicLink()) fail('bad_template', `${label}/${path} is a symbolic link: a template holds plain files and folders only`)
      if (e.isDirectory()) { out.dirs.push(path); queue.push(path); continue }
      if (!e.isFile()) fail('bad_template', `${label}/${path} is not a plain file`)
      const st = await lstat(join(root, path))
      out.files.push(path)
      out.bytes += st.size
      if (out.files.length > limits.files) fail('bad_template', `${label} holds more than ${limits.files} files`)
      if (out.bytes > limits.bytes) fail('bad_template', `${label} holds more than ${Math.round(limits.bytes / 1024 / 1024)} MiB`)
    }
  }
  out.files.sort()
  return out
}

/** Copy what `walk` found from `from` to `to` (created; it must not exist yet or be empty). */
export async function copyTree (from: string, to: string, walked: Walked): Promise<void> {
  await mkdir(to, { recursive: true })
  for (const d of walked.dirs) await mkdir(join(to, d), { recursive: true })
  for (const f of walked.files) await copyFile(join(from, f), join(to, f))
}

/** Is `path` a real folder (not a link to one)? */
export async function isDir (path: string): Promise<boolean> {
  try { return (await lstat(path)).isDirectory() } catch { return false }
}

/** Is `path` a real file (not a link to one)? */
export async function isFile (path: string): Promise<boolean> {
  try { return (await lstat(path)).isFile() } catch { return false }
}

/** A time stamp for file names that sorts as text: 2025-01-31T12-00-00-000Z. */
export function stamp (date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-')
}
