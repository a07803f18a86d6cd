// @ts-check
// The whole project, made in memory first (a few hundred KiB at most): every check happens before
// the first file is written, and a refusal leaves nothing behind.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { devDependencies } from './deps.js'
import { projectManifest } from './manifest.js'
import { GITIGNORE, LOGIC_TSCONFIG, packageJson } from './project.js'
import { readme } from './readme.js'
import { MANIFEST } from './starters.js'

/** @typedef {import('./starters.js').Starter} Starter */

const TESTS_DIR = fileURLToPath(new URL('../project/tests/', import.meta.url))
/** What the empty starting points have in common (their page), overridden by each one's own files. */
const SHARED_DIR = fileURLToPath(new URL('../starters/shared/', import.meta.url))

/** The tests a starting point's project gets (project/tests/NAME.test.ts); any other template gets the generic ones. */
const TESTS = /** @type {Record<string, string>} */ ({
  'empty-js': 'notes-logic',
  'empty-lua': 'notes-logic',
  'empty-static': 'notes-static',
  blog: 'blog',
  quiz: 'quiz',
  tictactoe: 'tictactoe'
})

/**
 * The files under `dir` (relative, `/`), links left out: a template holds plain files and folders.
 * @param {string} dir
 * @param {string} prefix
 * @returns {string[]}
 */
function filesUnder (dir, prefix) {
  /** @type {string[]} */
  const out = []
  let entries
  try { entries = readdirSync(dir, { withFileTypes: true }) } catch { return out }
  for (const e of entries) {
    if (e.isDirectory()) out.push(...filesUnder(join(dir, e.name), `${prefix}${e.name}/`))
    else if (e.isFile()) out.push(`${prefix}${e.name}`)
  }
  return out
}

/**
 * @param {object} p
 * @param {Starter} p.starter
 * @param {string} p.name       the project's template (and package) name
 * @param {string | null} p.workspace  link the goop packages from this workspace, or null for npm versions
 * @returns {{ files: Map<string, Buffer>, version: string }} the files: path (relative, `/`) → contents, sorted by path
 */
export function generate ({ starter, name, workspace }) {
  /** @type {Map<string, Buffer>} */
  const files = new Map()
  const put = (/** @type {string} */ path, /** @type {string | Buffer} */ data) => { files.set(path, typeof data === 'string' ? Buffer.from(data, 'utf8') : data) }

  const manifest = projectManifest(readFileSync(join(starter.dir, MANIFEST), 'utf8'), name)
  put(MANIFEST, manifest.text)
  // What a template is (and what the bundled package ships): site/ and, with a runtime, logic/.
  const folders = starter.runtime === 'static' ? ['site'] : ['site', 'logic']
  // The empty apps share one page (starters/shared/site/); a starter's own files override it (the
  // static one has its own app.js: it writes through goop.data rather than a logic function).
  if (!starter.bundled) for (const f of filesUnder(join(SHARED_DIR, 'site'), 'site/')) put(f, readFileSync(join(SHARED_DIR, f)))
  for (const folder of folders) {
    for (const f of filesUnder(join(starter.dir, folder), `${folder}/`)) put(f, readFileSync(join(starter.dir, f)))
  }
  if (starter.runtime === 'js' && !files.has('logic/tsconfig.json')) put('logic/tsconfig.json', LOGIC_TSCONFIG)

  put('test/peers.ts', readFileSync(join(TESTS_DIR, 'peers.ts')))
  put('test/app.test.ts', readFileSync(join(TESTS_DIR, `${TESTS[starter.name] ?? 'generic'}.test.ts`)))
  put('package.json', packageJson({
    name,
    version: manifest.version,
    description: manifest.description,
    runtime: starter.runtime,
    devDependencies: devDependencies(starter.runtime, workspace)
  }))
  put('.gitignore', GITIGNORE)
  put('README.md', readme({
    name,
    title: manifest.title,
    description: manifest.description,
    version: manifest.version,
    entry: manifest.entry,
    runtime: starter.runtime,
    starter,
    files: [...files.keys(), 'README.md'].toSorted(),
    workspace
  }))
  return { files: new Map([...files].toSorted(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)), version: manifest.version }
}
