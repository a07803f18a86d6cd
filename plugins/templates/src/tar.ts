import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { fail } from './errors.js'

/**
 * A small reader for template archives (`NAME-VERSION.goop.tgz`: a gzipped tar of the template
 * folder, with the folder's contents at its root or under one top folder, as `npm pack` makes
 * `package/`). It understands what tar writers put in such an archive — plain files, folders, the
 * POSIX ustar `prefix`, pax `path` records and GNU long names — and refuses everything else (links,
 * devices), any name that is absolute or climbs with `..`, and archives over the size limits. It never
 * writes outside the folder it unpacks into.
 */

export interface TarLimits { bytes: number, files: number }

const BLOCK = 512

function text (buf: Buffer, start: number, length: number): string {
  const raw = buf.subarray(start, start + length)
  const end = raw.indexOf(0)
  return raw.subarray(0, end < 0 ? raw.length : end).toString('utf8')
}

function octal (buf: Buffer, start: number, length: number, archive: string): number {
  const s = text(buf, start, length).trim()
  if (s === '') return 0
  if (!/^[0-7]+$/.test(s)) fail('bad_template', `${archive} is not a tar archive this reader understands (a header field is not octal)`)
  return parseInt(s, 8)
}

/** Values of a pax extended header (`LEN key=value\n` records). */
function paxRecords (data: Buffer): Map<string, string> {
  const out = new Map<string, string>()
  let i = 0
  while (i < data.length) {
    const space = data.indexOf(0x20, i)
    if (space < 0) break
    const len = Number(data.subarray(i, space).toString('ascii'))
    if (!Number.isInteger(len) || len <= 0 || i + len > data.length) break
    const record = data.subarray(space + 1, i + len - 1).toString('utf8')
    const eq = record.indexOf('=')
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1))
    i += len
  }
  return out
}

/** A member name made safe, or a refusal: relative, `/`-separated, no `.`/`..` parts, no NUL or backslash. */
function safeName (name: string, archive: string): string {
  const clean = name.replace(/^\.\//, '').replace(/\/+$/, '')
  const parts = clean.split('/')
  if (clean === '' || clean.startsWith('/') || clean.includes('\\') || clean.includes('\0') || parts.some(p => p === '' || p === '.' || p === '..')) {
    fail('bad_template', `${archive} holds a file named ${JSON.stringify(name.slice(0, 200))}: names must stay inside the template folder`)
  }
  return clean
}

interface Member { name: string, kind: 'file' | 'dir', data: Buffer }

/** The archive's members, read from the gunzipped bytes. */
function members (tar: Buffer, archive: string, limits: TarLimits): Member[] {
  const out: Member[] = []
  let longName: string | undefined
  let pax = new Map<string, string>()
  let i = 0
  while (i + BLOCK <= tar.length) {
    const header = tar.subarray(i, i + BLOCK)
    if (header.every(b => b === 0)) break // the end-of-archive blocks
    let sum = 0
    for (let k = 0; k < BLOCK; k++) sum += k >= 148 && k < 156 ? 32 : header[k]
    if (sum !== octal(header, 148, 8, archive)) fail('bad_template', `${archive} is not a valid tar archive (a header checksum does not match)`)
    const size = octal(header, 124, 12, archive)
    const type = String.fromCharCode(header[156] === 0 ? 48 : header[156])
    const dataStart = i + BLOCK
    if (dataStart + size > tar.length) fail('bad_template', `${archive} is truncated`)
    const data = tar.subarray(dataStart, dataStart + size)
    i = dataStart + Math.ceil(size / BLOCK) * BLOCK
    if (type === 'x') { pax = paxRecords(data); continue }
    if (type === 'g') continue // global pax header: nothing a template needs
    if (type === 'L') { longName = text(data, 0, data.length); continue }
    const prefix = text(header, 345, 155)
    const plain = text(header, 0, 100)
    const name = pax.get('path') ?? longName ?? (prefix !== '' ? `${prefix}/${plain}` : plain)
    pax = new Map()
    longName = undefined
    if (type === '0' || type === '7') out.push({ name: safeName(name, archive), kind: 'file', data })
    else if (type === '5') out.push({ name: safeName(name, archive), kind: 'dir', data: Buffer.alloc(0) })
    else fail('bad_template', `${archive} holds ${JSON.stringify(name.slice(0, 200))}, which is a ${type === '1' || type === '2' ? 'link' : 'special file'}: a template holds plain files and folders only`)
    if (out.length > limits.files) fail('bad_template', `${archive} holds more than ${limits.files} entries`)
  }
  return out
}

/**
 * Unpack a `.goop.tgz` into `dest` (which must be a new, empty folder). Returns the folder that holds
 * goop-template.json: `dest` itself, or its one top folder when every member is inside one.
 */
export async function unpackTemplate (archive: Buffer, archiveName: string, dest: string, limits: TarLimits): Promise<string> {
  let tar: Buffer
  try {
    tar = gunzipSync(archive, { maxOutputLength: limits.bytes })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ERR_BUFFER_TOO_LARGE' || /Cannot create a Buffer larger/.test((err as Error).message)) {
      fail('bad_template', `${archiveName} unpacks to more than ${Math.round(limits.bytes / 1024 / 1024)} MiB`)
    }
    fail('bad_template', `${archiveName} is not a gzipped archive: ${(err as Error).message}`)
  }
  const list = members(tar, archiveName, limits)
  if (list.length === 0) fail('bad_template', `${archiveName} is empty`)
  const seen = new Set<string>()
  for (const m of list) {
    if (seen.has(m.name)) fail('bad_template', `${archiveName} holds ${m.name} twice`)
    seen.add(m.name)
  }
  // The contents, at the root or under one top folder.
  const tops = new Set(list.map(m => m.name.split('/')[0]))
  const root = !seen.has('goop-template.json') && tops.size === 1 ? [...tops][0] : ''
  for (const m of list) {
    const path = join(dest, m.name)
    try {
      if (m.kind === 'dir') { await mkdir(path, { recursive: true }); continue }
      await mkdir(dirname(path), { recursive: true })
      await writeFile(path, m.data, { flag: 'wx' })
    } catch (err) {
      // A file and a folder of the same name, and the like: the archive contradicts itself.
      fail('bad_template', `${archiveName}: cannot unpack ${m.name} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
    }
  }
  return root === '' ? dest : join(dest, root)
}
