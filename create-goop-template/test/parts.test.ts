import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { TEMPLATE_NAME_PATTERN } from '@goop/sdk'
import { devDependencies, PUBLISHED, workspaceRoot } from '../src/deps.js'
import { projectManifest, SCHEMA_REF } from '../src/manifest.js'
import { nameFromFolder, TEMPLATE_NAME } from '../src/names.js'
import { starters } from '../src/starters.js'
import { REPO } from './helpers.js'

/** The scaffolder's parts that must agree with the rest of the repository. */

const json = (path: string): Record<string, unknown> => JSON.parse(readFileSync(join(REPO, path), 'utf8')) as Record<string, unknown>

describe('create-goop-template, its parts', () => {
  it('the versions a published project asks for are the workspace\'s', () => {
    assert.equal(PUBLISHED['@goop/core'], `^${String(json('core/package.json').version)}`)
    assert.equal(PUBLISHED['@goop/sdk'], `^${String(json('sdk/package.json').version)}`)
    assert.equal(PUBLISHED['@goop/plugin-js'], `^${String(json('plugins/js/package.json').version)}`)
    const root = json('package.json').devDependencies as Record<string, string>
    assert.equal(PUBLISHED.tsx, root.tsx)
    assert.equal(PUBLISHED.typescript, root.typescript)
  })

  it('from this repository the packages are file: links into it; from npm, those versions', () => {
    const root = workspaceRoot()
    assert.ok(root != null, 'run from the workspace')
    const linked = devDependencies('js', root)
    assert.deepEqual(Object.keys(linked), ['@goop/core', '@goop/plugin-js', '@goop/sdk', 'tsx', 'typescript'])
    for (const spec of Object.values(linked)) assert.match(spec, new RegExp(`^file:${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`))
    assert.deepEqual(devDependencies('lua', null), { '@goop/core': PUBLISHED['@goop/core'], '@goop/sdk': PUBLISHED['@goop/sdk'], tsx: PUBLISHED.tsx })
  })

  it('project names follow the SDK\'s template name rule', () => {
    assert.equal(TEMPLATE_NAME.source, TEMPLATE_NAME_PATTERN.source)
    const cases: Array<[string, string]> = [['My App!', 'my-app'], ['2048', 'app-2048'], ['Café Ünïcode', 'cafe-unicode'], ['---', 'goop-app'], ['a'.repeat(80), 'a'.repeat(63)]]
    for (const [folder, name] of cases) {
      assert.equal(nameFromFolder(folder), name)
      assert.match(nameFromFolder(folder), TEMPLATE_NAME_PATTERN)
    }
  })

  it('the manifest gets the project\'s name and the installed schema, its layout untouched', () => {
    for (const s of starters()) {
      const original = readFileSync(join(s.dir, 'goop-template.json'), 'utf8')
      const { text } = projectManifest(original, 'my-app')
      const parsed = JSON.parse(text) as Record<string, unknown>
      assert.equal(parsed.name, 'my-app')
      assert.equal(parsed.$schema, SCHEMA_REF)
      const changed = text.split('\n').filter((line, i) => line !== original.split('\n')[i])
      assert.ok(changed.length <= 2, `${s.name}: only the name and $schema lines change (${changed.join(' | ')})`)
    }
    const bare = projectManifest('{\n  "name": "x",\n  "title": "X",\n  "version": "1.0.0",\n  "sdk": "^1.3.0",\n  "runtime": "static"\n}\n', 'y')
    assert.equal(bare.text, `{\n  "$schema": "${SCHEMA_REF}",\n  "name": "y",\n  "title": "X",\n  "version": "1.0.0",\n  "sdk": "^1.3.0",\n  "runtime": "static"\n}\n`)
  })
})
