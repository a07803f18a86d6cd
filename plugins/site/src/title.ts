/** The longest site title announced in presence or returned in a reply. */
export const MAX_TITLE_CHARS = 100
/** Only this much of the start of an HTML file is searched for its <title>. */
export const TITLE_SCAN_BYTES = 64 * 1024

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }

function decodeEntities (s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,6});/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10)
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : m
    }
    return NAMED[e.toLowerCase()] ?? m
  })
}

/**
 * The text of the first `<title>` in the start of an HTML document: entities decoded, whitespace
 * collapsed, control characters dropped, at most MAX_TITLE_CHARS characters. Undefined if none.
 */
export function extractTitle (bytes: Uint8Array): string | undefined {
  const text = new TextDecoder('utf-8').decode(bytes.subarray(0, TITLE_SCAN_BYTES))
  const m = /<title(?:\s[^>]*)?>([\s\S]*?)<\/title\s*>/i.exec(text)
  if (m == null) return undefined
  // oxlint-disable-next-line no-control-regex
  const clean = decodeEntities(m[1]).replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(/\s+/g, ' ').trim()
  if (clean === '') return undefined
  return Array.from(clean).slice(0, MAX_TITLE_CHARS).join('')
}
