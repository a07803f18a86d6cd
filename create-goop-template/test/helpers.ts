import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Note for tests here: give assert.ok a message. Without one, a failing assert.ok makes Node re-read
// the call's source to describe it, and on tsx's one-line output that takes minutes, not a failure.

/** The repository root: where `npm create goop-template` finds the workspace's bin. */
export const REPO = fileURLToPath(new URL('../../', import.meta.url))
/** The bin itself, for the cases that need no npm around it. */
export const BIN = fileURLToPath(new URL('../index.js', import.meta.url))

export interface Ran { code: number | null, stdout: string, stderr: string, ms: number }

/**
 * The environment a person's shell would give: without the npm_* variables of an `npm test` that
 * may be running these tests (an npm started from a script would otherwise act as part of it), and
 * without NODE_TEST_CONTEXT, which makes a project's own `node --test` think it runs inside this
 * test and skip its files.
 */
export function cleanEnv (extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'NODE_TEST_CONTEXT') env[k] = v
  return { ...env, GOOP_LOG: 'error', ...extra }
}

/** Run a command to its end (output captured, stdin closed unless `input` is given), with a deadline. */
export async function run (cmd: string, args: string[], opts: { cwd: string, input?: string, env?: NodeJS.ProcessEnv, timeoutMs?: number }): Promise<Ran> {
  const started = performance.now()
  return await new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'], detached: true })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8') })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8') })
    const timer = setTimeout(() => {
      // The whole group: npm runs its scripts in a shell, which runs node.
      try { process.kill(-(child.pid ?? 0), 'SIGKILL') } catch { /* gone */ }
      reject(new Error(`${cmd} ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 120_000} ms\n${stdout}\n${stderr}`))
    }, opts.timeoutMs ?? 120_000)
    child.on('error', (err) => { clearTimeout(timer); reject(err) })
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr, ms: performance.now() - started }) })
    if (opts.input != null) child.stdin.end(opts.input)
    else child.stdin.end()
  })
}

/**
 * `npm create goop-template [DIR] -- FLAGS` as a person types it at the repository root (where npm
 * finds the workspace's bin; once published, anywhere). `input`: what is piped to it.
 */
export async function npmCreate (dir: string | null, flags: string[], opts: { input?: string } = {}): Promise<Ran> {
  return await run('npm', ['create', 'goop-template', ...(dir != null ? [dir] : []), '--', ...flags], { cwd: REPO, input: opts.input, timeoutMs: 60_000 })
}

/** A fresh temporary folder. */
export async function tempDir (prefix = 'goop-create-'): Promise<string> {
  return await mkdtemp(join(tmpdir(), prefix))
}

export async function remove (...dirs: Array<string | undefined>): Promise<void> {
  await Promise.all(dirs.map(async d => { if (d != null) await rm(d, { recursive: true, force: true }) }))
}

/** What the scaffolder wrote: every file with a hash of its contents (installs, builds and the dev peer left out). */
export async function tree (dir: string, rel = ''): Promise<string[]> {
  if (!existsSync(join(dir, rel))) return []
  const out: string[] = []
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const path = rel === '' ? e.name : `${rel}/${e.name}`
    if (path === 'node_modules' || path === '.goop' || path === 'package-lock.json' || path.endsWith('.goop.tgz')) continue
    if (e.isDirectory()) out.push(...await tree(dir, path))
    else out.push(`${path} ${createHash('sha256').update(await readFile(join(dir, path))).digest('hex').slice(0, 16)}`)
  }
  return out.toSorted()
}

/** Seconds, for the timing lines. */
export const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

/** A failed step's output, for the assertion's message. */
export const shown = (r: Ran): string => `exit ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`
