import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { DataResults, Policy, TableDescription } from '@goop/sdk'
import type { Caller } from '../src/store/index.js'
import { ALICE, BOB, OWNER, refused, tempStore, type Temp } from './store-fixtures.js'

/**
 * The policy matrix at the engine: every combination of read × insert × update × delete policy (54
 * tables), every operation, as the owner, as the row's author (Alice) and as another visitor (Bob).
 * The expected outcome of each cell is written out here from the policy words, not computed by the
 * engine's own code.
 */

const READ = ['open', 'author', 'owner'] as const
const INSERT = ['open', 'owner'] as const
const CHANGE = ['open', 'author', 'owner'] as const

interface Combo { name: string, policy: Policy }
const combos: Combo[] = []
for (const read of READ) for (const ins of INSERT) for (const update of CHANGE) for (const del of CHANGE) {
  combos.push({ name: `t_${read}_${ins}_${update}_${del}`, policy: { read, insert: ins, update, delete: del } })
}

type Outcome = 'ok' | 'forbidden' | 'not_found'

/** What the policy words say a caller gets when it reads (which rows it sees, or forbidden). */
function readable (p: Policy, who: Caller, author: string): boolean | 'forbidden' {
  if (who.owner) return true
  if (p.read === 'owner') return 'forbidden'
  if (p.read === 'author') return author === who.peer
  return true
}

/** What the policy words say an update/delete of a row written by `author` does for `who`. */
function change (p: Policy, op: 'update' | 'delete', who: Caller, author: string): Outcome {
  if (who.owner) return 'ok'
  if (p[op] === 'owner') return 'forbidden' // no visitor may
  if (p.read === 'owner') return 'forbidden' // it can read no row, so it can change none
  if (p.read === 'author' && author !== who.peer) return 'not_found' // a row it cannot see
  if (p[op] === 'author' && author !== who.peer) return 'forbidden' // it can see it, but did not write it
  return 'ok'
}

