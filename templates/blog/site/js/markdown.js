// The blog's Markdown: a small parser that turns text into a tree of a few known elements, and the
// code that builds the page's DOM from that tree. It is safe by construction, for posts and for
// visitors' comments alike:
//
// - every character of the source ends up as text (a DOM text node, or escaped in toHtml), so HTML in
//   the source — `<script>`, `<img onerror=…>` — is shown, never parsed;
// - the only elements are the ones in TAGS, made with createElement; the only attributes are the
//   ones in ATTRS, set with setAttribute; there is no innerHTML anywhere;
// - link targets must pass safeHref (http, https, mailto or relative) and images safeImageSrc (this
//   site or a data: raster image), when parsed and again when the DOM is built.
//
// What it understands (a CommonMark subset): ATX and setext headings, paragraphs, hard breaks (two
// trailing spaces or a backslash), **strong**, *em*, ~~del~~, `code`, fenced and indented code
// blocks, > quotes, - / * / + and 1. lists (nested), --- rules, [links](url "title"), ![images](src),
// <https://autolinks> and bare https:// URLs, backslash escapes. Not: raw HTML (shown as text),
// tables, reference links, footnotes, entities (shown as written).
//
// Nothing here is quadratic in the input: brackets are matched in one pass, and searches for a
// closing delimiter remember where they failed. Nesting is capped (MAX_DEPTH).

import { isExternal, safeHref, safeImageSrc } from './safe-url.js'

/**
 * @typedef {{ tag: string, attrs?: Record<string, string>, children?: MdNode[] }} MdElement
 * @typedef {string | MdElement} MdNode
 * @typedef {{ minHeading?: number }} ParseOptions
 */

/** Deepest nesting of quotes and lists, and of inline emphasis and links; deeper is plain text. */
const MAX_DEPTH = 8

/** The elements the renderer makes, and the attributes each may have. */
const TAGS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'em', 'strong', 'del', 'code', 'pre', 'ul', 'ol', 'li', 'blockquote', 'a', 'img', 'br', 'hr'])
const ATTRS = { a: ['href', 'title', 'rel', 'target'], img: ['src', 'alt', 'title', 'loading'], ol: ['start'] }
const VOID = new Set(['img', 'br', 'hr'])

// ---------------------------------------------------------------------------------------------
// Blocks

