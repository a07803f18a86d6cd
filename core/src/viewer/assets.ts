import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Hono } from 'hono'
import type { Logger } from '@goop/sdk'

/**
 * The viewer UI's two files, built by scripts/build-ui.mjs into dist/viewer/ and read once, at the
 * first viewer's start (they do not change while the program runs). Served at /app.js and /app.css
 * with a strong ETag; the shell page asks for `/app.js?v=<hash>`, which may be cached for good, so a
 * new build is fetched at once and an unchanged one never again.
 */
interface Asset { body: Buffer, type: string, etag: string, hash: string }

const NAMES = { 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' } as const
export type AssetName = keyof typeof NAMES

// Where dist/viewer/ is, seen from this module: dist/goop.mjs (the bundle), dist/viewer/assets.js
// and src/viewer/assets.ts (tests run from sources) all find it.
const CANDIDATES = [new URL('./viewer/', import.meta.url), new URL('../../dist/viewer/', import.meta.url)]

/** Shown instead of the UI when it was not built (the kernel was compiled without the root build). */
const MISSING = "document.getElementById('app').textContent = 'The viewer UI is not built: run npm run build in the goop folder, then reload.'\n"

let loaded: Record<AssetName, Asset> | undefined
let missing = false

function make (body: Buffer, type: string): Asset {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16)
  return { body, type, hash, etag: `"${hash}"` }
}

function load (): Record<AssetName, Asset> {
  if (loaded != null) return loaded
  const dir = CANDIDATES.map(u => fileURLToPath(u)).find(d => existsSync(d + 'app.js') && existsSync(d + 'app.css'))
  missing = dir == null
  loaded = {
    'app.js': make(dir != null ? readFileSync(dir + 'app.js') : Buffer.from(MISSING), NAMES['app.js']),
    'app.css': make(dir != null ? readFileSync(dir + 'app.css') : Buffer.alloc(0), NAMES['app.css'])
  }
  return loaded
}

/** The URL the shell page loads an asset from (with its content hash). */
export function assetUrl (name: AssetName): string {
  return `/${name}?v=${load()[name].hash}`
}

/** Register `GET /app.js` and `GET /app.css` (HEAD too) on the viewer's app. */
export function mountViewerAssets (app: Hono, log?: Logger): void {
  load()
  if (missing) log?.warn('the viewer UI is not built (dist/viewer/app.js is missing): run npm run build')
  for (const name of Object.keys(NAMES) as AssetName[]) {
    app.get(`/${name}`, (c) => {
      const a = load()[name]
      const cache = c.req.query('v') === a.hash ? 'public, max-age=31536000, immutable' : 'no-cache'
      const headers = { etag: a.etag, 'cache-control': cache, 'x-content-type-options': 'nosniff' }
      const inm = c.req.header('if-none-match')
      if (inm != null && inm.split(',').some(t => t.trim().replace(/^W\//, '') === a.etag)) return c.body(null, 304, headers)
      return c.body(new Uint8Array(a.body), 200, { ...headers, 'content-type': a.type })
    })
  }
}
