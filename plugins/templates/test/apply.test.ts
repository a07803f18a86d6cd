import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { probe, type TestPeer } from '@goop/core/testing'
import { isGoopError, type CommandTools } from '@goop/sdk'
import type { ApplyResult, CurrentTemplate, RemoveResult, TemplatesService } from '@goop/plugin-templates'
import { templateCommand } from '@goop/plugin-templates'
import type { DataService } from '@goop/plugin-data'
import { api, editJson, fixture, pack, templatePeer, variant } from './helpers.js'

/**
 * Applying, updating, switching and removing templates on one real peer, through the admin API the
 * viewer uses, the service and the CLI command: what each leaves behind (tables, site files, the copy
 * in template/, kv state), what it refuses (broken templates, with file and line; tables it does not
 * own), and that a refused or failed apply leaves the peer exactly as it was.
 */

/** The real `goop` command, for the stopped-peer path through the kernel's `tools.withPeer`. */
const CLI = fileURLToPath(new URL('../../../core/bin/goop.js', import.meta.url))

interface Snapshot { tables: string, site: string, current: string, installed: string }

async function files (dir: string, rel = ''): Promise<string[]> {
  if (!existsSync(join(dir, rel))) return []
  const out: string[] = []
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const path = rel === '' ? e.name : `${rel}/${e.name}`
    if (e.isDirectory()) out.push(...await files(dir, path))
    else out.push(`${path}=${(await readFile(join(dir, path))).toString('base64')}`)
  }
  return out.toSorted()
}

function kvCount (peerDir: string, template: string): number {
  const db = new Database(join(peerDir, 'state', 'templates', 'kv.db'), { readonly: true })
  try { return (db.prepare('SELECT count(*) AS n FROM kv WHERE template = ?').get(template) as { n: number }).n } finally { db.close() }
}

