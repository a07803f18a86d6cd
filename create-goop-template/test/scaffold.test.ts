import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { lstat, readdir, realpath } from 'node:fs/promises'
import { join } from 'node:path'
import { starters } from '../src/starters.js'
import { npmCreate, REPO, remove, run, s, shown, tempDir, type Ran } from './helpers.js'

/**
 * Every starting point, as a person gets it: `npm create goop-template DIR -- --no-interactive
 * --template NAME` at the repository root (npm finds the workspace's bin), then in the new project
 * `npm install`, `npm run build` and `npm test` — the generated tests start a real owner peer and a
 * real visitor peer. Two projects at a time (the machine has two cores); each step is timed.
 */

interface Timing { name: string, create: number, install: number, build: number, test: number, tests: number }
const timings: Timing[] = []

/** Every entry of node_modules is a link into the workspace: nothing was downloaded, nothing compiled. */
async function onlyLinks (project: string): Promise<void> {
  const nm = join(project, 'node_modules')
  const workspace = await realpath(REPO)
  const check = async (dir: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      if (name === '.bin' || name === '.package-lock.json') continue
      const path = join(dir, name)
      if (name.startsWith('@') && !(await lstat(path)).isSymbolicLink()) { await check(path); continue }
      assert.ok((await lstat(path)).isSymbolicLink(), `${path} is a link, not a download`)
      assert.ok((await realpath(path)).startsWith(workspace), `${path} links into the workspace`)
    }
  }
  await check(nm)
  assert.equal(existsSync(join(nm, 'better-sqlite3')), false, 'no copy of better-sqlite3 (native)')
  assert.equal(existsSync(join(nm, 'isolated-vm')), false, 'no copy of isolated-vm (native)')
}

/** The test runner's count of passed tests, from its summary. */
function passed (r: Ran): number {
  const pass = /^# pass (\d+)$/m.exec(r.stdout)
  const fail = /^# fail (\d+)$/m.exec(r.stdout)
  assert.equal(fail?.[1], '0', shown(r))
  return Number(pass?.[1] ?? 0)
}

describe('npm create goop-template: every starting point installs, builds and passes its own tests', { concurrency: 2 }, () => {
  after(() => {
    if (timings.length === 0) return
    console.log('starting point   create  install  build   test    (tests)   create → tests pass, without build')
    for (const t of timings.toSorted((a, b) => a.name < b.name ? -1 : 1)) {
      console.log(`${t.name.padEnd(15)}  ${s(t.create).padStart(6)}  ${s(t.install).padStart(6)}  ${s(t.build).padStart(6)}  ${s(t.test).padStart(6)}  (${t.tests})       ${s(t.create + t.install + t.test)}`)
    }
  })

  for (const starter of starters()) {
    it(`${starter.name} (${starter.runtime})`, async () => {
      const parent = await tempDir()
      try {
        const dir = join(parent, `my-${starter.name}`)
        const created = await npmCreate(dir, ['--no-interactive', '--template', starter.name])
        assert.equal(created.code, 0, shown(created))
        assert.match(created.stdout, new RegExp(`Made my-${starter.name} in `))

        const install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir })
        assert.equal(install.code, 0, shown(install))
        await onlyLinks(dir)

        const build = await run('npm', ['run', 'build'], { cwd: dir })
        assert.equal(build.code, 0, shown(build))
        assert.match(build.stdout, /checked my-\S+ \S+ \((js|lua|static)\)/)
        const archives = (await readdir(dir)).filter(f => f.endsWith('.goop.tgz'))
        assert.equal(archives.length, 1, `one archive: ${archives.join(', ')}`)
        assert.match(archives[0], new RegExp(`^my-${starter.name}-\\d+\\.\\d+\\.\\d+\\.goop\\.tgz$`))

        const test = await run('npm', ['test'], { cwd: dir })
        assert.equal(test.code, 0, shown(test))
        const tests = passed(test)
        assert.ok(tests > 0, `its tests ran: ${tests}`)
        timings.push({ name: starter.name, create: created.ms, install: install.ms, build: build.ms, test: test.ms, tests })
      } finally {
        await remove(parent)
      }
    })
  }
})
