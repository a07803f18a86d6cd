import semver from 'semver'
import { SDK_VERSION, TEMPLATE_MANIFEST, TemplateManifestSchema, type TemplateManifest, type z } from '@goop/sdk'
import { fail } from './errors.js'
import { JsonSyntaxError, scanJson, type Position } from './json-pos.js'

/** The largest goop-template.json read (seed rows included). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024

/** A logic entry (and any logic file): a relative path of plain names, no `..`, no backslashes. */
const LOGIC_PATH = /^(?:[A-Za-z0-9_][A-Za-z0-9._-]*\/)*[A-Za-z0-9_][A-Za-z0-9._-]*$/

type Issue = z.ZodError['issues'][number]

/** `where.and[3].op` */
function pathText (path: ReadonlyArray<PropertyKey>): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : (out === '' ? String(p) : `.${String(p)}`)
  return out
}

/** For a union that matched no branch, the issue of the branch that got furthest (it says what was wrong). */
function deepest (issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue
  let best: Issue[] = issue.errors[0]
  const depth = (b: Issue[]): number => b.length === 0 ? 0 : Math.max(...b.map(i => i.path.length)) + 1
  for (const branch of issue.errors) if (depth(branch) > depth(best)) best = branch
  return best.length > 0 ? deepest({ ...best[0], path: [...issue.path, ...best[0].path] }) : issue
}

/**
 * Parse and check a manifest's text. `file` names it in errors, which read
 * `FILE:LINE:COLUMN: PATH: what is wrong` (at most three issues, each with its own place), so an
 * author goes straight to the line. Throws GoopError `bad_template`.
 */
export function parseManifest (text: string, file: string): TemplateManifest {
  let locate: (path: ReadonlyArray<PropertyKey>) => Position
  try {
    locate = scanJson(text)
  } catch (err) {
    if (err instanceof JsonSyntaxError) fail('bad_template', `${file}:${err.at.line}:${err.at.column}: not valid JSON: ${err.message}`)
    throw err
  }
  const raw: unknown = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
  const at = (path: ReadonlyArray<PropertyKey>): string => { const p = locate(path); return `${file}:${p.line}:${p.column}` }

  const result = TemplateManifestSchema.safeParse(raw)
  if (!result.success) {
    const lines = result.error.issues.slice(0, 3).map((i) => {
      const issue = deepest(i)
      const what = issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.slice(0, 5).map(k => JSON.stringify(k)).join(', ')}`
        : issue.message
      const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path
      return `${at(path)}: ${issue.path.length > 0 ? `${pathText(issue.path)}: ` : ''}${what}`
    })
    if (result.error.issues.length > 3) lines.push(`and ${result.error.issues.length - 3} more`)
    fail('bad_template', lines.join('; '))
  }
  const m = result.data

  if (semver.validRange(m.sdk) == null) fail('bad_template', `${at(['sdk'])}: sdk: ${JSON.stringify(m.sdk)} is not a semver range (e.g. "^1.3.0")`)
  if (!semver.satisfies(SDK_VERSION, m.sdk)) {
    fail('bad_template', `${at(['sdk'])}: sdk: the template needs @goop/sdk ${m.sdk}, but this peer provides @goop/sdk ${SDK_VERSION}`)
  }
  if (m.logic != null && (!LOGIC_PATH.test(m.logic.entry) || m.logic.entry.split('/').some(p => p === '.' || p === '..'))) {
    fail('bad_template', `${at(['logic', 'entry'])}: logic.entry: ${JSON.stringify(m.logic.entry)} must be a path inside logic/ such as "main.lua" or "src/main.ts" (letters, digits, . _ - and /; no ..)`)
  }
  // Seed rows may only name the table's own columns: said here with the line, not later by the engine.
  for (const [table, rows] of Object.entries(m.seed)) {
    const columns = m.tables[table]?.columns ?? {}
    rows.forEach((row, n) => {
      for (const column of Object.keys(row)) {
        if (columns[column] == null) {
          fail('bad_template', `${at(['seed', table, n, column])}: seed.${table}[${n}]: ${table} has no column ${JSON.stringify(column)}${column.startsWith('_') ? ' (system columns are set by the data plugin)' : ''}`)
        }
      }
    })
  }
  return m
}

/** The manifest's file name inside a template folder. */
export const MANIFEST_FILE = TEMPLATE_MANIFEST

/** A logic file's relative path is acceptable (what a runtime will be given as a key of `files`). */
export function isLogicPath (path: string): boolean {
  return LOGIC_PATH.test(path) && !path.split('/').some(p => p === '.' || p === '..')
}
