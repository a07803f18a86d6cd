// Which URLs a post or a comment may link to or show. Everything here is about text someone else
// wrote (a visitor's comment), so the answer is "no" unless the URL is plainly one of the few kinds
// allowed. Used by the Markdown renderer when it parses and again when it builds the DOM.

/** A stand-in origin to resolve relative URLs against: nothing is ever fetched from it. */
const BASE = new URL('https://blog.invalid/')

/**
 * Whitespace and control characters: browsers silently drop some of them from URLs (`java\nscript:`
 * is `javascript:`), so a URL that contains one is refused rather than cleaned.
 */
// oxlint-disable-next-line no-control-regex -- finding control characters is what this is for
const UNSAFE_CHARS = /[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff]/

/** `scheme:` at the start, as a browser would read it. */
const SCHEME = /^([a-z][a-z0-9+.-]*):/i

const LINK_SCHEMES = new Set(['http', 'https', 'mailto'])

/** Small raster images inline; no SVG (an SVG is a document, and a document is not needed here). */
const DATA_IMAGE = /^data:image\/(?:png|jpeg|gif|webp|avif);base64,[a-z0-9+/]+={0,2}$/i

const MAX_URL = 2048
/** A data: image can be as long as what holds it (a comment is at most 4,000 characters). */
const MAX_DATA_URL = 70_000

function clean (raw) {
  if (typeof raw !== 'string') return null
  const url = raw.trim()
  if (url === '' || UNSAFE_CHARS.test(url)) return null
  return url
}

function resolve (url) {
  try {
    return new URL(url, BASE)
  } catch {
    return null
  }
}

/**
 * A link target that is safe to put in `href`: http:, https:, mailto:, or relative (`/about.html`,
 * `#/post/3`, `notes.html`). Anything else (`javascript:`, `data:`, `vbscript:`, …) answers null.
 * @param {unknown} raw
 * @returns {string | null} the URL as written (trimmed), or null
 */
export function safeHref (raw) {
  const url = clean(raw)
  if (url == null || url.length > MAX_URL) return null
  const scheme = SCHEME.exec(url)
  if (scheme != null && !LINK_SCHEMES.has(scheme[1].toLowerCase())) return null
  // The URL parser has the last word: what it reads as the protocol is what a browser would follow.
  const parsed = resolve(url)
  if (parsed == null || !LINK_SCHEMES.has(parsed.protocol.slice(0, -1))) return null
  return url
}

/**
 * An image source that is safe to put in `src`: a path on this site (same origin: `/photo.jpg`,
 * `img/a.png`, not goop's own `/.goop/…`) or a base64 `data:image/…` of a raster type. Absolute and
 * protocol-relative URLs (`https://…`, `//host/…`) would fetch from elsewhere: null.
 * @param {unknown} raw
 * @returns {string | null}
 */
export function safeImageSrc (raw) {
  const url = clean(raw)
  if (url == null) return null
  if (/^data:/i.test(url)) return url.length <= MAX_DATA_URL && DATA_IMAGE.test(url) ? url : null
  if (url.length > MAX_URL || SCHEME.test(url) || url.includes('\\')) return null
  const parsed = resolve(url)
  // Not goop's own routes either (/.goop/events, …): an image is a file of the site.
  return parsed != null && parsed.origin === BASE.origin && !parsed.pathname.startsWith('/.goop/') ? url : null
}

/**
 * Whether a link leads to another site (a full or protocol-relative http(s) URL): those open in a new tab.
 * @param {string} href a URL safeHref accepted
 */
export function isExternal (href) {
  return /^https?:/i.test(href) || href.startsWith('//')
}