describe('data store: the policy matrix', () => {
  let t: Temp
  before(() => {
    t = tempStore()
    t.store.apply({ tables: Object.fromEntries(combos.map(c => [c.name, { columns: { v: { type: 'text' } }, policy: c.policy }])) })
  })
  after(() => { t.cleanup() })

  /** Fresh rows for a case: one by Alice (written through the owner's rights), one by the owner. */
  function seed (table: string): { alice: number, owner: number } {
    const a = t.store.execute({ op: 'insert', table, values: { v: 'alice' } }, { peer: ALICE.peer, owner: true }) as DataResults['insert']
    const o = t.store.execute({ op: 'insert', table, values: { v: 'owner' } }, OWNER) as DataResults['insert']
    return { alice: a.row._id, owner: o.row._id }
  }

  it('read: query, get and count are open, scoped to own rows, or forbidden', () => {
    for (const c of combos) {
      const ids = seed(c.name)
      for (const who of [OWNER, ALICE, BOB]) {
        const label = `${c.name} as ${who.peer}`
        const expectVisible = (['alice', 'owner'] as const).filter(k => readable(c.policy, who, k === 'alice' ? ALICE.peer : OWNER.peer) === true).map(k => ids[k])
        if (readable(c.policy, who, ALICE.peer) === 'forbidden') {
          refused(() => t.store.execute({ op: 'query', table: c.name }, who), 'forbidden', new RegExp(`read .*${c.name}`))
          refused(() => t.store.execute({ op: 'get', table: c.name, id: ids.alice }, who), 'forbidden')
          refused(() => t.store.execute({ op: 'count', table: c.name }, who), 'forbidden')
          continue
        }
        const q = t.store.execute({ op: 'query', table: c.name, where: { column: '_id', op: 'in', value: [ids.alice, ids.owner] } }, who) as DataResults['query']
        assert.deepEqual(q.rows.map(r => r._id), expectVisible, label)
        const n = t.store.execute({ op: 'count', table: c.name, where: { column: '_id', op: 'in', value: [ids.alice, ids.owner] } }, who) as DataResults['count']
        assert.equal(n.count, expectVisible.length, label)
        for (const k of ['alice', 'owner'] as const) {
          const g = t.store.execute({ op: 'get', table: c.name, id: ids[k] }, who) as DataResults['get']
          assert.equal(g.row?._id ?? null, expectVisible.includes(ids[k]) ? ids[k] : null, `${label} get ${k}'s row`)
        }
      }
    }
  })

  it('insert: open lets every visitor insert (as itself), owner lets none', () => {
    for (const c of combos) {
      for (const who of [OWNER, ALICE, BOB]) {
        if (!who.owner && c.policy.insert === 'owner') {
          const countBefore = (t.store.execute({ op: 'count', table: c.name }, OWNER) as DataResults['count']).count
          refused(() => t.store.execute({ op: 'insert', table: c.name, values: { v: 'x' } }, who), 'forbidden', /insert/)
          assert.equal((t.store.execute({ op: 'count', table: c.name }, OWNER) as DataResults['count']).count, countBefore)
          continue
        }
        const r = t.store.execute({ op: 'insert', table: c.name, values: { v: 'x' } }, who) as DataResults['insert']
        assert.equal(r.row._author, who.peer, `${c.name}: the row is the caller's`)
        assert.equal(r.row.v, 'x')
      }
    }
  })

  for (const op of ['update', 'delete'] as const) {
    it(`${op}: the owner always; the author its own rows; another visitor as the policy says; nothing more`, () => {
      for (const c of combos) {
        for (const who of [OWNER, ALICE, BOB]) {
          for (const target of ['alice', 'owner'] as const) {
            const ids = seed(c.name)
            const id = ids[target]
            const label = `${op} ${c.name} ${target}'s row as ${who.peer}`
            const expected = change(c.policy, op, who, target === 'alice' ? ALICE.peer : OWNER.peer)
            const req = op === 'update' ? { op, table: c.name, id, values: { v: 'changed' } } : { op, table: c.name, id }
            if (expected === 'ok') {
              const r = t.store.execute(req, who)
              if (op === 'update') assert.equal((r as DataResults['update']).row.v, 'changed', label)
              else assert.equal((r as DataResults['delete']).deleted, 1, label)
            } else {
              refused(() => t.store.execute(req, who), expected)
            }
            const now = t.store.execute({ op: 'get', table: c.name, id }, OWNER) as DataResults['get']
            if (expected !== 'ok') assert.equal(now.row?.v, target, `${label}: the row is untouched`)
            else if (op === 'delete') assert.equal(now.row, null, label)
            // The other row is never touched.
            const other = t.store.execute({ op: 'get', table: c.name, id: ids[target === 'alice' ? 'owner' : 'alice'] }, OWNER) as DataResults['get']
            assert.equal(other.row?.v, target === 'alice' ? 'owner' : 'alice', label)
          }
        }
      }
    })
  }

  it('a row that does not exist is not_found for anyone who may change some row', () => {
    const c = combos.find(x => x.policy.read === 'open' && x.policy.update === 'open' && x.policy.delete === 'author')
    assert.ok(c)
    for (const who of [OWNER, ALICE]) {
      refused(() => t.store.execute({ op: 'update', table: c.name, id: 999_999, values: { v: 'x' } }, who), 'not_found', /no row 999999/)
      refused(() => t.store.execute({ op: 'delete', table: c.name, id: 999_999 }, who), 'not_found')
    }
    assert.deepEqual(t.store.execute({ op: 'get', table: c.name, id: 999_999 }, ALICE), { row: null })
  })

  it('describe: the owner sees every table; a visitor only tables it may use, with can per operation', () => {
    const owner = t.store.execute({ op: 'describe' }, OWNER) as DataResults['describe']
    assert.equal(owner.role, 'owner')
    assert.equal(owner.tables.length, combos.length)
    for (const d of owner.tables) assert.deepEqual(d.can, { read: true, insert: true, update: true, delete: true })
    for (const who of [ALICE, BOB]) {
      const v = t.store.execute({ op: 'describe' }, who) as DataResults['describe']
      assert.equal(v.role, 'visitor')
      const byName = new Map<string, TableDescription>(v.tables.map(d => [d.name, d]))
      for (const c of combos) {
        const p = c.policy
        const read = p.read === 'open' ? true : p.read === 'author' ? 'own' : false
        const ch = (x: Policy['update']): boolean | 'own' => (x === 'owner' || p.read === 'owner') ? false : (x === 'author' || p.read === 'author') ? 'own' : true
        const can = { read, insert: p.insert === 'open', update: ch(p.update), delete: ch(p.delete) }
        const visible = Object.values(can).some(x => x !== false)
        assert.equal(byName.has(c.name), visible, c.name)
        if (visible) {
          assert.deepEqual(byName.get(c.name)?.can, can, c.name)
          assert.deepEqual(byName.get(c.name)?.policy, p)
          assert.deepEqual(byName.get(c.name)?.columns, [{ name: 'v', type: 'text' }])
        }
      }
      // Hidden: the tables with read and insert both owner (whatever update and delete say, a visitor
      // that can read no row can change none).
      assert.equal(v.tables.length, combos.filter(c => c.policy.read !== 'owner' || c.policy.insert === 'open').length)
    }
  })

  it('a policy a schema leaves out is owner', () => {
    t.store.apply({ tables: { defaults: { columns: { v: { type: 'text' } } } } })
    assert.deepEqual(t.store.tables().find(x => x.name === 'defaults')?.policy, { read: 'owner', insert: 'owner', update: 'owner', delete: 'owner' })
    refused(() => t.store.execute({ op: 'insert', table: 'defaults', values: { v: 'x' } }, ALICE), 'forbidden')
    refused(() => t.store.execute({ op: 'query', table: 'defaults' }, BOB), 'forbidden')
  })
})
