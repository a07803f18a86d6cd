// What the front page shows of a post without showing all of it: the start of its text and how
// long it takes to read, both from its Markdown as plain text.

import { parse, textOf } from './markdown.js'

const EXCERPT_CHARS = 260
const WORDS_PER_MINUTE = 220

/** The first few sentences of a post (its paragraphs, not its headings or code), as plain text, cut at a word. */
export function excerpt (body) {
  const tree = parse(body)
  const paragraphs = tree.filter(n => typeof n !== 'string' && n.tag === 'p')
  const text = textOf(paragraphs.length > 0 ? paragraphs : tree).replace(/\s+/g, ' ').trim()
  if (text.length <= EXCERPT_CHARS) return text
  const cut = text.slice(0, EXCERPT_CHARS)
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), EXCERPT_CHARS - 40)).trimEnd()}…`
}

/** "3 min read". */
export function readingTime (body) {
  const words = textOf(parse(body)).split(/\s+/).filter(Boolean).length
  return `${Math.max(1, Math.round(words / WORDS_PER_MINUTE))} min read`
}
