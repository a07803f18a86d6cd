// @ts-check
// The command line: `create-goop-template [DIR] [--runtime lua|js|static] [--template NAME]
// [--interactive|--no-interactive] [--overwrite] [--list] [--help]`. Parsing only: whether a named
// template exists, or a folder may be written, is decided later, before anything is written.
import { parseArgs } from 'node:util'
import { UsageError } from './errors.js'

/** @typedef {'static' | 'lua' | 'js'} Runtime */

export const RUNTIMES = /** @type {const} */ (['js', 'lua', 'static'])

/**
 * @typedef {object} Options
 * @property {string | undefined} dir         the project folder (positional)
 * @property {Runtime | undefined} runtime
 * @property {string | undefined} template    a starting point's name
 * @property {boolean | undefined} interactive  true: ask (even without a terminal); false: never; undefined: ask on a terminal
 * @property {boolean} overwrite
 * @property {boolean} list
 * @property {boolean} help
 */

export const USAGE = `Usage: npm create goop-template [DIR] -- [options]
       (or: npx create-goop-template [DIR] [options])

Makes DIR (default: ask, or goop-app) a goop template project: goop-template.json, site/, logic/,
tests that run it on real peers, and the scripts npm run dev, npm test and npm run build.

Options:
  -r, --runtime lua|js|static   the logic's runtime (default js: TypeScript)
  -t, --template NAME           the starting point: empty-js, empty-lua, empty-static or a bundled
                                template (--list shows them; a bundled one brings its own runtime)
  -i, --interactive             ask for what is missing even without a terminal (answers on stdin,
                                one per line; an empty line takes the default)
      --no-interactive          never ask: take the defaults for what is missing
      --overwrite               replace the contents of a folder that is not empty
      --list                    list the starting points
  -h, --help                    this text

On a terminal the missing answers are asked for; otherwise the defaults are used.`

/**
 * @param {string[]} argv
 * @returns {Options}
 */
export function parseOptions (argv) {
  /** @type {ReturnType<typeof parse>} */
  let parsed
  try {
    parsed = parse(argv)
  } catch (err) {
    // Node's messages are long and multi-line ("…To specify a positional argument starting with a
    // '-', place it at the end of the command after '--'…"): keep the first sentence.
    const message = err instanceof Error ? err.message.split('\n')[0].replace(/\. To specify a positional.*$/, '') : String(err)
    throw new UsageError(`${message.replace(/\.$/, '')} (--help shows the options)`)
  }
  const { values, positionals } = parsed
  if (positionals.length > 1) throw new UsageError(`one project folder, please (got ${positionals.map(p => JSON.stringify(p)).join(', ')})`)
  if (values.interactive === true && values['no-interactive'] === true) throw new UsageError('--interactive and --no-interactive contradict each other')
  const runtime = values.runtime
  if (runtime != null && !isRuntime(runtime)) throw new UsageError(`--runtime is one of ${RUNTIMES.join(', ')} (got ${JSON.stringify(runtime)})`)
  if (values.template === '') throw new UsageError('--template needs a name (--list shows them)')
  const dir = positionals[0]
  if (dir === '') throw new UsageError('the project folder cannot be an empty name')
  return {
    dir,
    runtime,
    template: values.template,
    interactive: values.interactive === true ? true : values['no-interactive'] === true ? false : undefined,
    overwrite: values.overwrite === true,
    list: values.list === true,
    help: values.help === true
  }
}

/** @param {string[]} args */
function parse (args) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      runtime: { type: 'string', short: 'r' },
      template: { type: 'string', short: 't' },
      interactive: { type: 'boolean', short: 'i' },
      'no-interactive': { type: 'boolean' },
      overwrite: { type: 'boolean' },
      list: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    }
  })
}

/**
 * @param {string} value
 * @returns {value is Runtime}
 */
export function isRuntime (value) {
  return /** @type {readonly string[]} */ (RUNTIMES).includes(value)
}
