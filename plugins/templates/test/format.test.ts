import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isGoopError } from '@goop/sdk'
import { KV_LIMITS, loadTemplate, parseManifest } from '@goop/plugin-templates'
import { KvStore } from '../src/kv.js'
import { tarEntry, tgz } from './helpers.js'

/** The template format as an author meets it (no peers): manifest errors with line and column, archives, kv bounds. */

const base = { name: 'demo', title: 'Demo', version: '1.0.0', sdk: '^1.3.0', runtime: 'static' }

function refusal (fn: () => unknown): string {
  try { fn() } catch (err) {
    assert.ok(isGoopError(err), String(err))
    assert.equal(err.code, 'bad_template')
    return err.message
  }
  assert.fail('expected a refusal')
}

describe('template format', () => {
  it('a JSON syntax error names the file, line and column', () => {
    const text = '{\n  "name": "demo",\n  "title": "Demo",,\n}'
    assert.match(refusal(() => parseManifest(text, 'demo/goop-template.json')), /^demo\/goop-template\.json:3:19: not valid JSON: expected a key in double quotes, found ","/)
    assert.match(refusal(() => parseManifest('{"a": 1,}', 'm.json')), /^m\.json:1:9: .*trailing comma/)
    assert.match(refusal(() => parseManifest('{"a": \'x\'}', 'm.json')), /^m\.json:1:7: .*double quotes/)
    assert.match(refusal(() => parseManifest('{"a": "x"', 'm.json')), /^m\.json:1:10: .*found the end of the file/)
  })

  it('a schema error names the field path and the line it is on', () => {
    const manifest = {
      ...base,
      tables: { posts: { columns: { title: { type: 'text' } }, policy: { read: 'public' } } }
    }
    const text = JSON.stringify(manifest, null, 2)
    const line = text.split('\n').findIndex(l => l.includes('"public"')) + 1
    assert.match(refusal(() => parseManifest(text, 'g.json')), new RegExp(`^g\\.json:${line}:\\d+: tables\\.posts\\.policy\\.read: `))
    // An unknown key is placed on that key.
    const extra = JSON.stringify({ ...base, colour: 'red' }, null, 2)
    const extraLine = extra.split('\n').findIndex(l => l.includes('"colour"')) + 1
    assert.match(refusal(() => parseManifest(extra, 'g.json')), new RegExp(`^g\\.json:${extraLine}:\\d+: unknown field "colour"`))
    // Logic where none belongs, and none where it is needed.
    assert.match(refusal(() => parseManifest(JSON.stringify({ ...base, runtime: 'lua' }), 'g.json')), /logic: a lua template needs logic\.entry/)
  })

  it('checks the sdk range, the logic entry path and the seed rows\' columns', () => {
    assert.match(refusal(() => parseManifest(JSON.stringify({ ...base, sdk: '^2.0.0' }), 'g.json')), /g\.json:1:\d+: sdk: the template needs @goop\/sdk \^2\.0\.0, but this peer provides @goop\/sdk 1\.\d+\.\d+/)
    assert.match(refusal(() => parseManifest(JSON.stringify({ ...base, sdk: 'latest please' }), 'g.json')), /not a semver range/)
    assert.match(refusal(() => parseManifest(JSON.stringify({ ...base, runtime: 'lua', logic: { entry: '../../etc/passwd' } }), 'g.json')), /logic\.entry: .* must be a path inside logic\//)
    const seeded = { ...base, tables: { t: { columns: { a: { type: 'text' } } } }, seed: { t: [{ a: 'x' }, { b: 'y' }] } }
    assert.match(refusal(() => parseManifest(JSON.stringify(seeded, null, 2), 'g.json')), /g\.json:\d+:\d+: seed\.t\[1\]: t has no column "b"/)
    const ok = parseManifest(JSON.stringify({ ...base, tables: { t: { columns: { a: { type: 'text' } } } }, seed: { t: [{ a: 'x' }] } }), 'g.json')
    assert.deepEqual(ok.tables.t.policy, { read: 'owner', insert: 'owner', update: 'owner', delete: 'owner' })
  })

  it('reads a .goop.tgz (contents at the root or under one folder) and refuses links and climbing names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'goop-tpl-'))
    try {
      const manifest = JSON.stringify(base)
      const nested = join(dir, 'demo-1.0.0.goop.tgz')
      await writeFile(nested, tgz(tarEntry('package/', null, '5'), tarEntry('package/goop-template.json', manifest), tarEntry('package/site/index.html', '<h1>hi</h1>')))
      const t = await loadTemplate(nested, dir)
      assert.equal(t.manifest.name, 'demo')
      assert.deepEqual(t.site.files, ['index.html'])
      assert.equal(await readFile(join(t.dir, 'site', 'index.html'), 'utf8'), '<h1>hi</h1>')
      await t.cleanup()

      const flat = join(dir, 'flat.goop.tgz')
      await writeFile(flat, tgz(tarEntry('goop-template.json', manifest), tarEntry('site/index.html', 'x')))
      const f = await loadTemplate(flat, dir)
      assert.equal(f.manifest.title, 'Demo')
      await f.cleanup()

      const refusedArchive = async (name: string, archive: Buffer, message: RegExp): Promise<void> => {
        await writeFile(join(dir, name), archive)
        await assert.rejects(loadTemplate(join(dir, name), dir), (err: unknown) => isGoopError(err) && err.code === 'bad_template' && message.test(err.message))
      }
      await refusedArchive('climb.goop.tgz', tgz(tarEntry('goop-template.json', manifest), tarEntry('site/../../evil', 'x')), /names must stay inside/)
      await refusedArchive('abs.goop.tgz', tgz(tarEntry('/etc/evil', 'x')), /names must stay inside/)
      await refusedArchive('link.goop.tgz', tgz(tarEntry('goop-template.json', manifest), tarEntry('site/link', null, '2')), /link/)
      await refusedArchive('nosite.goop.tgz', tgz(tarEntry('goop-template.json', manifest)), /no site\/ folder/)
      await refusedArchive('garbage.goop.tgz', Buffer.from('not gzip at all'), /not a gzipped archive/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('kv: keys and values are bounded, prefixes are text (no wildcards), templates are apart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'goop-kv-'))
    const kv = new KvStore(join(dir, 'kv.db'))
    try {
      kv.set('a', 'x%', 1)
      kv.set('a', 'x_y', { deep: [1, 2] })
      kv.set('a', 'xyz', 'text')
      kv.set('b', 'x%', 'other template')
      assert.deepEqual(kv.get('a', 'x_y'), { deep: [1, 2] })
      assert.equal(kv.get('a', 'missing'), null)
      assert.deepEqual(kv.list('a', 'x%'), ['x%'])
      assert.deepEqual(kv.list('a', 'x_'), ['x_y'])
      assert.deepEqual(kv.list('a', 'x'), ['x%', 'x_y', 'xyz'])
      assert.deepEqual(kv.list('b'), ['x%'])
      kv.set('a', 'xyz', null)
      assert.equal(kv.count('a'), 2)
      assert.throws(() => kv.set('a', 'k'.repeat(KV_LIMITS.keyChars + 1), 1), /at most 256 characters/)
      assert.throws(() => kv.set('a', '', 1), /non-empty string/)
      assert.throws(() => kv.set('a', 'big', 'v'.repeat(KV_LIMITS.valueBytes)), /at most 65536 bytes/)
      assert.throws(() => kv.set('a', '\uD800', 1), /well-formed/)
      assert.equal(kv.drop('a'), 2)
      assert.equal(kv.count('a'), 0)
      assert.equal(kv.count('b'), 1)
    } finally {
      kv.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
