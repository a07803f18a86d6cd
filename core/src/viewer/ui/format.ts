export function formatBytes (n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1).replace(/\.0$/, '')} ${units[i]}`
}

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })

export function ago (then: number, now = Date.now()): string {
  const s = Math.round((then - now) / 1000)
  if (s > -45) return 'just now'
  const m = Math.round(s / 60)
  if (m > -60) return rtf.format(m, 'minute')
  const h = Math.round(m / 60)
  if (h > -24) return rtf.format(h, 'hour')
  return rtf.format(Math.round(h / 24), 'day')
}

export function clock (t: number): string {
  return new Date(t).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
}

/** `12D3KooW…a1b2c3`: enough to tell peers apart at a glance. */
export const shortId = (id: string): string => id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id

export function displayName (p: { name: string | null, peerId: string }): string {
  return p.name ?? `peer …${p.peerId.slice(-6)}`
}

/** One of 8 colours for a peer, the same on every page (classes hue-0…hue-7; no inline styles). */
export function hueOf (id: string): number {
  let h = 0
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0
  return h % 8
}

export const SOURCE_LABELS: Record<string, { label: string, title: string }> = {
  mdns: { label: 'Local network', title: 'Found on your local network (mDNS)' },
  rendezvous: { label: 'Rendezvous', title: 'Found through a rendezvous server' },
  direct: { label: 'Direct', title: 'Connected to this peer directly' }
}

const TEXT_EXT = new Set(['html', 'htm', 'css', 'js', 'mjs', 'cjs', 'ts', 'json', 'txt', 'md', 'markdown', 'svg', 'xml', 'csv', 'tsv', 'yml', 'yaml', 'toml', 'ini', 'webmanifest', 'map', 'vtt', 'srt', 'sh', 'py', 'rss', 'atom'])

/** Whether the editor opens a file as text (by its type, else its extension). */
export function isTextFile (path: string, type: string): boolean {
  if (type.startsWith('text/') || /json|javascript|xml|svg|yaml|toml|manifest/.test(type)) return true
  const ext = path.includes('.') ? path.slice(path.lastIndexOf('.') + 1).toLowerCase() : ''
  return TEXT_EXT.has(ext)
}

/** The largest file the editor opens (bigger text files are still listed, previewed and replaced). */
export const MAX_EDIT_BYTES = 2 * 1024 * 1024

/** Client-side check of a new file's name (the server checks again, by the same rules as the site). */
export function checkNewPath (p: string): string | null {
  if (p === '') return 'Please enter a file name.'
  if (p.length > 1024) return 'That name is too long.'
  if (p.startsWith('/') || p.endsWith('/')) return 'Use a name like about.html or blog/first-post.html.'
  if (/[\\:]/.test(p) || [...p].some(ch => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) return 'Names cannot contain \\, : or control characters.'
  const parts = p.split('/')
  if (parts.some(s => s === '')) return 'A folder name is missing between two slashes.'
  if (parts.some(s => s.startsWith('.'))) return 'Names starting with a dot are hidden and never served.'
  return null
}

/** A new file starts with something useful. */
export function starterContent (path: string, siteName: string): string {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase()
  if (ext === 'html' || ext === 'htm') {
    const base = (path.replace(/\.html?$/, '').split('/').pop() ?? path).replace(/[-_]+/g, ' ')
    const title = path === 'index.html' ? siteName : base.charAt(0).toUpperCase() + base.slice(1)
    return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title.replace(/[<&]/g, '')}</title>
</head>
<body>
  <h1>${title.replace(/[<&]/g, '')}</h1>
  <p>Hello from goop.</p>
</body>
</html>
`
  }
  return ''
}
