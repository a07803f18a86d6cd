import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { waitFor } from '@goop/core/testing'
import { cleanEnv, npmCreate, remove, run, shown, tempDir } from './helpers.js'

/**
 * `npm run dev` in a generated project: a dev peer (.goop/dev) with the template applied and its
 * viewer URL printed; a change to a site file or to the logic is applied while it runs — the same
 * process, the data kept — and a change that does not compile is reported with its file and line
 * while the previous version keeps serving. Ctrl+C stops it cleanly.
 */
describe('npm run dev', () => {
  let base: string
  let dev: ChildProcess | undefined
  before(async () => { base = await tempDir() })
  after(async () => {
    if (dev?.exitCode == null && dev?.pid != null) { try { process.kill(-dev.pid, 'SIGKILL') } catch { /* gone */ } }
    await remove(base)
  })

  it('applies the project, re-applies every change without a restart, and stops on Ctrl+C', async () => {
    const project = join(base, 'devnotes')
    const created = await npmCreate(project, ['--no-interactive', '--template', 'empty-lua'])
    assert.equal(created.code, 0, shown(created))
    const install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: project })
    assert.equal(install.code, 0, shown(install))

    let stdout = ''
    let stderr = ''
    dev = spawn('npm', ['run', 'dev'], { cwd: project, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    dev.stdout?.on('data', (d: Buffer) => { stdout += d.toString('utf8') })
    dev.stderr?.on('data', (d: Buffer) => { stderr += d.toString('utf8') })
    await waitFor(() => /viewer +http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.test(stdout), 30_000, `the viewer URL printed\n${stdout}\n${stderr}`)

    // The dev peer's admin API, with the token the URL carries (also in state/viewer.json).
    const state = JSON.parse(await readFile(join(project, '.goop', 'dev', 'state', 'viewer.json'), 'utf8')) as { port: number, token: string, pid: number }
    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`http://127.0.0.1:${state.port}/api${path}`, {
        method, headers: { authorization: `Bearer ${state.token}`, ...(body != null ? { 'content-type': 'application/json' } : {}) }, body: body != null ? JSON.stringify(body) : undefined
      })
      return await res.json() as T
    }
    type Current = { current: { name: string, appliedAt: string, logic: { exports: string[] } } | null }
    const current = async (): Promise<NonNullable<Current['current']>> => {
      const c = (await api<Current>('GET', '/x/templates/current')).current
      assert.ok(c != null, 'a template is applied')
      return c
    }
    assert.equal((await current()).name, 'devnotes')
    await api('POST', '/x/data/op', { op: 'insert', table: 'notes', values: { text: 'written while developing' } })

    // A site file.
    const page = join(project, 'site', 'index.html')
    await writeFile(page, (await readFile(page, 'utf8')).replace('<h1>Notes</h1>', '<h1>Notes, edited</h1>'))
    const served = join(project, '.goop', 'dev', 'site', 'index.html')
    let text = ''
    await waitFor(() => { void readFile(served, 'utf8').then(t => { text = t }, () => {}); return text.includes('Notes, edited') }, 10_000, 'the edited page applied')

    // The logic: a new function.
    const logic = join(project, 'logic', 'main.lua')
    const source = await readFile(logic, 'utf8')
    await writeFile(logic, source.replace(/\nreturn M\n$/, '\nfunction M.count()\n  return goop.db.count(\'notes\').count\nend\n\nreturn M\n'))
    let exports: string[] = []
    await waitFor(() => { void current().then(c => { exports = c.logic.exports }, () => {}); return exports.includes('count') }, 10_000, 'the new function loaded')

    // Logic that does not compile: reported with file and line; the previous version keeps serving.
    await writeFile(logic, source.replace('local M = {}', 'local M = = {}'))
    await waitFor(() => /dev: .* was not applied .*main\.lua:\d+:/.test(stderr), 10_000, `the error reported\n${stderr}`)
    assert.ok((await current()).logic.exports.includes('count'), 'the previous version still serves')

    // One process all along, and the data kept.
    const again = JSON.parse(await readFile(join(project, '.goop', 'dev', 'state', 'viewer.json'), 'utf8')) as { pid: number }
    assert.equal(again.pid, state.pid, 'the peer was not restarted')
    const { rows } = await api<{ rows: Array<{ text: string }> }>('POST', '/x/data/op', { op: 'query', table: 'notes' })
    assert.ok(rows.some(r => r.text === 'written while developing'), 'the data is kept')

    // Ctrl+C (to the whole group, as a terminal sends it).
    const ended = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('npm run dev did not stop on SIGINT')) }, 15_000)
      dev?.once('close', () => { clearTimeout(timer); resolve() })
    })
    process.kill(-(dev.pid ?? 0), 'SIGINT')
    await ended
    assert.match(stdout, /stopped/)
    assert.equal(existsSync(join(project, '.goop', 'dev', 'state', 'viewer.json')), false, 'a clean stop')
  })
})
