import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve as resolvePath } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import { runInNewContext } from 'node:vm'
import type { Browser, Page } from 'playwright-core'
import { DataSchema, TemplateManifestSchema } from '@goop/sdk'
import { siteLabel } from '@goop/core'
import { connect, probe, startTestPeer, type TestPeer } from '@goop/core/testing'
import type { TemplatesService } from '@goop/plugin-templates'
import { launchBrowser, watchedPage } from '../../core/test/helpers/browser.js'

/**
 * sdk/docs/templates.md, run. Every fenced block tagged `example=NAME` is run for real, and what the
 * guide says it prints is what it must print:
 *
 * - `manifest` (json): valid for the SDK's TemplateManifestSchema, and the manifest of every template
 *   below (for TypeScript with only `runtime` and `logic.entry` changed, as the guide says);
 * - page scripts (js: `columns`, `policies`, `page`, `logic-calls`, `limits-*-calls`): run in chromium
 *   on the owner's site origin as served by a visitor's viewer, with the real goop.js, against a
 *   real owner peer over libp2p. Each `console.log(x) // → value` line must log exactly `value`, in
 *   order, and nothing else is logged. Sections 2–5 run in order against the Lua logic, and again
 *   against the TypeScript logic from a fresh apply: both must print the same;
 * - logic (lua/ts `logic-*`, `limits-*`): the entry of the template the page scripts call; the
 *   TypeScript ones are also type-checked with `tsc -p logic` in a project made by the scaffolder,
 *   and the test file with Node's and @goop/core/testing's types;
 * - `test` (ts): the test file of a Lua project made by `npm create goop-template` (with the guide's
 *   manifest and logic), run by the shell session `test-run` (`npm test`);
 * - shell sessions (sh: `test-run`, `share`): each `$ command` runs in that project; the lines under
 *   it must appear in its output in that order (`…` matches anything).
 *
 * The guide's relative links must lead to files and headings that exist.
 */

const DOC = fileURLToPath(new URL('../docs/templates.md', import.meta.url))
const REPO = fileURLToPath(new URL('../../', import.meta.url))
const CREATE = join(REPO, 'create-goop-template', 'index.js')

interface Example { name: string, lang: string, code: string, line: number }

/** The tagged blocks of a Markdown file: ```lang example=NAME … ```. */
function examplesOf (markdown: string): Example[] {
  const out: Example[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)(.*)$/.exec(lines[i])
    if (open == null) continue
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'))
    assert.notEqual(end, -1, `templates.md:${i + 1}: a code block that is never closed`)
    const tag = /\bexample=([a-z0-9-]+)/.exec(open[2])
    if (tag != null) out.push({ name: tag[1], lang: open[1], code: lines.slice(i + 1, end).join('\n') + '\n', line: i + 1 })
    i = end
  }
  return out
}

const markdown = readFileSync(DOC, 'utf8')
const examples = new Map(examplesOf(markdown).map(e => [e.name, e]))
const where = (e: Example, offset = 0): string => `sdk/docs/templates.md:${e.line + 1 + offset}`
function example (name: string): Example {
  const e = examples.get(name)
  assert.ok(e != null, `templates.md has no example=${name}`)
  return e
}

/** How each example is run; the test checks that this is every tagged block of the guide. */
const PAGE_STORY = ['columns', 'policies', 'page', 'logic-calls']
const RUNTIMES = [
  { runtime: 'lua', logic: 'logic-lua', limits: 'limits-lua', limitsCalls: 'limits-lua-calls', entry: 'main.lua' },
  { runtime: 'js', logic: 'logic-ts', limits: 'limits-ts', limitsCalls: 'limits-ts-calls', entry: 'main.ts' }
] as const
const RUN = new Set(['manifest', ...PAGE_STORY, ...RUNTIMES.flatMap(r => [r.logic, r.limits, r.limitsCalls]), 'test', 'test-run', 'share'])

// ---------------------------------------------------------------------------------------------
// Page scripts: what each logs, and what the guide says it logs

/** One `console.log(…) // → value` per line: the values, as the guide writes them (JS literals). */
function expectations (e: Example): Array<{ value: unknown, line: number, text: string }> {
  const out: Array<{ value: unknown, line: number, text: string }> = []
  e.code.split('\n').forEach((text, i) => {
    if (!text.includes('console.log(')) return
    const arrow = text.indexOf('// → ')
    assert.notEqual(arrow, -1, `${where(e, i)}: console.log without "// → what it prints"`)
    let value: unknown
    try { value = runInNewContext(`(${text.slice(arrow + 5)})`) } catch (err) { assert.fail(`${where(e, i)}: the value after → is not a JS literal: ${String(err)}`) }
    out.push({ value: plain(value), line: i, text: text.slice(0, arrow).trim() })
  })
  return out
}

