import { builtinModules } from 'node:module'
import { posix } from 'node:path'
import type { LogicSource } from '@goop/sdk'
import { jsError } from './errors.js'
import { JS_LIMITS } from './limits.js'
import { SourceMap, type RawSourceMap } from './sourcemap.js'

/**
 * Bundling a template's logic: esbuild reads the files from the `files` map only (a plugin that
 * resolves and loads from memory, so nothing on disk is ever touched), follows relative imports
 * between them, strips TypeScript types and writes one script. esbuild does not type-check: `load`
 * reports syntax errors and unresolvable imports; type errors are the template build's job (issue 7).
 */

/** The name the bundle runs under in the isolate; stack frames with it are mapped back to the template's files. */
export const BUNDLE_FILENAME = 'goop-logic.bundle.js'
const NS = 'goop-logic'
const GLOBAL_NAME = '__goop_exports'

export interface Bundle {
  /**
   * A script whose value is a function `(goop) => exports`: every call runs it afresh, so a module's
   * top-level state never outlives one call, and `goop` is that call's host API (a parameter, so it
   * shadows any global of that name).
   */
  script: string
  /** Maps a 1-based line and column of `script` (as V8 reports them) to `file:line:col` in the template's files. */
  locate (line: number, col: number): string | undefined
}

const LOADERS: Record<string, 'ts' | 'js' | 'json'> = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.json': 'json' }
const BUILTINS = new Set(builtinModules)

type Esbuild = typeof import('esbuild')
let esbuildModule: Promise<Esbuild> | undefined

export async function bundleLogic (source: LogicSource): Promise<Bundle> {
  const files = checkFiles(source)
  esbuildModule ??= import('esbuild')
  const esbuild = await esbuildModule
  let result
  try {
    result = await esbuild.build({
      entryPoints: [source.entry],
      bundle: true,
      write: false,
      format: 'iife',
      globalName: GLOBAL_NAME,
      platform: 'neutral',
      mainFields: [],
      target: 'es2022',
      outfile: 'logic.js',
      sourcemap: 'external',
      sourcesContent: false,
      charset: 'utf8',
      legalComments: 'none',
      logLevel: 'silent',
      // No tsconfig is read from disk: these are the settings template TypeScript is compiled with.
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: true, verbatimModuleSyntax: false } },
      plugins: [{
        name: 'goop-logic-files',
        setup (build) {
          build.onResolve({ filter: /.*/ }, args => {
            if (args.kind === 'entry-point') return { path: args.path, namespace: NS }
            const found = resolveImport(files, args.importer, args.path)
            return typeof found === 'string' ? { path: found, namespace: NS } : { errors: [{ text: found.error }] }
          })
          build.onLoad({ filter: /.*/, namespace: NS }, args => {
            const contents = files.get(args.path)
            const loader = LOADERS[posix.extname(args.path)]
            if (contents == null || loader == null) return { errors: [{ text: `${args.path}: only .ts, .mts, .js, .mjs and .json files can be logic` }] }
            return { contents, loader }
          })
        }
      }]
    })
  } catch (err) {
    throw jsError('bad_logic', describeBuildFailure(err))
  }
  const js = result.outputFiles.find(f => f.path.endsWith('.js'))
  const map = result.outputFiles.find(f => f.path.endsWith('.js.map'))
  if (js == null || map == null) throw jsError('internal', 'esbuild wrote no bundle')
  // The wrapper's first line comes before the bundle: script line N is bundle line N - 1.
  const script = `(function (goop) { "use strict";\n${js.text}\nreturn ${GLOBAL_NAME};\n})`
  const raw = JSON.parse(map.text) as RawSourceMap
  const sourceMap = new SourceMap(raw, s => s.startsWith(`${NS}:`) ? s.slice(NS.length + 1) : s)
  return { script, locate: (line, col) => sourceMap.lookup(line - 2, col - 1) }
}

