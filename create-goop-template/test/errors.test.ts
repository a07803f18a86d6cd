import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BIN, cleanEnv, npmCreate, remove, run, shown, tempDir, tree, type Ran } from './helpers.js'

/**
 * Refusals: a bad flag, an unknown template, a runtime that contradicts the template's, a folder that
 * is not empty (without --overwrite)… each is one line on stderr and exit code 2, and nothing is
 * written. And the other side: --help and --list, --overwrite, and no terminal at all (the defaults,
 * never waiting for input).
 */

const bin = async (args: string[], cwd: string): Promise<Ran> => await run(process.execPath, [BIN, ...args], { cwd, timeoutMs: 30_000 })

describe('bad invocations: one line, exit code 2, nothing written', () => {
  let base: string
  before(async () => { base = await tempDir() })
  after(async () => { await remove(base) })

  const cases: Array<{ what: string, args: (dir: string) => string[], message: RegExp, setup?: (dir: string) => Promise<void> }> = [
    { what: 'an unknown flag', args: d => [d, '--bogus'], message: /^Unknown option '--bogus' \(--help shows the options\)$/ },
    { what: 'a flag without its value', args: d => [d, '--runtime'], message: /^Option '-r, --runtime <value>' argument missing/ },
    { what: 'an unknown runtime', args: d => [d, '--runtime', 'cobol'], message: /^--runtime is one of js, lua, static \(got "cobol"\)$/ },
    { what: 'an unknown template', args: d => [d, '--template', 'nope'], message: /^there is no starting point named "nope": choose one of empty-js, empty-lua, empty-static, .*quiz/ },
    { what: 'a runtime that contradicts the template', args: d => [d, '--template', 'quiz', '--runtime', 'js'], message: /^quiz is a lua template: --runtime js contradicts it/ },
    { what: 'an empty app of another runtime', args: d => [d, '--template', 'empty-lua', '--runtime', 'static'], message: /^empty-lua is a lua template: --runtime static contradicts it/ },
    { what: 'two folders', args: d => [d, `${d}-2`], message: /^one project folder, please/ },
    { what: '--interactive and --no-interactive', args: d => [d, '--interactive', '--no-interactive'], message: /contradict each other$/ },
    {
      what: 'a folder that is not empty',
      args: d => [d, '--no-interactive'],
      message: /is not empty: choose another folder, or add --overwrite to replace what is in it$/,
      setup: async (d) => { await mkdir(d, { recursive: true }); await writeFile(join(d, 'mine.txt'), 'keep me') }
    },
    {
      what: 'a file where the folder would be',
      args: d => [d, '--no-interactive'],
      message: /exists and is not a folder$/,
      setup: async (d) => { await writeFile(d, 'a file') }
    }
  ]

  for (const c of cases) {
    it(c.what, async () => {
      const parent = join(base, c.what.replace(/\W+/g, '-'))
      await mkdir(parent, { recursive: true })
      const dir = join(parent, 'app')
      await c.setup?.(dir)
      const prior = await tree(parent)
      const r = await bin(c.args(dir), parent)
      assert.equal(r.code, 2, shown(r))
      const lines = r.stderr.split('\n').filter(l => l !== '')
      assert.equal(lines.length, 1, `one line: ${r.stderr}`)
      assert.match(lines[0], /^create-goop-template: /)
      assert.match(lines[0].slice('create-goop-template: '.length), c.message)
      assert.equal(r.stdout, '', 'nothing on stdout')
      assert.deepEqual(await tree(parent), prior, 'nothing was written')
    })
  }

  it('through npm create: the same line first, and exit code 2', async () => {
    const dir = join(base, 'npm', 'app')
    const r = await npmCreate(dir, ['--template', 'nope'])
    assert.equal(r.code, 2, shown(r))
    assert.match(r.stderr.split('\n')[0], /^create-goop-template: there is no starting point named "nope"/)
    assert.equal(existsSync(join(base, 'npm')), false, 'nothing was written')
  })
})

describe('the other flags', () => {
  let base: string
  before(async () => { base = await tempDir() })
  after(async () => { await remove(base) })

  it('--help and --list show every starting point, exit 0 and write nothing', async () => {
    const help = await bin(['--help'], base)
    assert.equal(help.code, 0, shown(help))
    assert.match(help.stdout, /^Usage: npm create goop-template \[DIR\] -- \[options\]/)
    const list = await bin(['--list'], base)
    assert.equal(list.code, 0, shown(list))
    for (const name of ['empty-js', 'empty-lua', 'empty-static', 'blog', 'quiz', 'tictactoe']) {
      assert.match(list.stdout, new RegExp(`^  ${name} +(js|lua|static) `, 'm'))
      assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'))
    }
    assert.deepEqual(await tree(base), [])
  })

  it('--overwrite replaces what the folder held (but .git)', async () => {
    const dir = join(base, 'over')
    await mkdir(join(dir, '.git'), { recursive: true })
    await writeFile(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n')
    await writeFile(join(dir, 'old.txt'), 'old')
    const r = await bin([dir, '--template', 'empty-static', '--overwrite'], base)
    assert.equal(r.code, 0, shown(r))
    assert.equal(existsSync(join(dir, 'old.txt')), false, 'the old file is gone')
    assert.ok(existsSync(join(dir, '.git', 'HEAD')), '.git is kept')
    assert.ok(existsSync(join(dir, 'goop-template.json')), 'the project is there')
  })

  it('a folder holding only .git counts as empty', async () => {
    const dir = join(base, 'git-only')
    await mkdir(join(dir, '.git'), { recursive: true })
    const r = await bin([dir, '--no-interactive'], base)
    assert.equal(r.code, 0, shown(r))
  })

  it('without a terminal and without flags: the defaults, never waiting for input (stdin left open)', async () => {
    const cwd = join(base, 'quiet')
    await mkdir(cwd)
    const r = await new Promise<Ran>((resolve, reject) => {
      const started = performance.now()
      const child = spawn(process.execPath, [BIN], { cwd, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8') })
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8') })
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`it waited for input:\n${stdout}`)) }, 15_000)
      child.on('close', (code) => { clearTimeout(timer); child.stdin.destroy(); resolve({ code, stdout, stderr, ms: performance.now() - started }) })
    })
    assert.equal(r.code, 0, shown(r))
    assert.match(r.stdout, /Made goop-app in .*: Notes \(an empty js app\)/)
    assert.ok(existsSync(join(cwd, 'goop-app', 'logic', 'main.ts')), 'the default: the empty js app in goop-app')
  })
})
