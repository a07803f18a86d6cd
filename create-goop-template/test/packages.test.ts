import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO, run, shown } from './helpers.js'

/**
 * A project made by `npm create goop-template` will depend on these packages once they are
 * published, so each must ship what it needs and nothing of the repository's: `npm pack --dry-run`
 * of every workspace package holds its README, every file its `exports` and `bin` name, and no
 * tests, fixtures, build info or node_modules.
 */

interface Packed { name: string, files: Array<{ path: string }> }
interface Manifest { name: string, bin?: Record<string, string>, exports?: unknown, files?: string[], private?: boolean }

/** Every file path an `exports` map names (conditions other than `development`, which is the repository's own). */
function exportTargets (exports: unknown): string[] {
  if (typeof exports === 'string') return [exports]
  if (typeof exports !== 'object' || exports === null) return []
  return Object.entries(exports).flatMap(([key, value]) => key === 'development' ? [] : exportTargets(value))
}

describe('npm pack --dry-run of every workspace package', () => {
  it('ships its README, what its exports and bin name, and nothing of the repository\'s', async () => {
    const r = await run('npm', ['pack', '--dry-run', '--json', '--workspaces'], { cwd: REPO })
    assert.equal(r.code, 0, shown(r))
    const manifests = workspacePackages()
    // npm packs private workspace packages too; they are never published, so only the public ones count.
    const privates = privatePackages()
    const packs = (JSON.parse(r.stdout) as Packed[]).filter(p => !privates.has(p.name))
    assert.deepEqual(packs.map(p => p.name).toSorted(), [...manifests.keys()].toSorted(), 'one pack per workspace package')
    for (const pack of packs) {
      const paths = new Set(pack.files.map(f => f.path))
      assert.ok(paths.has('README.md'), `${pack.name} ships its README`)
      assert.ok(paths.has('package.json'), `${pack.name} ships package.json`)
      for (const p of paths) {
        // The scaffolder's project/ holds the tests it writes into projects: they are its payload.
        if (pack.name === 'create-goop-template' && p.startsWith('project/')) continue
        assert.doesNotMatch(p, /(^|\/)(test|tests|fixtures|node_modules)\/|\.tsbuildinfo$|\.test\.[cm]?[jt]s$/, `${pack.name} ships no ${p}`)
      }
      const m = manifests.get(pack.name)
      assert.ok(m != null, `${pack.name} is a workspace package`)
      for (const target of [...exportTargets(m.exports), ...Object.values(m.bin ?? {})]) {
        if (target.includes('*')) continue
        assert.ok(paths.has(target.replace(/^\.\//, '')), `${pack.name} ships ${target}, which its package.json names`)
      }
    }
  })
})

/** The workspace packages' package.json, by name (the root's `workspaces`: folders and `folder/*`). */
function workspacePackages (opts: { includePrivate?: boolean } = {}): Map<string, Manifest> {
  const out = new Map<string, Manifest>()
  const { workspaces } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { workspaces: string[] }
  for (const pattern of workspaces) {
    const dirs = pattern.endsWith('/*')
      ? readdirSync(join(REPO, pattern.slice(0, -2)), { withFileTypes: true }).filter(e => e.isDirectory()).map(e => join(pattern.slice(0, -2), e.name))
      : [pattern]
    for (const dir of dirs) {
      const file = join(REPO, dir, 'package.json')
      if (!existsSync(file)) continue
      const m = JSON.parse(readFileSync(file, 'utf8')) as Manifest
      if (m.private !== true || opts.includePrivate === true) out.set(m.name, m)
    }
  }
  return out
}

/** Names of the workspace packages marked private. */
function privatePackages (): Set<string> {
  const all = workspacePackages({ includePrivate: true })
  return new Set([...all].filter(([, m]) => m.private === true).map(([name]) => name))
}
