import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { goop, type Run } from './helpers/cli.js'
import { initPeerDir, PeerProcess } from './helpers/processes.js'

/**
 * `goop data …`, the real CLI in real processes: on a peer that is not running (it opens data.db
 * itself) and on one that is (through the admin API, so the running plugin sees the change at once).
 */

interface TableInfo { name: string, rows: number, columns: Array<{ name: string, type: string }>, policy: Record<string, string>, source: string }

const v1 = {
  tables: {
    notes: {
      description: 'short notes',
      columns: { text: { type: 'text', required: true, maxLength: 200 } },
      policy: { read: 'open', insert: 'open', update: 'author', delete: 'author' }
    }
  }
}
const v2 = { tables: { notes: { ...v1.tables.notes, columns: { ...v1.tables.notes.columns, done: { type: 'boolean', default: false } } } } }
/** Drops column `done` again: destructive. */
const v3 = v1

/** One line on stderr, no stack trace. */
function oneLine (r: Run): string {
  const lines = r.stderr.trimEnd().split('\n')
  assert.equal(lines.length, 1, `one line on stderr:\n${r.stderr}`)
  assert.doesNotMatch(r.stderr, /\bat .+:\d+:\d+/, 'no stack trace')
  return lines[0]
}

describe('goop data (CLI)', () => {
  let root: string
  let dir: string
  let peer: PeerProcess | undefined
  const file = (name: string): string => join(root, name)

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'goop-data-cli-'))
    dir = join(root, 'p')
    await initPeerDir(dir, 'carol', root)
    await writeFile(file('v1.json'), JSON.stringify(v1, null, 2))
    await writeFile(file('v2.json'), JSON.stringify(v2, null, 2))
    await writeFile(file('v3.json'), JSON.stringify(v3, null, 2))
    await writeFile(file('broken.json'), '{ "tables": { "notes": ')
    await writeFile(file('bad-schema.json'), JSON.stringify({ tables: { 'Bad Name': { columns: { text: { type: 'text' } } } } }))
    await writeFile(file('bad-type.json'), JSON.stringify({ tables: { notes: { columns: { text: { type: 'varchar' } } } } }))
  })
  after(async () => {
    peer?.proc.kill()
    await rm(root, { recursive: true, force: true })
  })

  it('--help and wrong use: usage lines, exit 0 / 2', async () => {
    const help = await goop(['data', '--help', '--peer', dir], root)
    assert.equal(help.code, 0, help.stderr)
    for (const sub of ['apply SCHEMA.json', 'tables', 'backups', 'restore FILE']) assert.ok(help.stdout.includes(`goop data ${sub}`), help.stdout)
    const none = await goop(['data', '--peer', dir], root)
    assert.equal(none.code, 2)
    const unknown = await goop(['data', 'frobnicate', '--peer', dir], root)
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /unknown command "data frobnicate"/)
    const flag = await goop(['data', 'apply', file('v1.json'), '--frobnicate', '--peer', dir], root)
    assert.equal(flag.code, 2)
  })

  it('on a peer that is not running: apply creates the tables in data.db, tables lists them', async () => {
    const r = await goop(['data', 'apply', file('v1.json'), '--peer', dir], root)
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^notes: created/m)
    assert.match(r.stdout, /not running/)
    const again = await goop(['data', 'apply', file('v1.json'), '--peer', dir], root)
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /^notes: unchanged/m)
    const tables = await goop(['data', 'tables', '--json', '--peer', dir], root)
    assert.equal(tables.code, 0, tables.stderr)
    const list = JSON.parse(tables.stdout) as TableInfo[]
    assert.deepEqual(list.map(t => [t.name, t.rows]), [['notes', 0]])
    assert.deepEqual(list[0].policy, { read: 'open', insert: 'open', update: 'author', delete: 'author' })
    const text = await goop(['data', 'tables', '--peer', dir], root)
    assert.match(text.stdout, /^notes {2}0 rows {2}read open, insert open, update author, delete author/m)
  })

  it('refuses a missing file, a file that is not JSON and a bad schema: one line, exit 2, nothing changed', async () => {
    const missing = await goop(['data', 'apply', file('nope.json'), '--peer', dir], root)
    assert.equal(missing.code, 2)
    assert.match(oneLine(missing), /cannot read .*nope\.json: no such file/)
    const broken = await goop(['data', 'apply', file('broken.json'), '--peer', dir], root)
    assert.equal(broken.code, 2)
    assert.match(oneLine(broken), /broken\.json is not JSON/)
    for (const bad of ['bad-schema.json', 'bad-type.json']) {
      const r = await goop(['data', 'apply', file(bad), '--peer', dir], root)
      assert.equal(r.code, 2, `${bad}: ${r.stdout}${r.stderr}`)
      assert.match(r.stderr, /^goop: \S/)
    }
    const notAPeer = await goop(['data', 'tables', '--peer', join(root, 'nowhere')], root)
    assert.equal(notAPeer.code, 2)
    assert.match(oneLine(notAPeer), /not a goop peer/)
    const tables = JSON.parse((await goop(['data', 'tables', '--json', '--peer', dir], root)).stdout) as TableInfo[]
    assert.deepEqual(tables.map(t => t.name), ['notes'])
  })

  it('on a running peer: apply migrates through the admin API; a destructive change needs --force and leaves a backup; restore', async () => {
    peer = await PeerProcess.start(dir, root)
    const op = async (body: unknown): Promise<Response> => await fetch(`http://127.0.0.1:${peer!.port}/api/x/data/op`, {
      method: 'POST', headers: { authorization: `Bearer ${peer!.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body)
    })
    assert.equal((await op({ op: 'insert', table: 'notes', values: { text: 'kept' } })).status, 200)

    const r = await goop(['data', 'apply', file('v2.json'), '--peer', dir], root)
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^notes: migrated/m)
    assert.match(r.stdout, /running peer/)
    // The running plugin sees the new column at once.
    const inserted = await op({ op: 'insert', table: 'notes', values: { text: 'with done', done: true } })
    assert.equal(inserted.status, 200, await inserted.clone().text())

    const refused = await goop(['data', 'apply', file('v3.json'), '--peer', dir], root)
    assert.notEqual(refused.code, 0)
    assert.match(oneLine(refused), /--force|force/)
    assert.equal((await peer.api<{ tables: TableInfo[] }>('/x/data/tables')).tables[0].columns.some(c => c.name === 'done'), true, 'nothing changed')

    const forced = await goop(['data', 'apply', file('v3.json'), '--force', '--peer', dir], root)
    assert.equal(forced.code, 0, forced.stderr)
    const backup = /^backup: (\S+)/m.exec(forced.stdout)?.[1]
    assert.ok(backup != null, forced.stdout)
    assert.ok((await readdir(join(dir, 'backups'))).includes(backup))
    const info = (await peer.api<{ tables: TableInfo[] }>('/x/data/tables')).tables[0]
    assert.equal(info.columns.some(c => c.name === 'done'), false)
    assert.equal(info.rows, 2)

    const listed = await goop(['data', 'backups', '--peer', dir], root)
    assert.equal(listed.code, 0, listed.stderr)
    assert.ok(listed.stdout.includes(backup))

    // A path that leads outside backups/ is refused before anything is read.
    const outside = await goop(['data', 'restore', join(dir, 'goop.json'), '--peer', dir], root)
    assert.equal(outside.code, 2)
    const restored = await goop(['data', 'restore', backup, '--force', '--peer', dir], root)
    assert.equal(restored.code, 0, restored.stderr)
    assert.match(restored.stdout, /restored notes/)
    const restoredInfo = (await peer.api<{ tables: TableInfo[] }>('/x/data/tables')).tables[0]
    assert.equal(restoredInfo.columns.some(c => c.name === 'done'), true, 'the backup had the column')
    assert.equal(restoredInfo.rows, 2)

    await peer.proc.stop()
    peer = undefined
    // And offline again: the same data, read from the file.
    const tables = JSON.parse((await goop(['data', 'tables', '--json', '--peer', dir], root)).stdout) as TableInfo[]
    assert.deepEqual(tables.map(t => [t.name, t.rows]), [['notes', 2]])
  })
})
