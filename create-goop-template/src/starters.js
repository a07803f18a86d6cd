// @ts-check
// The starting points: an empty app per runtime (starters/empty-*: one table and, for lua and js, one
// logic function; the page they share is starters/shared/site/) and every template bundled with goop
// (the @goop/templates package), whose runtime is its own.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { templatesDir } from '@goop/templates'
import { isRuntime, RUNTIMES } from './args.js'

/** @typedef {import('./args.js').Runtime} Runtime */

/**
 * @typedef {object} Starter
 * @property {string} name        what --template takes: empty-js, quiz, …
 * @property {Runtime} runtime
 * @property {string} title
 * @property {string} description
 * @property {string} dir         its folder (goop-template.json, site/, logic/)
 * @property {boolean} bundled    a template bundled with goop, rather than an empty app
 */

export const MANIFEST = 'goop-template.json'
const EMPTY_DIR = fileURLToPath(new URL('../starters/', import.meta.url))

/** @param {Runtime} runtime */
export const emptyFor = (runtime) => `empty-${runtime}`

/**
 * A starting point's manifest, or null if the folder holds none that names a runtime.
 * @param {string} name
 * @param {string} dir
 * @param {boolean} bundled
 * @returns {Starter | null}
 */
function read (name, dir, bundled) {
  const file = join(dir, MANIFEST)
  if (!existsSync(file)) return null
  /** @type {unknown} */
  let m
  try { m = JSON.parse(readFileSync(file, 'utf8')) } catch { return null }
  if (typeof m !== 'object' || m == null) return null
  const { runtime, title, description } = /** @type {Record<string, unknown>} */ (m)
  if (typeof runtime !== 'string' || !isRuntime(runtime)) return null
  return {
    name,
    runtime,
    title: typeof title === 'string' ? title : name,
    description: typeof description === 'string' ? description : '',
    dir,
    bundled
  }
}

/**
 * Every starting point: the empty apps (js, lua, static), then the bundled templates by name.
 * @returns {Starter[]}
 */
export function starters () {
  /** @type {Starter[]} */
  const out = []
  for (const runtime of RUNTIMES) {
    const s = read(emptyFor(runtime), join(EMPTY_DIR, emptyFor(runtime)), false)
    if (s != null) out.push(s)
  }
  const bundled = existsSync(templatesDir) ? readdirSync(templatesDir, { withFileTypes: true }) : []
  for (const name of bundled.filter(d => d.isDirectory()).map(d => d.name).toSorted()) {
    // Only a folder that is a template, named as one (not node_modules or a stray folder).
    if (!/^[a-z][a-z0-9-]{0,62}$/.test(name) || name.startsWith('empty-')) continue
    const s = read(name, join(templatesDir, name), true)
    if (s != null) out.push(s)
  }
  return out
}

/**
 * One line per starting point, for --list and --help.
 * @param {Starter[]} list
 * @returns {string}
 */
export function describeStarters (list) {
  const width = Math.max(...list.map(s => s.name.length))
  return list.map(s => `  ${s.name.padEnd(width)}  ${s.runtime.padEnd(6)}  ${s.title}${s.description !== '' ? ` — ${firstSentence(s.description)}` : ''}`).join('\n')
}

/** @param {string} text */
function firstSentence (text) {
  const m = /^.*?[.!?](?=\s|$)/.exec(text)
  return (m?.[0] ?? text).replace(/\.$/, '')
}