/** The files, with paths checked: relative, `/`-separated, inside the logic folder. */
function checkFiles (source: LogicSource): Map<string, string> {
  const entries = Object.entries(source.files ?? {})
  if (entries.length > JS_LIMITS.sourceFiles) throw jsError('bad_logic', `logic has ${entries.length} files, more than ${JS_LIMITS.sourceFiles}`)
  let total = 0
  const files = new Map<string, string>()
  for (const [path, text] of entries) {
    if (typeof text !== 'string') throw jsError('bad_logic', `${path}: not text`)
    if (path !== posix.normalize(path) || path.startsWith('/') || path.startsWith('../') || path.includes('\\') || path === '.') {
      throw jsError('bad_logic', `${path}: a logic file path is relative to logic/, with / between folders and no . or .. parts`)
    }
    total += Buffer.byteLength(text)
    files.set(path, text)
  }
  if (total > JS_LIMITS.sourceBytes) throw jsError('bad_logic', `logic is ${total} bytes, more than ${JS_LIMITS.sourceBytes}`)
  if (!files.has(source.entry)) throw jsError('bad_logic', `the entry ${source.entry} is not one of the logic files`)
  if (LOADERS[posix.extname(source.entry)] == null || posix.extname(source.entry) === '.json') {
    throw jsError('bad_logic', `${source.entry}: the entry is a .ts, .mts, .js or .mjs file`)
  }
  return files
}

/** A relative import, resolved the way TypeScript and node do it for ES modules (`./x.js` may name `x.ts`). */
function resolveImport (files: Map<string, string>, importer: string, spec: string): string | { error: string } {
  if (!spec.startsWith('./') && !spec.startsWith('../')) {
    if (spec === '@goop/sdk' || spec.startsWith('@goop/sdk/')) {
      return { error: `'${spec}' may only be imported for its types here (import type { … }); in logic the host API is the global goop` }
    }
    if (spec.startsWith('node:') || BUILTINS.has(spec)) return { error: `node's '${spec}' is not available in goop logic` }
    return { error: `'${spec}' is not one of the logic's files: only relative imports between the files of logic/ are bundled (no packages)` }
  }
  const base = posix.normalize(posix.join(posix.dirname(importer), spec))
  if (base.startsWith('../') || base === '..') return { error: `'${spec}' is outside the logic folder` }
  const ext = posix.extname(base)
  const stem = ext === '' ? base : base.slice(0, -ext.length)
  const candidates = [base]
  if (ext === '.js') candidates.push(`${stem}.ts`)
  if (ext === '.mjs') candidates.push(`${stem}.mts`)
  if (ext === '.cjs') candidates.push(`${stem}.cts`)
  if (ext === '') candidates.push(...['.ts', '.mts', '.js', '.mjs', '.json'].map(e => base + e), `${base}/index.ts`, `${base}/index.js`)
  const found = candidates.find(c => files.has(c))
  return found ?? { error: `'${spec}' is not one of the logic's files (looked for ${candidates.join(', ')})` }
}

interface EsbuildMessage { text: string, location?: { file: string, line: number, column: number } | null }

/** esbuild's errors as `file:line:col: message` lines, files named as in the template. */
function describeBuildFailure (err: unknown): string {
  const errors = (err as { errors?: EsbuildMessage[] }).errors
  if (!Array.isArray(errors) || errors.length === 0) return `the logic does not build: ${err instanceof Error ? err.message : String(err)}`
  const lines = errors.slice(0, 10).map(e => {
    const loc = e.location
    if (loc == null) return e.text
    const file = loc.file.startsWith(`${NS}:`) ? loc.file.slice(NS.length + 1) : loc.file
    return `${file}:${loc.line}:${loc.column + 1}: ${e.text}`
  })
  if (errors.length > 10) lines.push(`… and ${errors.length - 10} more`)
  return lines.join('\n')
}