/** As JSON has it (no prototypes, no undefined properties), so values from two realms compare. */
const plain = (v: unknown): unknown => v === undefined ? undefined : JSON.parse(JSON.stringify(v))

/** The site every template here gets: a runner page that imports one page script and says how it went. */
function siteFiles (): Record<string, string> {
  const files: Record<string, string> = {
    'index.html': '<!doctype html>\n<meta charset="utf-8">\n<title>Guestbook</title>\n<script src="/.goop/goop.js"></script>\n<p>The guide\'s pages: run.html?example=NAME</p>\n',
    'run.html': '<!doctype html>\n<meta charset="utf-8">\n<title>example</title>\n<script src="/.goop/goop.js"></script>\n<script type="module" src="run.js"></script>\n<body></body>\n',
    'run.js': [
      'const name = new URLSearchParams(location.search).get(\'example\')',
      'try {',
      '  await import(`./examples/${name}.js`)',
      '  document.body.dataset.state = \'done\'',
      '} catch (err) {',
      '  document.body.dataset.error = String(err?.stack ?? err)',
      '  document.body.dataset.state = \'failed\'',
      '}',
      ''
    ].join('\n')
  }
  for (const e of examples.values()) if (e.lang === 'js') files[`examples/${e.name}.js`] = e.code
  return files
}

async function writeFiles (dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), text)
  }
}

/** The guide's manifest, for this runtime (TypeScript: `runtime` js and entry main.ts, nothing else). */
function manifestFor (runtime: 'lua' | 'js'): Record<string, unknown> {
  const m = JSON.parse(example('manifest').code) as { logic: Record<string, unknown> } & Record<string, unknown>
  return { ...m, runtime, logic: { ...m.logic, entry: runtime === 'lua' ? 'main.lua' : 'main.ts' } }
}

/** A template folder: the guide's manifest, `logic` as its entry, and the runner site. */
async function writeTemplate (dir: string, runtime: 'lua' | 'js', logic: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
  const manifest = manifestFor(runtime)
  await writeFiles(dir, {
    'goop-template.json': JSON.stringify(manifest, null, 2) + '\n',
    [`logic/${(manifest.logic as { entry: string }).entry}`]: logic,
    ...Object.fromEntries(Object.entries(siteFiles()).map(([p, t]) => [`site/${p}`, t]))
  })
}

// ---------------------------------------------------------------------------------------------
// Child processes: the scaffolder, npm and goop as a person runs them

interface Ran { code: number | null, stdout: string, stderr: string }

/** A person's shell: no npm_* variables of an `npm test` running this, no NODE_TEST_CONTEXT (a project's `node --test` would skip its files). */
function shellEnv (extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'NODE_TEST_CONTEXT') env[k] = v
  return { ...env, GOOP_LOG: 'error', ...extra }
}

async function run (cmd: string, args: string[], cwd: string, env = shellEnv()): Promise<Ran> {
  return await new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8') })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8') })
    const timer = setTimeout(() => {
      try { process.kill(-(child.pid ?? 0), 'SIGKILL') } catch { /* gone */ }
      reject(new Error(`${cmd} ${args.join(' ')} did not finish in 90 s\n${stdout}\n${stderr}`))
    }, 90_000)
    child.on('error', (err) => { clearTimeout(timer); reject(err) })
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}

const shown = (r: Ran): string => `exit ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`

async function ok (cmd: string, args: string[], cwd: string): Promise<Ran> {
  const r = await run(cmd, args, cwd)
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')}: ${shown(r)}`)
  return r
}

interface Step { command: string, expected: string[], line: number, ran: Ran }

/** Run a shell session of the guide (`$ command`, then what it prints) in `cwd`. */
async function session (e: Example, cwd: string, env: NodeJS.ProcessEnv): Promise<Step[]> {
  const steps: Array<Omit<Step, 'ran'>> = []
  e.code.trimEnd().split('\n').forEach((text, i) => {
    if (text.startsWith('$ ')) steps.push({ command: text.slice(2), expected: [], line: i })
    else {
      assert.ok(steps.length > 0, `${where(e, i)}: output before any $ command`)
      steps.at(-1)!.expected.push(text)
    }
  })
  const out: Step[] = []
  for (const s of steps) out.push({ ...s, ran: await run('sh', ['-c', s.command], cwd, env) })
  return out
}

