// The guestbook's tests: a real owner peer with this template applied, and real visitor peers using
// it as their pages would (test/peers.ts). Run them with `npm test`.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { waitFor } from '@goop/core/testing'
import { code, PROJECT, refused, startApp, type App, type Visitor } from './peers.js'

interface Entry { id: number, name: string, message: string, by: string, at: string, hidden: boolean }
interface Page { entries: Entry[], cursor: string | null }
interface Status { owner: boolean, nextSignAt: number | null }

const HOUR = 60 * 60 * 1000

describe('guestbook, used by an owner and its visitors', () => {
  let app: App
  let bob: Visitor
  let cara: Visitor
  before(async () => {
    app = await startApp()
    ;[bob, cara] = await Promise.all([app.newVisitor(), app.newVisitor()])
  })
  after(async () => { await app?.stop() })

  const listOf = async (who: Pick<Visitor, 'call'>, args?: unknown): Promise<Entry[]> => (await who.call<Page>('list', args)).entries
  const owner = (): Pick<Visitor, 'call'> => ({ call: app.ownerCall })

  /** Put the visitor's latest signing an hour back, as if it had signed an hour ago. */
  async function anHourLater (visitor: Visitor): Promise<void> {
    const { rows } = await app.asOwner({ op: 'query', table: 'signings', where: { column: 'by', op: 'eq', value: visitor.id }, order: [{ column: 'seq', dir: 'desc' }], limit: 1 })
    assert.equal(rows.length, 1, 'the visitor has signed')
    await app.asOwner({ op: 'update', table: 'signings', id: rows[0]._id, values: { at: Number(rows[0].at) - HOUR } })
  }

  it('a visitor signs: the entry is stored with its peer ID as the signer, everyone reads it, and it is announced live', async () => {
    const live = await bob.follow('app.guestbook')
    try {
      const entry = await app.call<Entry>('sign', { name: '  Ana   Lima ', message: '  Lovely site!\r\nSee you soon.  ' })
      assert.equal(entry.name, 'Ana Lima')
      assert.equal(entry.message, 'Lovely site!\nSee you soon.')
      assert.equal(entry.by, app.first.id)
      assert.equal(entry.hidden, false)
      // Another visitor, and the owner, see it first (newest first), above the welcome entry.
      const seen = await listOf(bob)
      assert.deepEqual(seen.map(e => e.name), ['Ana Lima', 'The owner'])
      assert.equal(seen[1].by, app.owner.id, 'the seeded welcome entry is the owner\'s')
      assert.deepEqual((await listOf(owner()))[0], entry)
      // Bob's page hears of it at once, without asking.
      await waitFor(() => live.got.length > 0, 5000, 'the announcement')
      assert.deepEqual(live.got, [{ op: 'signed', id: entry.id }])
    } finally { live.stop() }
  })

  it('checks the name and the message in the logic (1–80 and 1–1,000 characters, one line for a name), and the schema holds the same limits', async () => {
    await assert.rejects(app.call('sign', { name: '   ', message: 'hi' }), refused(/please give a name/))
    await assert.rejects(app.call('sign', { name: 'x'.repeat(81), message: 'hi' }), refused(/a name is at most 80 characters \(this one has 81\)/))
    await assert.rejects(app.call('sign', { name: 'Ana\u202Eevil', message: 'hi' }), refused(/a name cannot hold control characters/))
    await assert.rejects(app.call('sign', { name: 'Ana', message: ' \n ' }), refused(/please write a message/))
    await assert.rejects(app.call('sign', { name: 'Ana', message: 'bell\u0007' }), refused(/a message cannot hold control characters/))
    await assert.rejects(app.call('sign', { name: 'Ana', message: 'y'.repeat(1001) }), refused(/a message is at most 1000 characters \(this one has 1001\)/))
    await assert.rejects(app.call('sign', { name: 42, message: 'hi' }), refused(/name must be text/))
    await assert.rejects(app.call('sign', 'hello'), refused(/sign takes an object/))
    // The limits count characters, not UTF-16 units: 80 emoji are a name of 80.
    const longest = await cara.call<Entry>('sign', { name: '🙂'.repeat(80), message: 'é'.repeat(1000) })
    assert.equal([...longest.name].length, 80)
    assert.equal(longest.message.length, 1000)
    // The table refuses longer values too, even from the owner (who may do everything else).
    await assert.rejects(app.asOwner({ op: 'insert', table: 'entries', values: { name: 'x'.repeat(81), message: 'hi' } }), code('bad_value'))
    await assert.rejects(app.asOwner({ op: 'insert', table: 'entries', values: { name: 'Ana', message: 'y'.repeat(1001) } }), code('bad_value'))
  })

  it('one entry an hour per visitor, enforced on the owner\'s peer; other visitors and the owner are not held back', async () => {
    await assert.rejects(app.call('sign', { name: 'Ana', message: 'me again' }), refused(/one entry an hour, so you can sign again in (60|59) minutes/))
    const ana = await app.call<Status>('status')
    assert.equal(ana.owner, false)
    assert.ok(ana.nextSignAt != null && ana.nextSignAt > Date.now() + HOUR - 60_000 && ana.nextSignAt <= Date.now() + HOUR, `next sign in about an hour: ${ana.nextSignAt}`)
    assert.deepEqual(await bob.call<Status>('status'), { owner: false, nextSignAt: null })
    await bob.call('sign', { name: 'Bob', message: 'Hello from Bob' })
    await app.ownerCall('sign', { name: 'The owner', message: 'Thanks, both of you!' })
    await app.ownerCall('sign', { name: 'The owner', message: 'And a second note.' })
    assert.deepEqual(await app.ownerCall<Status>('status'), { owner: true, nextSignAt: null })
    // An hour later, Ana may sign again.
    await anHourLater(app.first)
    const again = await app.call<Entry>('sign', { name: 'Ana', message: 'Back again' })
    assert.equal(again.by, app.first.id)
    await assert.rejects(app.call('sign', { name: 'Ana', message: 'and again' }), refused(/one entry an hour/))
  })

  it('two entries sent at once by one visitor: exactly one is stored', async () => {
    await anHourLater(bob)
    const earlier = (await listOf(owner(), { limit: 100 })).filter(e => e.by === bob.id).length
    const results = await Promise.allSettled([1, 2, 3].map(async n => await bob.call<Entry>('sign', { name: 'Bob', message: `burst ${n}` })))
    assert.equal(results.filter(r => r.status === 'fulfilled').length, 1, JSON.stringify(results.map(r => r.status === 'rejected' ? String(r.reason) : 'ok')))
    for (const r of results) if (r.status === 'rejected') assert.ok(refused(/one entry an hour/)(r.reason), String(r.reason))
    const afterwards = (await listOf(owner(), { limit: 100 })).filter(e => e.by === bob.id).length
    assert.equal(afterwards, earlier + 1)
  })

  it('the owner hides an entry: gone for visitors, kept (and marked) for the owner, back when shown again; every change is announced', async () => {
    const live = await cara.follow('app.guestbook')
    try {
      const target = (await listOf(cara)).find(e => e.name === 'Bob' && e.message === 'Hello from Bob')
      assert.ok(target != null)
      const hidden = await app.ownerCall<Entry>('hide', { id: target.id })
      assert.equal(hidden.hidden, true)
      assert.equal((await listOf(cara, { limit: 100 })).some(e => e.id === target.id), false, 'visitors no longer get it')
      assert.equal((await listOf(bob, { limit: 100 })).some(e => e.id === target.id), false, 'not even its signer')
      assert.equal((await listOf(owner(), { limit: 100 })).find(e => e.id === target.id)?.hidden, true, 'the owner still sees it, marked hidden')
      // Nor can a visitor read it past the logic: the table is the owner's to read.
      await assert.rejects(cara.data({ op: 'get', table: 'entries', id: target.id }), code('forbidden'))
      await assert.rejects(cara.data({ op: 'query', table: 'entries' }), code('forbidden'))

      await app.ownerCall('unhide', { id: target.id })
      assert.equal((await listOf(cara, { limit: 100 })).find(e => e.id === target.id)?.hidden, false)

      const doomed = await app.ownerCall<Entry>('sign', { name: 'The owner', message: 'to be deleted' })
      assert.deepEqual(await app.ownerCall('remove', { id: doomed.id }), { removed: doomed.id })
      assert.equal((await listOf(owner(), { limit: 100 })).some(e => e.id === doomed.id), false)
      await assert.rejects(app.ownerCall('remove', { id: doomed.id }), refused(/there is no entry/))

      await waitFor(() => live.got.length >= 4, 5000, 'four announcements')
      assert.deepEqual(live.got, [
        { op: 'hidden', id: target.id }, { op: 'shown', id: target.id }, { op: 'signed', id: doomed.id }, { op: 'removed', id: doomed.id }
      ])
    } finally { live.stop() }
  })

  it('a visitor can neither moderate nor forge: not through the logic, not through the tables', async () => {
    const [ana] = (await listOf(bob)).filter(e => e.by === app.first.id)
    assert.ok(ana != null)
    for (const fn of ['hide', 'unhide', 'remove']) {
      await assert.rejects(bob.call(fn, { id: ana.id }), refused(/only the owner of this guestbook can/), fn)
    }
    // The signer is always the caller: an argument naming someone else is refused, not used.
    await assert.rejects(bob.call('sign', { name: 'Ana', message: 'signed as Ana', by: app.first.id }), refused(/sign does not take "by"/))
    // Straight to the tables, as a script on the page could: the policies refuse every write, and the
    // signings record is not the visitor's to reset.
    await assert.rejects(bob.data({ op: 'insert', table: 'entries', values: { name: 'Ana', message: 'forged', by: app.first.id } }), code('forbidden'))
    await assert.rejects(bob.data({ op: 'update', table: 'entries', id: ana.id, values: { message: 'changed by Bob' } }), code('forbidden'))
    await assert.rejects(bob.data({ op: 'update', table: 'entries', id: ana.id, values: { hidden: true } }), code('forbidden'))
    await assert.rejects(bob.data({ op: 'delete', table: 'entries', id: ana.id }), code('forbidden'))
    await assert.rejects(bob.data({ op: 'query', table: 'signings' }), code('forbidden'))
    await assert.rejects(bob.data({ op: 'insert', table: 'signings', values: { key: `${bob.id}:99`, by: bob.id, seq: 99, at: 0 } }), code('forbidden'))
    // Ana's entry is as she wrote it.
    const now = (await listOf(app.first, { limit: 100 })).find(e => e.id === ana.id)
    assert.deepEqual(now, ana)
    // Only exported functions can be called.
    await assert.rejects(bob.call('claimSigning'), code('not_exported'))
  })

  it('a message full of markup is stored and read back as the very same text: data, never HTML', async () => {
    await anHourLater(bob)
    const nasty = '<script>alert(1)</script><img src=x onerror="alert(2)"> & <b>bold</b> "quotes" \'too\''
    const name = '<svg onload=alert(3)>'
    const signed = await bob.call<Entry>('sign', { name, message: nasty })
    const read = (await listOf(cara)).find(e => e.id === signed.id)
    assert.ok(read != null)
    assert.equal(read.message, nasty, 'not escaped, not stripped: the page decides how to show text')
    assert.equal(read.name, name)
  })

  it('the page puts visitors\' text on the page as text only (no innerHTML or friends anywhere in site/)', () => {
    const site = join(PROJECT, 'site')
    const scripts = readdirSync(site).filter(f => f.endsWith('.js'))
    assert.ok(scripts.includes('app.js'))
    for (const f of scripts) {
      // The code, without its comments (which may well name what the code avoids).
      const src = readFileSync(join(site, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
      for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'DOMParser', 'createContextualFragment', 'eval(', 'new Function']) {
        assert.equal(src.includes(sink), false, `${f} uses ${sink}`)
      }
      assert.match(src, /textContent/)
    }
  })

  it('lists page by page, newest first, with a cursor', async () => {
    const all = await listOf(owner(), { limit: 100 })
    const first = await app.ownerCall<Page>('list', { limit: 2 })
    assert.deepEqual(first.entries.map(e => e.id), all.slice(0, 2).map(e => e.id))
    assert.ok(first.cursor != null)
    const second = await app.ownerCall<Page>('list', { limit: 2, cursor: first.cursor })
    assert.deepEqual(second.entries.map(e => e.id), all.slice(2, 4).map(e => e.id))
    await assert.rejects(app.call('list', { limit: 101 }), refused(/limit must be a whole number from 1 to 100/))
  })
})
