// The template author's first minutes: from `npm create goop-template` to the generated project's
// own tests passing, with exactly the commands its README prints (npm create, npm install, npm test),
// one after the other as a person runs them; `npm run build` is timed too, beside. Issue 7's goal:
// under 60 s. See create-goop-template/README.md.
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fmtMs, type BenchContext } from './lib.js'

/** The environment of a person's shell: not the npm_* variables of the `npm run bench` that runs this. */
function shellEnv (): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'NODE_TEST_CONTEXT') env[k] = v
  return { ...env, GOOP_LOG: 'error' }
}

/** Run one command to its end; its time in ms, or an error with its output. */
async function timed (ctx: BenchContext, cmd: string, args: string[], cwd: string): Promise<number> {
  const started = performance.now()
  await new Promise<void>((resolve, reject) => {
    const child = ctx.track(spawn(cmd, args, { cwd, env: shellEnv(), stdio: ['ignore', 'pipe', 'pipe'] }))
    let out = ''
    child.stdout?.on('data', (d: Buffer) => { out += d.toString('utf8') })
    child.stderr?.on('data', (d: Buffer) => { out += d.toString('utf8') })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve()
      else reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited with ${code}:\n${out.slice(-3000)}`))
    })
  })
  return performance.now() - started
}

interface Steps { starter: string, create: number, install: number, test: number, build: number }

/**
 * `benchCreate(ctx)`: for each starting point (empty-js with --quick; also empty-lua and
 * empty-static otherwise) in a new temporary folder: the README's commands, timed. Figures, group
 * "create": create → tests pass per starting point, beside the project's `npm test` alone (what the
 * author's own tests cost; the rest is scaffolding and installing), with the 60 s goal; one table.
 */
export async function benchCreate (ctx: BenchContext): Promise<void> {
  const starters = ctx.quick ? ['empty-js'] : ['empty-js', 'empty-lua', 'empty-static']
  const tmp = await mkdtemp(join(tmpdir(), 'goop-bench-create-'))
  ctx.tmpDirs.add(tmp)
  const runs: Steps[] = []
  try {
    for (const starter of starters) {
      const dir = join(tmp, `bench-${starter}`)
      const create = await timed(ctx, 'npm', ['create', 'goop-template', dir, '--', '--no-interactive', '--template', starter], ctx.root)
      const install = await timed(ctx, 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], dir)
      const test = await timed(ctx, 'npm', ['test'], dir)
      const build = await timed(ctx, 'npm', ['run', 'build'], dir)
      runs.push({ starter, create, install, test, build })
      process.stderr.write('.')
    }
    process.stderr.write('\n')
    for (const r of runs) {
      const total = r.create + r.install + r.test
      ctx.figure({
        group: 'create',
        name: `npm create goop-template → its tests pass (${r.starter}: create, install, test)`,
        value: total,
        unit: 'ms',
        better: 'lower',
        baseline: { name: 'the project\'s npm test alone', value: r.test, unit: 'ms' },
        goal: '< 60 s',
        goalMet: total < 60_000,
        detail: { ...r }
      })
    }
    ctx.table({
      title: 'create: the README\'s commands, one after the other (ms)',
      rows: [['starting point', 'npm create', 'npm install', 'npm test', 'create → tests pass', 'npm run build'],
        ...runs.map(r => [r.starter, fmtMs(r.create), fmtMs(r.install), fmtMs(r.test), fmtMs(r.create + r.install + r.test), fmtMs(r.build)])]
    })
    ctx.note('create: each starting point in a new temporary folder; npm create at the repository root (the workspace\'s bin), the project\'s packages file: links into the workspace (nothing downloaded or compiled); npm test starts a real owner peer and a real visitor peer')
  } finally {
    await rm(tmp, { recursive: true, force: true })
    ctx.tmpDirs.delete(tmp)
  }
}