/** Each step succeeded and printed the guide's lines, in order (other lines may come between). */
function checkSession (e: Example, steps: Step[]): void {
  for (const s of steps) {
    assert.equal(s.ran.code, 0, `${where(e, s.line)}: $ ${s.command}\n${shown(s.ran)}`)
    const lines = (s.ran.stdout + s.ran.stderr).split('\n').map(l => l.trimEnd())
    let at = 0
    for (const want of s.expected) {
      const re = new RegExp('^' + want.split('…').map(part => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$')
      const found = lines.findIndex((l, i) => i >= at && re.test(l))
      assert.notEqual(found, -1, `${where(e, s.line)}: $ ${s.command} should print "${want}" (after the lines before it)\n${shown(s.ran)}`)
      at = found + 1
    }
  }
}

// ---------------------------------------------------------------------------------------------

/** GitHub's anchor for a heading. */
const slug = (heading: string): string => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\- _]/gu, '').replace(/ /g, '-')

function headingsOf (file: string): Set<string> {
  const out = new Set<string>()
  let fenced = false
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced
    const h = fenced ? null : /^#{1,6} (.*)$/.exec(line)
    if (h != null) out.add(slug(h[1]))
  }
  return out
}

describe('sdk/docs/templates.md: every example runs and prints what the guide says', () => {
  let base: string
  let owner: TestPeer | undefined
  let visitor: TestPeer | undefined
  let browser: Browser | undefined
  let visitorPage: { page: Page, problems: string[], logged: Array<Promise<unknown>> } | undefined
  let templates: TemplatesService
  let site: string
  /** The scaffolded projects, set going at the start and checked at the end (they run beside the browser). */
  let luaProject: Promise<{ testRun: Step[], share: Step[] }>
  let tsCheck: Promise<Ran>

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'goop-docs-'))
    luaProject = (async () => {
      // The guide's Lua app as a project of its own: `npm create goop-template`, then the guide's files in it.
      await ok(process.execPath, [CREATE, 'guestbook', '--no-interactive', '--runtime', 'lua'], base)
      const project = join(base, 'guestbook')
      await rm(join(project, 'site'), { recursive: true, force: true })
      await writeFiles(project, {
        'goop-template.json': example('manifest').code,
        'logic/main.lua': example('logic-lua').code,
        'test/app.test.ts': example('test').code,
        ...Object.fromEntries(Object.entries(siteFiles()).map(([p, t]) => [`site/${p}`, t]))
      })
      await ok('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], project)
      // A terminal's `npm test` prints the spec reporter's lines; a pipe would get TAP.
      const testRun = await session(example('test-run'), project, shellEnv({ NODE_OPTIONS: '--test-reporter=spec' }))
      const share = await session(example('share'), project, shellEnv())
      return { testRun, share }
    })()
    tsCheck = (async () => {
      // The TypeScript logic, type-checked as a js project's `npm run build` does (tsc -p logic), and
      // the test file against @goop/core/testing as the project has it (and Node's types).
      await ok(process.execPath, [CREATE, 'tscheck', '--no-interactive', '--runtime', 'js'], base)
      const project = join(base, 'tscheck')
      await writeFiles(project, {
        'logic/main.ts': example('logic-ts').code,
        'logic/limits.ts': example('limits-ts').code,
        'test/app.test.ts': example('test').code,
        'test/tsconfig.json': JSON.stringify({
          compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(REPO, 'node_modules', '@types')] },
          files: ['app.test.ts']
        })
      })
      await ok('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], project)
      const logic = await run('npx', ['tsc', '-p', 'logic'], project)
      const test = await run('npx', ['tsc', '-p', 'test'], project)
      return { code: logic.code === 0 ? test.code : logic.code, stdout: logic.stdout + test.stdout, stderr: logic.stderr + test.stderr }
    })()
    // Checked by their own tests below; until then a failure must not be an unhandled rejection.
    luaProject.catch(() => {})
    tsCheck.catch(() => {})

    const ownerSide = probe('docs-owner', { requires: ['templates'] })
    // Each assigned as it comes, so that `after` stops whatever started if another one failed.
    const started = await Promise.allSettled([
      startTestPeer({ plugins: [ownerSide.plugin] }).then(p => { owner = p }),
      startTestPeer().then(p => { visitor = p }),
      launchBrowser().then(b => { browser = b })
    ])
    for (const r of started) if (r.status === 'rejected') throw r.reason
    if (owner == null || visitor == null) throw new Error('unreachable: both peers started')
    await connect(visitor, owner)
    templates = ownerSide.ctx().use('templates')
    // The owner's site as the visitor's browser sees it: the owner's own origin, on the visitor's viewer.
    site = `http://${siteLabel(owner.id)}.localhost:${visitor.viewer!.port}`
  })

  after(async () => {
    await Promise.allSettled([luaProject, tsCheck])
    await browser?.close()
    await Promise.all([visitor?.cleanup(), owner?.cleanup()])
    if (base != null) await rm(base, { recursive: true, force: true })
  })

  /** Apply a template made of the guide's manifest and this logic, on a clean owner (no earlier tables or kv). */
  async function applyFresh (runtime: 'lua' | 'js', logic: string, name: string): Promise<void> {
    const dir = join(base, name)
    await writeTemplate(dir, runtime, logic)
    await templates.remove()
    const applied = await templates.apply(dir)
    assert.equal(applied.kind, 'new')
  }

  /** Run one page script as the visitor and compare what it logs with the guide's `// →` lines. */
  async function runPage (e: Example): Promise<void> {
    const want = expectations(e)
    if (visitorPage == null) {
      // One tab for every script (each one a new page load of run.html): what it logs, what it breaks.
      const { page, problems } = await watchedPage(browser!)
      page.on('console', (m) => {
        if (m.type() !== 'log') return
        const args = m.args()
        visitorPage?.logged.push(args.length === 1 ? args[0].jsonValue() : Promise.resolve({ notOneValue: m.text() }))
      })
      visitorPage = { page, problems, logged: [] }
    }
    const { page, problems } = visitorPage
    const logged: Array<Promise<unknown>> = visitorPage.logged = []
    problems.length = 0
    const res = await page.goto(`${site}/run.html?example=${e.name}`)
    assert.equal(res?.status(), 200)
    await page.waitForFunction(() => document.body?.dataset.state != null, null, { timeout: 30_000 })
    const state = await page.evaluate(() => ({ state: document.body.dataset.state, error: document.body.dataset.error }))
    assert.equal(state.state, 'done', `${where(e)}: the script failed: ${state.error}`)
    const got = (await Promise.all(logged)).map(plain)
    assert.deepEqual(problems, [], `${where(e)}: the page broke a rule`)
    const report = got.map((v, i) => `  ${JSON.stringify(v)}${want[i] != null ? `   ← ${want[i].text}` : ''}`).join('\n')
    assert.equal(got.length, want.length, `${where(e)}: ${want.length} console.log lines in the guide, ${got.length} values logged:\n${report}`)
    const wrong = want.flatMap((w, i) => isDeepStrictEqual(got[i], w.value) ? [] : [`${where(e, w.line)}: ${w.text}\n    logged ${JSON.stringify(got[i])}\n    guide  ${JSON.stringify(w.value)}`])
    if (wrong.length > 0) assert.fail(`${where(e)}: what the page logged is not what the guide says:\n${wrong.join('\n')}`)
  }

  it('runs every tagged example of the guide, and the guide tags each one this test runs', () => {
    assert.deepEqual([...examples.keys()].toSorted(), [...RUN].toSorted())
  })

  it('links only to files and headings that exist', () => {
    const broken: string[] = []
    for (const [, target] of markdown.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue
      const [path, anchor] = target.split('#')
      const file = path === '' ? DOC : resolvePath(dirname(DOC), path)
      if (!existsSync(file)) { broken.push(`${target}: no such file`); continue }
      if (anchor != null && file.endsWith('.md') && !headingsOf(file).has(anchor)) broken.push(`${target}: no such heading in ${relative(REPO, file)}`)
    }
    assert.deepEqual(broken, [])
  })

  it('§1: the manifest is a valid goop-template.json, and its tables a valid schema', () => {
    const parsed = TemplateManifestSchema.safeParse(JSON.parse(example('manifest').code))
    assert.ok(parsed.success, `${where(example('manifest'))}: ${JSON.stringify(parsed.error?.issues)}`)
    assert.ok(DataSchema.safeParse({ tables: parsed.data.tables }).success, 'the tables are a data schema')
    assert.ok(TemplateManifestSchema.safeParse(manifestFor('js')).success, 'the TypeScript variant too')
  })

  for (const r of RUNTIMES) {
    it(`§2–§5: the page scripts, as a visitor, with the ${r.runtime === 'lua' ? 'Lua' : 'TypeScript'} logic`, async () => {
      await applyFresh(r.runtime, example(r.logic).code, `app-${r.runtime}`)
      for (const name of PAGE_STORY) await runPage(example(name))
    })
  }

  for (const r of RUNTIMES) {
    it(`§6: limits and the sandbox, ${r.runtime === 'lua' ? 'Lua' : 'TypeScript'}`, async () => {
      await applyFresh(r.runtime, example(r.limits).code, `limits-${r.runtime}`)
      await runPage(example(r.limitsCalls))
    })
  }

  it('§5–§7: the TypeScript examples type-check (the logic against the goop global, the test against @goop/core/testing)', async () => {
    const r = await tsCheck
    assert.equal(r.code, 0, `tsc on ${where(example('logic-ts'))}, ${where(example('limits-ts'))} and ${where(example('test'))}:\n${shown(r)}`)
  })

  it('§7: the test file passes with npm test in a project made by npm create goop-template', async () => {
    checkSession(example('test-run'), (await luaProject).testRun)
  })

  it('§8: npm run build writes the archive, and goop template apply applies it to another peer', async () => {
    checkSession(example('share'), (await luaProject).share)
  })
})
