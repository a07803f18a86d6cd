import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestPeer } from '@goop/core/testing'
import { goop, type Run } from './helpers/cli.js'

const goopWarn = async (args: string[], cwd: string, ms = 20_000): Promise<Run> => await goop(args, cwd, ms, { GOOP_LOG: 'warn' })

/** A broken peer folder must stop `goop start` with a message that says which file and what is wrong. */




/** Flags that keep an accidental successful start harmless: no mDNS, any free viewer port. */
const START = ['--viewer-port', '0', '--no-mdns']

describe('a broken peer folder', () => {
  let root: string
  before(async () => { root = await mkdtemp(join(tmpdir(), 'goop-config-')) })
  after(async () => { await rm(root, { recursive: true, force: true }) })

  /** A fresh peer folder made by `goop init`. */
  const init = async (name: string): Promise<string> => {
    const dir = join(root, name)
    const r = await goopWarn(['init', dir, '--name', name], root)
    assert.equal(r.code, 0, r.stderr)
    return dir
  }

  it('refuses to start with a corrupt identity.key, names the file, and leaves it as it was', async () => {
    const dir = await init('corrupt-key')
    const file = join(dir, 'identity.key')
    const garbage = randomBytes(64)
    await writeFile(file, garbage, { mode: 0o600 })

    const r = await goopWarn(['start', dir, ...START], root)
    assert.equal(r.code, 1, `exit code ${r.code}; stdout: ${r.stdout}`)
    assert.match(r.stderr, /^goop: /m)
    assert.ok(r.stderr.includes(file), r.stderr)
    assert.match(r.stderr, /corrupt|Ed25519/)
    assert.doesNotMatch(r.stdout, /is running/)
    assert.deepEqual(await readFile(file), garbage, 'the corrupt key must not be replaced or changed')
    assert.equal((await stat(join(dir, 'state', 'viewer.json')).catch(() => undefined)), undefined, 'no viewer state of a peer that never ran')

    // `goop id` says the same, and still does not touch it.
    const id = await goopWarn(['id', dir], root)
    assert.equal(id.code, 1)
    assert.ok(id.stderr.includes(file), id.stderr)
    assert.deepEqual(await readFile(file), garbage)

    // So does an embedder starting the Peer in-process.
    await assert.rejects(startTestPeer({ dir, viewer: false }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'identity_corrupt')
      assert.ok(err.message.includes(file), err.message)
      return true
    })
    assert.deepEqual(await readFile(file), garbage)
  })

  const badConfigs: Array<{ what: string, text: string, expect: RegExp[] }> = [
    { what: 'not JSON', text: '{ "name": "x", ', expect: [/is not valid JSON/] },
    { what: 'not an object', text: '["name"]', expect: [/the top level must be a JSON object/] },
    { what: 'an unknown key', text: '{ "nmae": "x" }', expect: [/unknown key "nmae"/, /expected one of: name, network/] },
    { what: 'an unknown nested key', text: '{ "network": { "prot": 4001 } }', expect: [/unknown key "network\.prot"/, /expected one of: host, port/] },
    { what: 'a port out of range', text: '{ "network": { "port": 70000 } }', expect: [/"network\.port"/, /65535/] },
    { what: 'a value of the wrong type', text: '{ "viewer": { "port": "8080" } }', expect: [/"viewer\.port"/, /expected number, received string/] },
    { what: 'a bad log level', text: '{ "log": { "level": "loud" } }', expect: [/"log\.level"/, /debug.*info.*warn.*error/] }
  ]
  for (const { what, text, expect } of badConfigs) {
    it(`refuses to start with ${what} in goop.json, naming the file, the key and what was expected`, async () => {
      const dir = await init(`bad-${what.replaceAll(' ', '-')}`)
      const file = join(dir, 'goop.json')
      await writeFile(file, text)
      const r = await goopWarn(['start', dir, ...START], root)
      assert.equal(r.code, 1, `exit code ${r.code}; stdout: ${r.stdout}; stderr: ${r.stderr}`)
      assert.ok(r.stderr.includes(file), r.stderr)
      for (const re of expect) assert.match(r.stderr, re)
      assert.doesNotMatch(r.stdout, /is running/)
      assert.equal(await readFile(file, 'utf8'), text, 'a broken goop.json is reported, never rewritten')
    })
  }

  it('refuses to start when goop.json cannot be read, naming it', async () => {
    const dir = await init('unreadable')
    const file = join(dir, 'goop.json')
    await rm(file)
    await mkdir(file) // a folder where the file should be: reading it fails
    const r = await goopWarn(['start', dir, ...START], root)
    assert.equal(r.code, 1, r.stdout)
    assert.match(r.stderr, /cannot read/)
    assert.ok(r.stderr.includes(file), r.stderr)
  })
})

describe('a missing identity.key', () => {
  it('is created with mode 0600, and the next start reuses it (same peer id)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'goop-identity-'))
    try {
      const file = join(dir, 'identity.key')
      await assert.rejects(stat(file))
      const first = await startTestPeer({ dir, viewer: false })
      const id = first.id
      await first.stop()
      const s = await stat(file)
      assert.equal(s.mode & 0o777, 0o600, `identity.key has mode ${(s.mode & 0o777).toString(8)}`)
      const bytes = await readFile(file)

      const second = await startTestPeer({ dir, viewer: false })
      try {
        assert.equal(second.id, id)
        assert.deepEqual(await readFile(file), bytes)
        assert.equal((await stat(file)).mode & 0o777, 0o600)
      } finally { await second.stop() }

      // The CLI agrees on the identity.
      await writeFile(join(dir, 'goop.json'), '{}')
      const r = await goopWarn(['id', dir], dir)
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stdout.trim(), id)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
