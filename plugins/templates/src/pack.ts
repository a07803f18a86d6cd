import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { fail } from './errors.js'

/**
 * The writer that goes with tar.ts's reader: a template folder as `NAME-VERSION.goop.tgz`, a gzipped
 * POSIX ustar archive with the template's files at its root. Only what the reader accepts is written:
 * folders and plain files, relative names (a name too long for the header gets a pax `path` record).
 * The archive is reproducible — entries sorted, one fixed time stamp, owner 0, modes 0644/0755 — so
 * building the same folder twice gives the same bytes.
 */

const BLOCK = 512
/** The time stamp of every entry: npm pack's (1985-10-26T08:15:00Z), for the same reason: reproducible archives. */
const MTIME = 499162500

export interface PackEntry {
  /** The name inside the archive: relative, `/`-separated; a folder's without a trailing slash. */
  name: string
  kind: 'file' | 'dir'
  /** The file to read (files only). */
  path?: string
}

function field (block: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8')
  if (bytes.length > length) throw new Error(`tar header field too long: ${value}`)
  bytes.copy(block, offset)
}

const octal = (n: number, digits: number): string => n.toString(8).padStart(digits, '0')

/** Split a long name into ustar's `prefix` (≤ 155 bytes) and `name` (≤ 100 bytes) at a slash, if it can be. */
function splitName (name: string): { prefix: string, name: string } | null {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name }
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i)
    const rest = name.slice(i + 1)
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '') return { prefix, name: rest }
  }
  return null
}

function header (name: string, prefix: string, type: '0' | '5' | 'x', size: number): Buffer {
  const h = Buffer.alloc(BLOCK)
  field(h, 0, 100, name)
  field(h, 100, 8, `${octal(type === '5' ? 0o755 : 0o644, 7)}\0`)
  field(h, 108, 8, `${octal(0, 7)}\0`)
  field(h, 116, 8, `${octal(0, 7)}\0`)
  field(h, 124, 12, `${octal(size, 11)}\0`)
  field(h, 136, 12, `${octal(MTIME, 11)}\0`)
  h.fill(0x20, 148, 156) // the checksum is computed with its own field as spaces
  field(h, 156, 1, type)
  field(h, 257, 6, 'ustar\0')
  field(h, 263, 2, '00')
  field(h, 345, 155, prefix)
  let sum = 0
  for (const b of h) sum += b
  field(h, 148, 8, `${octal(sum, 6)}\0 `)
  return h
}

/** A pax record `LEN key=value\n`, whose LEN counts its own digits. */
function paxRecord (key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`
  let len = Buffer.byteLength(body)
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body)
  return Buffer.from(`${len}${body}`, 'utf8')
}

function padded (data: Buffer): Buffer[] {
  const rest = data.length % BLOCK
  return rest === 0 ? [data] : [data, Buffer.alloc(BLOCK - rest)]
}

function entryBlocks (entry: PackEntry, data: Buffer): Buffer[] {
  const name = entry.kind === 'dir' ? `${entry.name}/` : entry.name
  const type = entry.kind === 'dir' ? '5' : '0'
  const split = splitName(name)
  if (split != null) return [header(split.name, split.prefix, type, data.length), ...padded(data)]
  // Too long for the ustar fields: a pax header carries the whole name, the ustar one a shortened one.
  const pax = paxRecord('path', name)
  const short = Buffer.from(name, 'utf8').subarray(0, 99).toString('utf8').replace(/\uFFFD$/, '')
  return [header('PaxHeader', '', 'x', pax.length), ...padded(pax), header(short, '', type, data.length), ...padded(data)]
}

/** The gzipped tar of `entries` (sorted here by name, so the order never depends on the file system's). */
export async function packEntries (entries: PackEntry[]): Promise<Buffer> {
  const sorted = entries.toSorted((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  const blocks: Buffer[] = []
  for (const e of sorted) {
    if (e.name === '' || e.name.startsWith('/') || e.name.split('/').some(p => p === '' || p === '.' || p === '..')) {
      fail('bad_template', `cannot pack ${JSON.stringify(e.name)}: names must stay inside the template folder`)
    }
    const data = e.kind === 'file' && e.path != null ? await readFile(e.path) : Buffer.alloc(0)
    blocks.push(...entryBlocks(e, data))
  }
  blocks.push(Buffer.alloc(BLOCK * 2)) // the end of the archive: two zero blocks
  return gzipSync(Buffer.concat(blocks), { level: 9 })
}

/** The entries of a template folder: its manifest, and what was walked of `site/` and `logic/`. */
export function templateEntries (dir: string, manifestFile: string, parts: Array<{ folder: string, files: string[], dirs: string[] }>): PackEntry[] {
  const out: PackEntry[] = [{ name: manifestFile, kind: 'file', path: join(dir, manifestFile) }]
  for (const p of parts) {
    out.push({ name: p.folder, kind: 'dir' })
    for (const d of p.dirs) out.push({ name: `${p.folder}/${d}`, kind: 'dir' })
    for (const f of p.files) out.push({ name: `${p.folder}/${f}`, kind: 'file', path: join(dir, p.folder, f) })
  }
  return out
}