const FENCE = /^( {0,3})(`{3,}|~{3,})(.*)$/
const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*)|$)/
const HR = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/
const QUOTE = /^ {0,3}> ?/
const LIST_ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])(?:( +)(.*)|$)/
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/

/** @param {string} s */
const isBlank = s => /^[ \t]*$/.test(s)
/** @param {string} s */
const indentOf = s => /^ */.exec(s)[0].length

/**
 * @param {string} tag
 * @param {MdNode[]} [children]
 * @param {Record<string, string>} [attrs]
 * @returns {MdElement}
 */
function el (tag, children, attrs) {
  const node = { tag }
  if (attrs != null) node.attrs = attrs
  if (children != null) node.children = children
  return node
}

/** A line that starts a block other than a paragraph (so it ends a paragraph above it). */
function startsBlock (line) {
  if (FENCE.test(line) || ATX.test(line) || HR.test(line) || QUOTE.test(line)) return true
  const item = LIST_ITEM.exec(line)
  // As in CommonMark: an empty item, or a numbered one not starting at 1, does not cut a paragraph.
  return item != null && item[4] != null && item[4].trim() !== '' && (/^[-*+]$/.test(item[2]) || /^0*1[.)]$/.test(item[2]))
}

/** An ATX heading's text without its optional closing `#`s (`## Title ##`). */
function headingText (s) {
  const text = s.trimEnd()
  let end = text.length
  while (end > 0 && text[end - 1] === '#') end--
  const bare = text.slice(0, end)
  return bare === '' || bare.endsWith(' ') || bare.endsWith('\t') ? bare.trimEnd() : text
}

/**
 * Parse Markdown into a tree of the elements in TAGS.
 * @param {unknown} source
 * @param {ParseOptions} [opts] minHeading: the highest heading level used (2: a post's `#` is an h2, under the page's h1)
 * @returns {MdNode[]}
 */
export function parse (source, opts = {}) {
  const text = String(source ?? '').replace(/\r\n?/g, '\n').replaceAll('\0', '\uFFFD')
  const lines = text.split('\n').map(l => l.replace(/^[ \t]+/, ws => ws.replaceAll('\t', '    ')))
  return blocks(lines, 0, Math.max(1, Math.min(6, Math.trunc(opts.minHeading ?? 1))))
}

/**
 * @param {string[]} lines
 * @param {number} depth
 * @param {number} minHeading
 * @returns {MdNode[]}
 */
function blocks (lines, depth, minHeading) {
  if (depth > MAX_DEPTH) return [el('p', [lines.join('\n').trim()])]
  /** @type {MdNode[]} */
  const out = []
  let i = 0
  while (i < lines.length) {
    const line = lines[i]
    let m
    if (isBlank(line)) {
      i++
    } else if ((m = FENCE.exec(line)) != null && !(m[2][0] === '`' && m[3].includes('`'))) {
      const [, indent, fence] = m
      const body = []
      i++
      const close = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}[ \\t]*$`)
      while (i < lines.length && !close.test(lines[i])) {
        body.push(lines[i].slice(Math.min(indent.length, indentOf(lines[i]))))
        i++
      }
      i++ // the closing fence (or the end)
      out.push(el('pre', [el('code', [body.join('\n')])]))
    } else if ((m = ATX.exec(line)) != null) {
      out.push(el(`h${Math.max(m[1].length, minHeading)}`, inline(headingText(m[2] ?? ''), 0)))
      i++
    } else if (HR.test(line)) {
      out.push(el('hr'))
      i++
    } else if (QUOTE.test(line)) {
      const inner = []
      while (i < lines.length && QUOTE.test(lines[i])) {
        inner.push(lines[i].replace(QUOTE, ''))
        i++
      }
      out.push(el('blockquote', blocks(inner, depth + 1, minHeading)))
    } else if (LIST_ITEM.test(line)) {
      i = list(lines, i, depth, minHeading, out)
    } else if (indentOf(line) >= 4) {
      const body = []
      while (i < lines.length && (isBlank(lines[i]) || indentOf(lines[i]) >= 4)) {
        body.push(lines[i].slice(4))
        i++
      }
      while (body.length > 0 && isBlank(body.at(-1))) body.pop()
      out.push(el('pre', [el('code', [body.join('\n')])]))
    } else {
      const para = [line.trimStart()]
      i++
      let heading = 0
      while (i < lines.length && !isBlank(lines[i])) {
        const setext = SETEXT.exec(lines[i])
        if (setext != null) {
          heading = setext[1][0] === '=' ? 1 : 2
          i++
          break
        }
        if (startsBlock(lines[i])) break
        para.push(lines[i].replace(/^ +/, ''))
        i++
      }
      const content = inline(para.join('\n').replace(/[ \t]+$/, ''), 0)
      out.push(heading > 0 ? el(`h${Math.max(heading, minHeading)}`, content) : el('p', content))
    }
  }
  return out
}

/**
 * One list, from lines[i] (an item). Items continue while the next item has the same kind of
 * marker; an item's own lines are those indented to its content, and lazy continuation lines.
 * @param {string[]} lines
 * @param {number} i
 * @param {number} depth
 * @param {number} minHeading
 * @param {MdNode[]} out
 * @returns {number} the line after the list
 */
function list (lines, i, depth, minHeading, out) {
  const first = LIST_ITEM.exec(lines[i])
  const ordered = /\d/.test(first[2])
  const kind = first[2].at(-1)
  /** @type {string[][]} */
  const items = []
  let loose = false
  while (i < lines.length) {
    const m = LIST_ITEM.exec(lines[i])
    if (m == null || m[2].at(-1) !== kind || HR.test(lines[i])) break
    const spaces = m[3]?.length ?? 0
    // Content starts after the marker and its spaces (five or more spaces: one, the rest is content).
    const contentIndent = m[1].length + m[2].length + (spaces === 0 || spaces > 4 ? 1 : spaces)
    const own = [spaces > 4 ? ' '.repeat(spaces - 1) + m[4] : (m[4] ?? '')]
    i++
    let blank = false
    while (i < lines.length) {
      const l = lines[i]
      if (isBlank(l)) {
        own.push('')
        blank = true
      } else if (indentOf(l) >= contentIndent) {
        own.push(l.slice(contentIndent))
        blank = false
      } else if (!blank && !startsBlock(l) && !LIST_ITEM.test(l)) {
        own.push(l.trim()) // a lazy continuation of the item's paragraph
      } else {
        break
      }
      i++
    }
    let trailingBlank = false
    while (own.length > 0 && isBlank(own.at(-1))) {
      own.pop()
      trailingBlank = true
    }
    // A blank line between items, or between blocks inside one, makes the list loose (paragraphs kept).
    if (own.some((l, n) => isBlank(l) && n > 0 && n < own.length - 1)) loose = true
    const next = i < lines.length ? LIST_ITEM.exec(lines[i]) : null
    if (trailingBlank && next != null && next[2].at(-1) === kind) loose = true
    items.push(own)
  }
  const children = items.map((own) => {
    const content = blocks(own, depth + 1, minHeading)
    // A tight list's items hold their text directly, not in paragraphs.
    return el('li', loose ? content : content.flatMap(n => typeof n !== 'string' && n.tag === 'p' ? (n.children ?? []) : [n]))
  })
  const start = ordered ? Number.parseInt(first[2], 10) : 1
  out.push(el(ordered ? 'ol' : 'ul', children, ordered && start !== 1 ? { start: String(start) } : undefined))
  return i
}

// ---------------------------------------------------------------------------------------------
// Inline

const PUNCT = /[!-/:-@[-`{-~]/
/** @param {string | undefined} c */
const isSpace = c => c == null || /\s/.test(c)
/** @param {string | undefined} c */
const isWordChar = c => c != null && /[\p{L}\p{N}]/u.test(c)

/** Longest link target and title looked at; longer ones are not links (a URL has at most 2,048 characters). */
const MAX_DEST = 2100
const MAX_TITLE = 500
const MAX_PARENS = 32

/** Backslash escapes in a link target or title: `\)` is `)`. */
const unescape = s => s.replace(/\\([!-/:-@[-`{-~])/g, '$1')

/**
 * The matching `]` of every `[` in `text` (by index), in one pass; escaped brackets do not count.
 * @param {string} text
 * @returns {Map<number, number>}
 */
function matchBrackets (text) {
  const match = new Map()
  const open = []
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '\\') i++
    else if (c === '[') open.push(i)
    else if (c === ']' && open.length > 0) match.set(open.pop(), i)
  }
  return match
}

/**
 * `(target "title")` at text[p], as after a link's `]`.
 * @param {string} text
 * @param {number} p
 * @returns {{ dest: string, title: string | null, end: number } | null}
 */
function linkTarget (text, p) {
  if (text[p] !== '(') return null
  let j = p + 1
  while (text[j] === ' ' || text[j] === '\n') j++
  let dest
  if (text[j] === '<') {
    const close = findWithin(text, '>', j + 1, MAX_DEST)
    if (close < 0) return null
    dest = text.slice(j + 1, close)
    if (/[\n<]/.test(dest)) return null
    j = close + 1
  } else {
    const start = j
    let parens = 0
    while (j < text.length) {
      if (j - start > MAX_DEST) return null
      const c = text[j]
      if (c === '\\' && j + 1 < text.length) { j += 2; continue }
      if (c === '(') {
        // Like CommonMark's suggested limit: deeper nesting is not a link (and costs nothing to find out).
        if (++parens > MAX_PARENS) return null
      } else if (c === ')') { if (parens === 0) break; parens-- } else if (/\s/.test(c)) break
      j++
    }
    dest = text.slice(start, j)
  }
  while (text[j] === ' ' || text[j] === '\n') j++
  let title = null
  const q = text[j]
  if (q === '"' || q === '\'' || q === '(') {
    const close = findWithin(text, q === '(' ? ')' : q, j + 1, MAX_TITLE)
    if (close < 0) return null
    title = unescape(text.slice(j + 1, close))
    j = close + 1
    while (text[j] === ' ' || text[j] === '\n') j++
  }
  if (text[j] !== ')') return null
  return { dest: unescape(dest), title, end: j + 1 }
}

/** indexOf, looking at most `max` characters ahead (so many unclosed openers cost little each). */
function findWithin (text, ch, from, max) {
  const k = text.slice(from, from + max + 1).indexOf(ch)
  return k < 0 ? -1 : from + k
}

/** The text of a tree, for an image's alt text, excerpts and reading time. */
export function textOf (nodes) {
  let out = ''
  for (const n of nodes) {
    if (typeof n === 'string') out += n
    else if (n.tag === 'img') out += n.attrs?.alt ?? ''
    else if (n.tag === 'br' || n.tag === 'hr') out += '\n'
    else {
      const inner = textOf(n.children ?? [])
      out += /^(?:p|h\d|li|pre|blockquote)$/.test(n.tag) ? `${inner}\n` : inner
    }
  }
  return out
}

const AUTOLINK = /^<([a-z][a-z0-9+.-]{1,31}:[^\s<>]*)>$/i
const EMAIL_AUTOLINK = /^<([\w.+-]+@[\w-]+(?:\.[\w-]+)+)>$/
const BARE_URL = /^https?:\/\/[^\s<]+/i
/** Longest autolink looked at (a URL longer than this is not linked). */
const MAX_AUTOLINK = 2100

/** A bare URL ends before trailing punctuation, and before a `)` it does not open. */
function trimUrl (url) {
  let u = url.replace(/[.,:;!?"'*_~]+$/, '')
  while (u.endsWith(')') && (u.match(/\)/g) ?? []).length > (u.match(/\(/g) ?? []).length) u = u.slice(0, -1).replace(/[.,:;!?"'*_~]+$/, '')
  return u
}

/**
 * @param {string} href a URL safeHref accepted
 * @param {MdNode[]} children
 * @param {string | null} [title]
 */
function link (href, children, title) {
  const attrs = { href, rel: 'noopener noreferrer' }
  if (title != null && title !== '') attrs.title = title
  if (isExternal(href)) attrs.target = '_blank'
  return el('a', children, attrs)
}

/**
 * Inline Markdown in `text` (a paragraph's or a heading's), as nodes.
 * @param {string} text
 * @param {number} depth
 * @param {boolean} [inLink] inside a link's text: no links in links
 * @returns {MdNode[]}
 */
function inline (text, depth, inLink = false) {
  if (depth > MAX_DEPTH) return text === '' ? [] : [text]
  /** @type {MdNode[]} */
  const out = []
  let buf = ''
  const flush = () => { if (buf !== '') { out.push(buf); buf = '' } }
  const brackets = matchBrackets(text)
  /** Where a search for a closing delimiter found nothing (later searches from there on will not either). */
  const noCloser = new Map()
  /** The next `>` at or after the current position (-1: none left), for autolinks. */
  let nextGt = -2

  /** The first valid closing `delim` at or after `from` (-1: none). */
  const closer = (delim, from) => {
    const failedAt = noCloser.get(delim)
    if (failedAt != null && from >= failedAt) return -1
    let at = from
    for (;;) {
      const k = text.indexOf(delim, at)
      if (k < 0) { noCloser.set(delim, Math.min(failedAt ?? Infinity, from)); return -1 }
      // A closer follows something (not a space); inside a longer run, the run's last characters close.
      let end = k + delim.length
      while (text[end] === delim[0]) end++
      const c = end - delim.length
      if (c > from && !isSpace(text[c - 1]) && !(delim[0] === '_' && isWordChar(text[end]))) return c
      at = end
    }
  }

  let i = 0
  while (i < text.length) {
    const c = text[i]
    if (c === '\\') {
      const next = text[i + 1]
      if (next === '\n') { flush(); out.push(el('br')); i += 2; continue }
      if (next != null && PUNCT.test(next)) { buf += next; i += 2; continue }
      buf += c
      i++
      continue
    }
    if (c === '\n') {
      // Two or more spaces before a line break: a hard break; otherwise the break is a space.
      let end = buf.length
      while (end > 0 && buf[end - 1] === ' ') end--
      const hard = buf.length - end >= 2
      buf = buf.slice(0, end)
      if (hard) { flush(); out.push(el('br')) } else buf += '\n'
      i++
      while (text[i] === ' ') i++
      continue
    }
    if (c === '`') {
      let n = 1
      while (text[i + n] === '`') n++
      const fence = '`'.repeat(n)
      let found = -1
      const failedAt = noCloser.get(fence)
      if (failedAt == null || i + n < failedAt) {
        for (let k = i + n; ;) {
          k = text.indexOf(fence, k)
          if (k < 0) break
          let end = k + n
          while (text[end] === '`') end++
          if (end - k === n) { found = k; break }
          k = end
        }
        if (found < 0) noCloser.set(fence, i + n)
      }
      if (found < 0) {
        buf += fence
        i += n
        continue
      }
      let code = text.slice(i + n, found).replaceAll('\n', ' ')
      if (code.length > 2 && code.startsWith(' ') && code.endsWith(' ') && code.trim() !== '') code = code.slice(1, -1)
      flush()
      out.push(el('code', [code]))
      i = found + n
      continue
    }
    if ((c === '!' && text[i + 1] === '[') || c === '[') {
      const open = c === '!' ? i + 1 : i
      const close = brackets.get(open)
      const target = close == null ? null : linkTarget(text, close + 1)
      if (target != null && !(inLink && c === '[')) {
        const label = text.slice(open + 1, close)
        flush()
        if (c === '!') {
          const alt = textOf(inline(label, depth + 1, true)).trim()
          const src = safeImageSrc(target.dest)
          if (src == null) {
            // Not an image this page may show: its description stays, as text.
            if (alt !== '') out.push(alt)
          } else {
            const attrs = { src, alt, loading: 'lazy' }
            if (target.title != null && target.title !== '') attrs.title = target.title
            out.push(el('img', undefined, attrs))
          }
        } else {
          const children = inline(label, depth + 1, true)
          const href = safeHref(target.dest)
          // A refused link keeps its text, without the link.
          if (href == null) out.push(...children)
          else out.push(link(href, children, target.title))
        }
        i = target.end
        continue
      }
    }
    if (c === '<' && !inLink) {
      if (nextGt !== -1 && nextGt < i) nextGt = text.indexOf('>', i)
      if (nextGt > i && nextGt - i <= MAX_AUTOLINK) {
        const candidate = text.slice(i, nextGt + 1)
        const m = AUTOLINK.exec(candidate) ?? EMAIL_AUTOLINK.exec(candidate)
        const href = m == null ? null : safeHref(m[1].includes(':') ? m[1] : `mailto:${m[1]}`)
        if (m != null && href != null) {
          flush()
          out.push(link(href, [m[1]]))
          i += m[0].length
          continue
        }
      }
    }
    if ((c === 'h' || c === 'H') && !inLink && !isWordChar(text[i - 1]) && /^https?:\/\//i.test(text.slice(i, i + 8))) {
      const m = BARE_URL.exec(text.slice(i, i + MAX_AUTOLINK))
      const url = m == null ? '' : trimUrl(m[0])
      const href = safeHref(url)
      if (href != null && url.length > 8) {
        flush()
        out.push(link(href, [url]))
        i += url.length
        continue
      }
    }
    if (c === '*' || c === '_' || c === '~') {
      let run = 1
      while (text[i + run] === c) run++
      // `_` inside a word (snake_case) is a letter, not emphasis.
      const intraword = c === '_' && isWordChar(text[i - 1])
      const opens = !isSpace(text[i + run]) && !intraword
      const delims = c === '~' ? (run === 2 ? ['~~'] : []) : run >= 2 ? [c + c, c] : [c]
      let done = false
      for (const delim of opens ? delims : []) {
        const start = i + delim.length
        const end = closer(delim, start)
        if (end < 0) continue
        flush()
        out.push(el(delim === '~~' ? 'del' : delim.length === 2 ? 'strong' : 'em', inline(text.slice(start, end), depth + 1, inLink)))
        i = end + delim.length
        done = true
        break
      }
      if (done) continue
      buf += text.slice(i, i + run)
      i += run
      continue
    }
    buf += c
    i++
  }
  flush()
  return out
}

// ---------------------------------------------------------------------------------------------
// Output

/** An element as it may be output: a known tag, and only its allowed attributes, checked again. */
function checked (node) {
  if (!TAGS.has(node.tag)) return null
  const attrs = {}
  for (const name of ATTRS[node.tag] ?? []) {
    const v = node.attrs?.[name]
    if (typeof v === 'string') attrs[name] = v
  }
  if (node.tag === 'a') {
    attrs.href = safeHref(attrs.href)
    if (attrs.href == null) return null
    attrs.rel = 'noopener noreferrer'
  }
  if (node.tag === 'img') {
    attrs.src = safeImageSrc(attrs.src)
    if (attrs.src == null) return null
  }
  if (node.tag === 'ol' && attrs.start != null && !/^\d{1,9}$/.test(attrs.start)) delete attrs.start
  return attrs
}

/**
 * The tree as DOM nodes (a fragment to append): text as text nodes, elements from TAGS only.
 * @param {MdNode[]} nodes
 * @param {Document} [doc]
 * @returns {DocumentFragment}
 */
export function toDom (nodes, doc = document) {
  const frag = doc.createDocumentFragment()
  for (const n of nodes) {
    if (typeof n === 'string') { frag.append(doc.createTextNode(n)); continue }
    const attrs = checked(n)
    // An element that fails its check again is left out, its text kept.
    if (attrs == null) { frag.append(toDom(n.children ?? [], doc)); continue }
    const node = doc.createElement(n.tag)
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value)
    if (!VOID.has(n.tag)) node.append(toDom(n.children ?? [], doc))
    frag.append(node)
  }
  return frag
}

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' }
const escape = s => s.replace(/[&<>"']/g, ch => ESCAPES[ch])

/**
 * The tree as HTML text, every text and attribute escaped (for tests, and anyone who wants a string).
 * @param {MdNode[]} nodes
 * @returns {string}
 */
export function toHtml (nodes) {
  let out = ''
  for (const n of nodes) {
    if (typeof n === 'string') { out += escape(n); continue }
    const attrs = checked(n)
    if (attrs == null) { out += toHtml(n.children ?? []); continue }
    out += `<${n.tag}${Object.entries(attrs).map(([k, v]) => ` ${k}="${escape(v)}"`).join('')}>`
    if (!VOID.has(n.tag)) out += `${toHtml(n.children ?? [])}</${n.tag}>`
  }
  return out
}

/**
 * Render Markdown into `container` (its old content replaced).
 * @param {Element} container
 * @param {string} source
 * @param {ParseOptions} [opts]
 */
export function renderInto (container, source, opts) {
  container.replaceChildren(toDom(parse(source, opts), container.ownerDocument))
}
