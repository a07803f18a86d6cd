import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isGoopError } from '@goop/sdk'
import { buildArchive, loadTemplate, packEntries } from '@goop/plugin-templates'
import { variant } from './helpers.js'

/**
 * `goop template build`: the archive writer beside the reader (tar.ts). What it writes, the reader
 * and the system's tar read back file for file; the same folder gives the same bytes; long names
 * survive; and the real command checks through a peer (refusing broken logic with file and line,
 * writing nothing) before an archive that `goop template apply` takes.
 */

const CLI = fileURLToPath(new URL('../../../core/bin/goop.js', import.meta.url))
const goop = (args: string[], cwd: string): { status: number | null, stdout: string, stderr: string } =>
  spawnSync(process.execPath, ['--no-node-snapshot', CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, GOOP_LOG: 'error' } })

async function tree (dir: string, rel = ''): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const path = rel === '' ? e.name : `${rel}/${e.name}`
    if (e.isDirectory()) out.push(...await tree(dir, path))
    else out.push(`${path}=${(await readFile(join(dir, path))).toString('base64')}`)
  }
  return out.toSorted()
}

describe('goop template build', () => {
  it('writes NAME-VERSION.goop.tgz that the reader and tar(1) read back as the folder was, the same bytes every time', async () => {
    const dir = await variant('js-app', async (d) => {
      // A name longer than ustar's 100 bytes (split into prefix/name) and one longer than both (a pax record).
      const deep = join(d, 'site', 'a'.repeat(60), 'b'.repeat(60))
      await mkdir(deep, { recursive: true })
      await writeFile(join(deep, 'page.html'), 'deep')
      await writeFile(join(d, 'site', `${'c'.repeat(120)}.txt`), 'long')
      await writeFile(join(d, 'site', 'ünïcode.html'), 'ü')
      await writeFile(join(d, 'README.md'), 'not part of the template')
    })
    const scratch = await mkdtemp(join(tmpdir(), 'goop-build-'))
    try {
      const built = await buildArchive(dir)
      assert.equal(built.file, join(dir, 'js-app-1.0.0.goop.tgz'))
      assert.equal(built.files, 7)
      const first = await readFile(built.file)
      await buildArchive(dir, join(scratch, 'again.goop.tgz'))
      assert.deepEqual(await readFile(join(scratch, 'again.goop.tgz')), first, 'reproducible')

      const t = await loadTemplate(built.file, scratch)
      try {
        assert.equal(t.manifest.name, 'js-app')
        const expected = (await tree(dir)).filter(f => /^(goop-template\.json|site\/|logic\/)/.test(f))
        assert.deepEqual(await tree(t.dir), expected)
      } finally { await t.cleanup() }

      const listed = spawnSync('tar', ['-tzf', built.file], { encoding: 'utf8' })
      assert.equal(listed.status, 0, listed.stderr)
      assert.ok(listed.stdout.split('\n').includes(`site/${'a'.repeat(60)}/${'b'.repeat(60)}/page.html`), listed.stdout)
      assert.ok(listed.stdout.split('\n').includes(`site/${'c'.repeat(120)}.txt`), listed.stdout)
      assert.ok(!listed.stdout.includes('README.md'), 'only the manifest, site/ and logic/ are packed')
    } finally {
      await rm(join(dir, '..'), { recursive: true, force: true })
      await rm(scratch, { recursive: true, force: true })
    }
  })

  it('refuses names that leave the folder', async () => {
    await assert.rejects(packEntries([{ name: '../x', kind: 'dir' }]), (err: unknown) => isGoopError(err) && /names must stay inside/.test(err.message))
  })

  it('the command checks through the project\'s dev peer (made if missing), refuses broken logic with file and line, and its archive applies to another peer', async () => {
    const dir = await variant('lua-app', async () => {})
    const peer = await mkdtemp(join(tmpdir(), 'goop-build-peer-'))
    try {
      const ok = goop(['template', 'build', '.', '--peer', '.goop/dev'], dir)
      assert.equal(ok.status, 0, ok.stderr)
      assert.match(ok.stdout, /^checked lua-app 1\.0\.0 \(lua\): manifest, tables, files and logic\nwrote lua-app-1\.0\.0\.goop\.tgz \(\d+ files, [\d.]+ (KiB|B)\)\n/)
      assert.ok(existsSync(join(dir, '.goop', 'dev', 'goop.json')), 'the dev peer was made')

      const archive = join(dir, 'lua-app-1.0.0.goop.tgz')
      assert.equal(goop(['init', peer], dir).status, 0)
      const applied = goop(['template', 'apply', archive, '--peer', peer], dir)
      assert.equal(applied.status, 0, applied.stderr)
      assert.match(applied.stdout, /^applied lua-app 1\.0\.0/)

      // Broken logic: one line naming the file and line, exit 2, no archive.
      await rm(archive)
      await writeFile(join(dir, 'logic', 'main.lua'), 'local x = = 1\n')
      const broken = goop(['template', 'build', dir, '--peer', join(dir, '.goop', 'dev')], tmpdir())
      assert.equal(broken.status, 2, broken.stdout + broken.stderr)
      assert.match(broken.stderr, /^goop: \S*lua-app\/logic\/main\.lua:1: /)
      assert.equal(broken.stderr.trim().split('\n').length, 1, broken.stderr)
      assert.equal(existsSync(archive), false, 'nothing was written')

      const notTemplate = goop(['template', 'build', peer], dir)
      assert.equal(notTemplate.status, 2)
      assert.match(notTemplate.stderr, /has no goop-template\.json/)
    } finally {
      await rm(join(dir, '..'), { recursive: true, force: true })
      await rm(peer, { recursive: true, force: true })
    }
  })
})
