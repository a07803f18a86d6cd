import { request } from 'node:http'
import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { siteLabel } from '@goop/core'
import { startTestPeer, type TestPeer, type TestPeerOptions } from '@goop/core/testing'
import type { GoopPlugin } from '@goop/sdk'
import templates from '@goop/plugin-templates'
import js from '@goop/plugin-js'
import lua from '@goop/plugin-lua'

// Note for tests here: give assert.ok a message. Without one, a failing assert.ok makes Node re-read
// the call's source to describe it, and on tsx's one-line output that takes minutes, not a failure.

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url))
export const fixture = (name: string): string => join(FIXTURES, name)

/**
 * The runtimes and this plugin, handed in beside the built-ins (an inline plugin wins over a
 * built-in of the same name, so this keeps working once the kernel ships them as built-ins).
 */
export const PLUGINS: GoopPlugin[] = [lua as GoopPlugin, js as GoopPlugin, templates as GoopPlugin]

/** A peer with the data, lua, js and templates plugins; `templates` config merged into goop.json. */
export async function templatePeer (opts: TestPeerOptions & { templates?: Record<string, unknown> } = {}): Promise<TestPeer> {
  const config = { ...opts.config, ...(opts.templates != null ? { plugins: { templates: { config: opts.templates } } } : {}) }
  return await startTestPeer({ ...opts, plugins: opts.plugins != null ? [...PLUGINS, ...opts.plugins] : PLUGINS, config })
}

export interface Reply<T = unknown> { status: number, body: T, headers: Record<string, string | string[] | undefined> }

/** An HTTP request to 127.0.0.1:port with a given Host (a site origin's, which Node cannot resolve). */
export async function http<T = unknown> (port: number, method: string, path: string, opts: { host?: string, body?: unknown, headers?: Record<string, string> } = {}): Promise<Reply<T>> {
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body))
  return await new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      method,
      path,
      agent: false,
      timeout: 90_000,
      headers: { host: opts.host ?? `127.0.0.1:${port}`, ...(payload != null ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}), ...opts.headers }
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body: unknown = text
        try { body = JSON.parse(text) } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, body: body as T, headers: res.headers })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.on('timeout', () => { req.destroy(new Error(`${method} ${path} timed out`)) })
    req.end(payload)
  })
}

export type CallReply = Reply<{ result?: unknown, error?: { code: string, message: string } }>

/** `POST /.goop/call` on `owner`'s site origin, as `viewer`'s browser would send it (from that very origin). */
export async function siteCall (viewer: TestPeer, owner: string, fn: string, args?: unknown): Promise<CallReply> {
  const port = viewer.viewer!.port
  const host = `${siteLabel(owner)}.localhost:${port}`
  return await http(port, 'POST', '/.goop/call', { host, body: { fn, args }, headers: { origin: `http://${host}` } })
}

/** The admin API as JSON. */
export async function api<T = unknown> (peer: TestPeer, method: string, path: string, body?: unknown): Promise<Reply<T>> {
  const res = await peer.api(method, path, body)
  const text = await res.text()
  let parsed: unknown = text
  try { parsed = JSON.parse(text) } catch { /* not JSON */ }
  return { status: res.status, body: parsed as T, headers: Object.fromEntries(res.headers) }
}

/** A copy of a fixture in a temporary folder, changed by `edit` (for broken and updated variants). */
export async function variant (name: string, edit: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'goop-tpl-')), name)
  await cp(fixture(name), dir, { recursive: true })
  await edit(dir)
  return dir
}

/** Edit a JSON file in place. */
export async function editJson (file: string, edit: (value: Record<string, unknown>) => void): Promise<void> {
  const value = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
  edit(value)
  await writeFile(file, JSON.stringify(value, null, 2))
}

/** A tar member header (ustar) followed by its data, padded to 512 bytes. */
export function tarEntry (name: string, data: string | null, type = '0'): Buffer {
  const body = Buffer.from(data ?? '')
  const h = Buffer.alloc(512)
  h.write(name, 0, 100)
  h.write('0000644\0', 100)
  h.write('0000000\0', 108)
  h.write('0000000\0', 116)
  h.write(body.length.toString(8).padStart(11, '0') + '\0', 124)
  h.write('00000000000\0', 136)
  h.write('        ', 148)
  h.write(type, 156)
  h.write('ustar\0', 257)
  h.write('00', 263)
  let sum = 0
  for (const b of h) sum += b
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148)
  return Buffer.concat([h, body, Buffer.alloc((512 - body.length % 512) % 512)])
}

export const tgz = (...entries: Buffer[]): Buffer => gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]))

/** A folder as a .goop.tgz (under one top folder, as `npm pack` does). */
export async function pack (dir: string, top = 'package'): Promise<Buffer> {
  const entries: Buffer[] = [tarEntry(`${top}/`, null, '5')]
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
      const path = rel === '' ? e.name : `${rel}/${e.name}`
      if (e.isDirectory()) { entries.push(tarEntry(`${top}/${path}/`, null, '5')); await walk(path) } else entries.push(tarEntry(`${top}/${path}`, (await readFile(join(dir, path))).toString('utf8')))
    }
  }
  await walk('')
  return tgz(...entries)
}