describe('applying and switching templates', () => {
  const grab = probe('grab', { requires: ['data', 'templates'] })
  let dir: string
  let O: TestPeer
  let data: DataService
  let templates: TemplatesService

  const start = async (): Promise<void> => {
    O = await templatePeer({ dir, plugins: [grab.plugin] })
    data = grab.ctx().use('data')
    templates = grab.ctx().use('templates')
  }

  const snapshot = async (): Promise<Snapshot> => ({
    tables: JSON.stringify((await data.tables()).map(t => [t.name, t.source, t.rows, t.columns.map(c => c.name)])),
    site: JSON.stringify(await files(join(dir, 'site'))),
    current: JSON.stringify(templates.current()),
    installed: JSON.stringify(await files(join(dir, 'template')))
  })

  const applyApi = async (body: Record<string, unknown>): Promise<{ status: number, body: ApplyResult & { error?: { code: string, message: string, plan?: unknown } } }> =>
    await api(O, 'POST', '/api/x/templates/apply', body)

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'goop-tpl-peer-'))
    await start()
    // The owner's own table and page, which no template may touch.
    await data.apply({ tables: { mine: { columns: { note: { type: 'text' } } } } })
    await data.run({ op: 'insert', table: 'mine', values: { note: 'keep me' } })
    await mkdir(join(dir, 'site'), { recursive: true })
    await writeFile(join(dir, 'site', 'mine.html'), 'the owner\'s page')
  })
  after(async () => {
    await O?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('lists the bundled and the owner\'s own templates (archives too; broken ones with their error)', async () => {
    await mkdir(join(dir, 'templates', 'broken'), { recursive: true })
    await writeFile(join(dir, 'templates', 'broken', 'goop-template.json'), '{ "name": ')
    await writeFile(join(dir, 'templates', 'static-notes.goop.tgz'), await pack(fixture('static-notes')))
    const r = await api<{ bundled: unknown[], local: Array<Record<string, unknown>>, current: unknown }>(O, 'GET', '/api/x/templates/')
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.ok(Array.isArray(r.body.bundled), 'bundled is a list')
    assert.equal(r.body.current, null)
    assert.equal(r.body.local.length, 2, JSON.stringify(r.body.local))
    assert.match(String(r.body.local[0].error), /broken\/goop-template\.json:1:\d+: not valid JSON/)
    assert.deepEqual({ ...r.body.local[1], path: undefined }, { name: 'static-notes', title: 'Static notes', description: 'A static test template: one open table with seed rows', runtime: 'static', version: '1.0.0', path: undefined })
  })

  it('applies a static template (here by name, from an archive in <peer>/templates/): its site (the old one kept in backups/), tables, seed rows and its copy in template/', async () => {
    const r = await applyApi({ name: 'static-notes' })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.body.kind, 'new')
    assert.deepEqual(r.body.tables.map(t => [t.name, t.action]), [['notes', 'created']])
    assert.deepEqual(r.body.seeded, { notes: 2 })
    assert.match(await readFile(join(dir, 'site', 'index.html'), 'utf8'), /static-notes/)
    assert.equal(existsSync(join(dir, 'site', 'mine.html')), false)
    assert.ok(r.body.siteBackup != null, 'the previous site/ was moved to backups/')
    assert.equal(await readFile(join(dir, r.body.siteBackup, 'mine.html'), 'utf8'), 'the owner\'s page', 'the previous site is kept')
    const notes = await data.run({ op: 'query', table: 'notes' })
    assert.deepEqual(notes.rows.map(x => x.text), ['first', 'second'])
    assert.equal(notes.rows[0]._author, O.id, 'seed rows are the owner\'s')
    assert.equal((await data.tables()).find(t => t.name === 'notes')?.source, 'template:static-notes')
    assert.ok(existsSync(join(dir, 'template', 'goop-template.json')))
    const current = await api<{ current: CurrentTemplate }>(O, 'GET', '/api/x/templates/current')
    assert.equal(current.body.current.name, 'static-notes')
    assert.equal(current.body.current.logic, null)
    assert.deepEqual(current.body.current.tables, ['notes'])
    assert.equal(current.body.current.source, 'static-notes')
  })

  it('re-applying the same template is an update: its rows are kept, new columns added, no question asked', async () => {
    await data.run({ op: 'insert', table: 'notes', values: { text: 'a visitor wrote this' } })
    const v2 = await variant('static-notes', async (d) => {
      await editJson(join(d, 'goop-template.json'), (m) => {
        m.version = '1.1.0'
        const tables = m.tables as { notes: { columns: Record<string, unknown> } }
        tables.notes.columns.tag = { type: 'text' }
      })
    })
    const r = await templates.apply(v2)
    assert.equal(r.kind, 'update')
    assert.deepEqual(r.tables.map(t => [t.name, t.action]), [['notes', 'migrated']])
    assert.deepEqual(r.seeded, {}, 'seed rows go only into tables created now')
    const notes = await data.run({ op: 'query', table: 'notes' })
    assert.deepEqual(notes.rows.map(x => x.text), ['first', 'second', 'a visitor wrote this'])
    assert.equal(templates.current()?.version, '1.1.0')
    await rm(join(v2, '..'), { recursive: true, force: true })
  })

  it('switching asks first; then the first template\'s tables (backed up), logic and kv are gone, the owner\'s table untouched, and the backup restores its rows', async () => {
    // js-app over static-notes: the first switch.
    const first = await applyApi({ path: fixture('js-app'), force: true })
    assert.equal(first.status, 200, JSON.stringify(first.body))
    assert.equal(first.body.kind, 'switch')
    assert.deepEqual(first.body.dropped, ['notes'])
    assert.equal(await templates.call(O.id, 'counter'), 1)
    assert.equal(await templates.call(O.id, 'counter'), 2)
    await data.run({ op: 'insert', table: 'scores', values: { who: 'me', points: 7 } })
    assert.equal(kvCount(dir, 'js-app'), 1)

    // Without force: nothing happens, and the answer says what would be removed.
    const unchanged = await snapshot()
    const asked = await applyApi({ path: fixture('lua-app') })
    assert.equal(asked.status, 409)
    assert.equal(asked.body.error?.code, 'confirm_needed')
    assert.match(asked.body.error?.message ?? '', /replaces template js-app 1\.0\.0: its tables board \(0 rows\), scores \(1 row\), vault \(1 row\) are backed up .* and its 1 kv key are removed/)
    assert.deepEqual((asked.body.error?.plan as { drop: unknown } | undefined)?.drop, [{ name: 'board', rows: 0 }, { name: 'scores', rows: 1 }, { name: 'vault', rows: 1 }])
    assert.deepEqual(await snapshot(), unchanged, 'a refused switch changes nothing')

    const r = await applyApi({ path: fixture('lua-app'), force: true })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.body.previous?.name, 'js-app')
    assert.deepEqual(r.body.dropped, ['board', 'scores', 'vault'])
    assert.equal(r.body.kvKeysRemoved, 1)
    assert.match(r.body.backup ?? '', /template-js-app/)
    const tables = await data.tables()
    assert.deepEqual(tables.map(t => t.name).toSorted(), ['entries', 'mine', 'posts', 'secrets'])
    assert.deepEqual(tables.find(t => t.name === 'mine'), { ...tables.find(t => t.name === 'mine'), source: 'owner', rows: 1 })
    assert.equal(kvCount(dir, 'js-app'), 0, 'its kv state is gone')
    assert.equal(existsSync(join(dir, 'template', 'logic', 'main.ts')), false, 'its logic is gone')
    assert.ok(existsSync(join(dir, 'template', 'logic', 'main.lua')))
    await assert.rejects(templates.call(O.id, 'score', { points: 1 }), (err: unknown) => isGoopError(err) && err.code === 'not_exported')

    // The backup file restores the first template's rows.
    const restored = await data.restore(r.body.backup!)
    assert.deepEqual(restored, { tables: ['board', 'scores', 'vault'], rows: 2 })
    const scores = await data.run({ op: 'query', table: 'scores' })
    assert.deepEqual(scores.rows.map(x => [x.who, x.points]), [['me', 7]])
    await data.drop(['board', 'scores', 'vault'])
  })

  it('a broken template is refused with its file and line, and the peer is left exactly as it was', async () => {
    const unchanged = await snapshot()
    const cases: Array<[string, string, (d: string) => Promise<void>, RegExp]> = [
      ['manifest JSON', 'lua-app', async (d) => { await writeFile(join(d, 'goop-template.json'), '{\n  "name": "lua-app",\n  "title": "x"\n  "version": "1.0.0"\n}') },
        /lua-app\/goop-template\.json:4:3: not valid JSON: expected , or \}/],
      ['schema', 'lua-app', async (d) => {
        await editJson(join(d, 'goop-template.json'), (m) => { (m.tables as { posts: { policy: Record<string, string> } }).posts.policy.update = 'everyone' })
      }, /lua-app\/goop-template\.json:\d+:\d+: tables\.posts\.policy\.update: /],
      ['Lua syntax', 'lua-app', async (d) => { await writeFile(join(d, 'logic', 'main.lua'), 'local M = {}\n\nfunction M.ok() return 1 end\nfunction M.broken(\n  return 2\nend\nreturn M\n') },
        /lua-app\/logic\/main\.lua:5: /],
      ['TypeScript syntax', 'js-app', async (d) => { await writeFile(join(d, 'logic', 'main.ts'), 'export function ok (): number { return 1 }\n\nexport function broken (: number { return 2 }\n') },
        /js-app\/logic\/main\.ts:3:25: Expected identifier/],
      ['missing entry', 'js-app', async (d) => { await rm(join(d, 'logic', 'main.ts')) }, /logic\.entry names logic\/main\.ts, which does not exist/],
      ['a seed row the table refuses (after the old tables were dropped: all undone)', 'static-notes', async (d) => {
        await editJson(join(d, 'goop-template.json'), (m) => { m.seed = { notes: [{ text: 'fine' }, { text: 42 }] } })
      }, /static-notes\/goop-template\.json: seed\.notes\[1\]: notes\.text must be text/],
      ['no site', 'static-notes', async (d) => { await rm(join(d, 'site'), { recursive: true }) }, /has no site\/ folder/],
      ['the owner\'s table', 'static-notes', async (d) => {
        await editJson(join(d, 'goop-template.json'), (m) => { m.tables = { mine: { columns: { note: { type: 'text' } } } }; m.seed = {} })
      }, /declares a table mine, but this peer already has a table mine \(from owner\)/]
    ]
    for (const [what, base, edit, message] of cases) {
      const path = await variant(base, edit)
      const r = await applyApi({ path, force: true })
      assert.ok(r.status === 400 || r.status === 409, `${what}: ${r.status} ${JSON.stringify(r.body)}`)
      assert.match(r.body.error?.message ?? '', message, what)
      assert.deepEqual(await snapshot(), unchanged, `${what}: the peer is unchanged`)
      await rm(join(path, '..'), { recursive: true, force: true })
    }
  })

  it('the logic is loaded again on restart, and kv state persists', async () => {
    assert.equal(await templates.call(O.id, 'counter'), 1)
    assert.equal(await templates.call(O.id, 'counter'), 2)
    await O.stop()
    await start()
    assert.equal(templates.current()?.name, 'lua-app')
    assert.equal(templates.current()?.logic?.loaded, true)
    assert.equal(await templates.call(O.id, 'counter'), 3)
  })

  it('the CLI applies to a running peer through its admin API, and to a stopped one in-process; refusals are one line', async () => {
    const lines: string[] = []
    const tools = (running: boolean): CommandTools => ({
      peerDir: dir,
      print: (l) => { lines.push(l) },
      admin: async <T>(method: string, path: string, body?: unknown): Promise<T> => {
        if (!running) throw Object.assign(new Error('not running'), { name: 'GoopError', code: 'not_running', status: 400 })
        const r = await api<T & { error?: { code: string, message: string } }>(O, method, `/api${path}`, body)
        if (r.status >= 400) throw Object.assign(new Error(r.body.error?.message), { name: 'GoopError', code: r.body.error?.code, status: r.status })
        return r.body
      },
      runPeer: async () => {},
      // Not reached: the command below gets the test's own runner; the real one is run at the end.
      withPeer: async () => { throw new Error('withPeer is not used here') }
    })
    // A stopped peer: started in this process for the command (here: by the test kit, with the plugins).
    const local = async <T>(_tools: CommandTools, fn: (s: TemplatesService) => Promise<T>): Promise<T> => {
      await start()
      try { return await fn(templates) } finally { await O.stop() }
    }
    const cmd = templateCommand({ local, interactive: () => false })

    // Running: switching without --force and no terminal is refused, saying what it would remove.
    await assert.rejects(Promise.resolve(cmd.run(['apply', fixture('static-notes')], tools(true))), (err: unknown) =>
      isGoopError(err) && err.code === 'bad_request' && /replaces template lua-app .*run again with --force/.test(err.message) && !err.message.includes('\n'))
    assert.equal(await cmd.run(['apply', fixture('static-notes'), '--force'], tools(true)), 0)
    assert.ok(lines.some(l => /^applied static-notes 1\.0\.0, replacing lua-app 1\.0\.0$/.test(l)), lines.join('\n'))
    assert.ok(lines.some(l => /backup: backups\/\S+ \(goop data restore \S+ puts entries, posts, secrets back\)/.test(l)), lines.join('\n'))
    const broken = await variant('static-notes', async (d) => { await writeFile(join(d, 'goop-template.json'), '{ "name": "x", }') })
    await assert.rejects(Promise.resolve(cmd.run(['apply', broken], tools(true))), (err: unknown) =>
      isGoopError(err) && err.code === 'bad_request' && /goop-template\.json:1:16: not valid JSON/.test(err.message))
    await assert.rejects(Promise.resolve(cmd.run(['apply', 'no-such-template'], tools(true))), /there is no template named no-such-template/)
    lines.length = 0
    assert.equal(await cmd.run(['check', fixture('lua-app')], tools(true)), 0)
    assert.deepEqual(lines, ['lua-app 1.0.0 (lua) is a valid template: Lua test app'])
    await assert.rejects(Promise.resolve(cmd.run(['check', broken], tools(true))), /not valid JSON/)
    await assert.rejects(Promise.resolve(cmd.run(['frobnicate'], tools(true))), /unknown command "template frobnicate"/)

    // Stopped: the same command, in-process.
    await O.stop()
    lines.length = 0
    assert.equal(await cmd.run(['apply', fixture('js-app'), '--force'], tools(false)), 0)
    assert.ok(lines.some(l => l.startsWith('applied js-app 1.0.0, replacing static-notes')), lines.join('\n'))
    assert.ok(lines.some(l => l.includes('is not running: it serves the template when it starts')), lines.join('\n'))
    lines.length = 0
    assert.equal(await cmd.run(['current'], tools(false)), 0)
    assert.match(lines[0], /^js-app 1\.0\.0 \(js\)/)
    await start() // for after()

    // The real command on the stopped peer: the kernel starts it inside the CLI's process (tools.withPeer).
    await O.stop()
    const real = spawnSync(process.execPath, ['--no-node-snapshot', CLI, 'template', 'current', '--peer', dir], { encoding: 'utf8', env: { ...process.env, GOOP_LOG: 'error' } })
    assert.equal(real.status, 0, real.stderr)
    assert.match(real.stdout, /^js-app 1\.0\.0 \(js\)/)
    await start()

    const removed = await api<RemoveResult>(O, 'DELETE', '/api/x/templates/current')
    assert.equal(removed.status, 200)
    assert.deepEqual(removed.body.dropped, ['board', 'scores', 'vault'])
    assert.equal(templates.current(), null)
    assert.equal(existsSync(join(dir, 'template')), false)
    assert.ok(existsSync(join(dir, 'site', 'index.html')), 'the site files stay')
    assert.equal((await api(O, 'DELETE', '/api/x/templates/current')).status, 404)
    await rm(join(broken, '..'), { recursive: true, force: true })
  })
})
