// @ts-check
// create-goop-template: the flags, then the questions (only for what the flags left open, and only on
// a terminal or with --interactive), then the project, made in memory and written in one go.
import { basename, relative, resolve } from 'node:path'
import { isRuntime, parseOptions, RUNTIMES, USAGE } from './args.js'
import { workspaceBuilt, workspaceRoot } from './deps.js'
import { UsageError } from './errors.js'
import { generate } from './generate.js'
import { DEFAULT_DIR, nameFromFolder } from './names.js'
import { Cancelled, choose, createAsker, NoAnswer, text } from './prompt.js'
import { describeStarters, emptyFor, starters } from './starters.js'
import { folderProblem, writeProject } from './write.js'

/** @typedef {import('./args.js').Runtime} Runtime */
/** @typedef {import('./args.js').Options} Options */
/** @typedef {import('./starters.js').Starter} Starter */

/**
 * @typedef {object} Io
 * @property {NodeJS.ReadableStream & { isTTY?: boolean }} stdin
 * @property {NodeJS.WritableStream & { isTTY?: boolean }} stdout
 * @property {NodeJS.WritableStream} stderr
 * @property {string} cwd
 */

/** The runtime when nothing says otherwise: TypeScript logic, type-checked. */
export const DEFAULT_RUNTIME = /** @type {Runtime} */ ('js')

const RUNTIME_LABELS = /** @type {Record<Runtime, string>} */ ({
  js: 'TypeScript (or JavaScript) logic, in a sandboxed isolate',
  lua: 'Lua logic, in a sandboxed Lua VM',
  static: 'no logic: pages and tables with their access policies'
})

/**
 * What the flags settle: a starting point (named, or the empty app of a named runtime), or nothing.
 * Refuses an unknown name and a runtime that contradicts the template's own.
 * @param {Options} opts
 * @param {Starter[]} list
 * @returns {Starter | undefined}
 */
function starterFromFlags (opts, list) {
  if (opts.template == null) return undefined
  const found = list.find(s => s.name === opts.template)
  if (found == null) throw new UsageError(`there is no starting point named ${JSON.stringify(opts.template)}: choose one of ${list.map(s => s.name).join(', ')}`)
  if (opts.runtime != null && opts.runtime !== found.runtime) {
    throw new UsageError(`${found.name} is a ${found.runtime} template: --runtime ${opts.runtime} contradicts it (leave --runtime out, or choose ${emptyFor(opts.runtime)})`)
  }
  return found
}

/**
 * The questions for what the flags left open.
 * @param {import('./prompt.js').Asker} asker
 * @param {Options} opts
 * @param {Starter[]} list
 * @param {Starter | undefined} fromFlags
 * @param {string} cwd
 * @returns {Promise<{ dir: string, starter: Starter }>}
 */
async function ask (asker, opts, list, fromFlags, cwd) {
  const dir = opts.dir ?? await text(asker, 'Project folder', DEFAULT_DIR, answer => folderProblem(resolve(cwd, answer), opts.overwrite, answer))
  if (fromFlags != null) return { dir, starter: fromFlags }
  const runtime = opts.runtime ?? await choose(asker, 'Runtime of the logic:', RUNTIMES.map(r => ({ value: r, label: RUNTIME_LABELS[r] })), DEFAULT_RUNTIME)
  const options = list.filter(s => s.runtime === runtime)
  if (options.length === 1) return { dir, starter: options[0] }
  const name = await choose(asker, 'Starting point:', options.map(s => ({ value: s.name, label: s.bundled ? `${s.title} (a bundled template)` : `${s.title} (an empty app)` })), emptyFor(runtime))
  const starter = options.find(s => s.name === name) ?? options[0]
  return { dir, starter }
}

/**
 * @param {string[]} argv
 * @param {Io} io
 * @returns {Promise<number>} the exit code
 */
export async function main (argv, io) {
  const out = (/** @type {string} */ line) => { io.stdout.write(`${line}\n`) }
  try {
    const opts = parseOptions(argv)
    const list = starters()
    if (opts.help) { out(`${USAGE}\n\nStarting points (--template):\n${describeStarters(list)}`); return 0 }
    if (opts.list) { out(describeStarters(list)); return 0 }
    const fromFlags = starterFromFlags(opts, list)
    // A folder given on the command line is checked before any question is asked.
    const given = opts.dir != null ? folderProblem(resolve(io.cwd, opts.dir), opts.overwrite, opts.dir) : null
    if (given != null) throw new UsageError(given)
    const interactive = opts.interactive ?? (io.stdin.isTTY === true && io.stdout.isTTY === true)
    const complete = opts.dir != null && (fromFlags != null || opts.runtime != null)

    /** @type {{ dir: string, starter: Starter }} */
    let answers
    if (interactive && !complete) {
      const asker = createAsker(io.stdin, io.stdout)
      try { answers = await ask(asker, opts, list, fromFlags, io.cwd) } finally { asker.close() }
    } else {
      const runtime = opts.runtime ?? DEFAULT_RUNTIME
      const starter = fromFlags ?? list.find(s => s.name === emptyFor(runtime))
      if (starter == null || !isRuntime(runtime)) throw new Error(`the ${emptyFor(runtime)} starting point is missing from this installation`)
      answers = { dir: opts.dir ?? DEFAULT_DIR, starter }
    }

    const dir = resolve(io.cwd, answers.dir)
    const problem = folderProblem(dir, opts.overwrite, answers.dir)
    if (problem != null) throw new UsageError(problem)
    const name = nameFromFolder(basename(dir))
    const workspace = workspaceRoot()
    const { files, version } = generate({ starter: answers.starter, name, workspace })
    await writeProject(dir, files, opts.overwrite)

    const s = answers.starter
    out(`\nMade ${name} in ${dir}: ${s.title} (${s.bundled ? `the bundled template ${s.name}` : `an empty ${s.runtime} app`}), ${files.size} files.`)
    if (workspace != null) {
      out(`Its goop packages are file: links into ${workspace} (not yet published).`)
      if (!workspaceBuilt(workspace)) out(`That workspace is not built yet: run npm run build in ${workspace} first.`)
    }
    // The folder as the person will type it: relative below here, absolute anywhere else.
    const rel = relative(io.cwd, dir)
    const shown = rel.startsWith('..') ? dir : rel
    out('\nNext:')
    if (shown !== '') out(`  cd ${/\s/.test(shown) ? JSON.stringify(shown) : shown}`)
    out('  npm install')
    out('  npm test          # a real owner peer and a visitor peer use the app')
    out('  npm run dev       # a dev peer with the app applied; edits are applied at once')
    out(`  npm run build     # checks it and writes ${name}-${version}.goop.tgz`)
    return 0
  } catch (err) {
    if (err instanceof UsageError || err instanceof NoAnswer) { io.stderr.write(`create-goop-template: ${err.message}\n`); return 2 }
    if (err instanceof Cancelled) { io.stderr.write(`create-goop-template: ${err.message}\n`); return 130 }
    io.stderr.write(`create-goop-template: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
    return 1
  }
}
