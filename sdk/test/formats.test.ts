import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DataRequestSchema, DataSchema, dataJsonSchemas, TemplateManifestSchema, templateJsonSchema } from '@goop/sdk'

/** The hand-edited formats (data schema, template manifest) and the request format, as an author meets them. */
describe('data and template formats', () => {
  it('a table gets owner-only policies for whatever its schema leaves out', () => {
    const s = DataSchema.parse({ tables: { notes: { columns: { text: { type: 'text' } }, policy: { read: 'open' } } } })
    assert.deepEqual(s.tables.notes.policy, { read: 'open', insert: 'owner', update: 'owner', delete: 'owner' })
    const bare = DataSchema.parse({ tables: { secrets: { columns: {} } } })
    assert.deepEqual(bare.tables.secrets.policy, { read: 'owner', insert: 'owner', update: 'owner', delete: 'owner' })
  })

  it('refuses system names, unknown policy words and unknown keys, saying where', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ tables: { _goop_tables: { columns: {} } } }, /system/],
      [{ tables: { sqlite_master: { columns: {} } } }, /reserved/],
      [{ tables: { t: { columns: { _author: { type: 'text' } } } } }, /system/],
      [{ tables: { t: { columns: { 'a b': { type: 'text' } } } } }, /a–z/],
      [{ tables: { t: { columns: {}, policy: { read: 'public' } } } }, /read/],
      [{ tables: { t: { columns: {}, policy: { insert: 'author' } } } }, /insert/],
      [{ tables: { t: { columns: { n: { type: 'blob' } } } } }, /type/],
      [{ tables: { t: { columns: {}, extra: 1 } } }, /extra/]
    ]
    for (const [input, message] of cases) {
      const r = DataSchema.safeParse(input)
      assert.equal(r.success, false, JSON.stringify(input))
      assert.match(JSON.stringify(r.error?.issues), message, JSON.stringify(input))
    }
  })

  it('requests are strict: no field can claim an identity or carry SQL', () => {
    assert.equal(DataRequestSchema.safeParse({ op: 'query', table: 'notes', where: { column: 'done', op: 'eq', value: false } }).success, true)
    for (const bad of [
      { op: 'query', table: 'notes', as: 'someone-else' },
      { op: 'insert', table: 'notes', values: {}, caller: 'x' },
      { op: 'query', table: 'notes', where: 'done = 0' },
      { op: 'query', table: 'notes', where: { column: 'done', op: 'raw', value: '1=1' } },
      { op: 'query', table: 'notes', limit: 1001 },
      { op: 'query', table: 'notes', limit: '10' },
      { op: 'get', table: 'notes', id: '1 OR 1=1' },
      { op: 'drop', table: 'notes' }
    ]) assert.equal(DataRequestSchema.safeParse(bad).success, false, JSON.stringify(bad))
  })

  it('a template manifest needs logic exactly when its runtime runs code, and seeds only declared tables', () => {
    const base = { name: 'quiz', title: 'Quiz', version: '1.0.0', sdk: '^1.3.0' }
    assert.equal(TemplateManifestSchema.safeParse({ ...base, runtime: 'static' }).success, true)
    assert.equal(TemplateManifestSchema.safeParse({ ...base, runtime: 'lua', logic: { entry: 'main.lua' } }).success, true)
    assert.match(JSON.stringify(TemplateManifestSchema.safeParse({ ...base, runtime: 'lua' }).error?.issues), /needs logic.entry/)
    assert.match(JSON.stringify(TemplateManifestSchema.safeParse({ ...base, runtime: 'static', logic: { entry: 'x.js' } }).error?.issues), /no logic/)
    assert.match(JSON.stringify(TemplateManifestSchema.safeParse({ ...base, runtime: 'static', seed: { nope: [{}] } }).error?.issues), /does not declare/)
    assert.equal(TemplateManifestSchema.safeParse({ ...base, name: 'My Quiz', runtime: 'static' }).success, false)
  })

  it('publishes JSON Schemas for editors', () => {
    const { schema, request } = dataJsonSchemas() as { schema: { properties: Record<string, unknown> }, request: { oneOf?: unknown[], anyOf?: unknown[] } }
    assert.ok(schema.properties.tables != null)
    assert.equal((request.oneOf ?? request.anyOf)?.length, 7)
    assert.ok((templateJsonSchema() as { properties: Record<string, unknown> }).properties.runtime != null)
  })
})
