import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { multiaddr } from '@multiformats/multiaddr'
import type { DataService } from '@goop/plugin-data'
import { probe, startTestPeer, type TestPeer } from '@goop/core/testing'
import type { Row } from '@goop/sdk'
import { goop } from './helpers/cli.js'
import { initPeerDir, PeerProcess, sleep } from './helpers/processes.js'

/**
 * Durability of acknowledged writes: a real `goop start` process takes a storm of inserts from a
 * visitor peer (64 in flight over /goop/data/1.0.0) and is SIGKILLed in the middle of it. After a
 * restart the database opens cleanly and holds every insert the visitor got an acknowledgement for,
 * by `_id` and by content. (WAL with synchronous=NORMAL, the default: a commit is in the WAL before
 * it is acknowledged, and a killed process loses nothing the OS already has.)
 */

const WORKERS = 64
/** Acknowledged inserts before the kill (the storm goes on while the signal is on its way). */
const KILL_AFTER = 1500

interface Sent { worker: number, seq: number, body: string }

describe('data durability', () => {
  let root: string | undefined
  let owner: PeerProcess | undefined
  let visitor: TestPeer | undefined

  after(async () => {
    owner?.proc.kill()
    await visitor?.cleanup()
    if (root != null) await rm(root, { recursive: true, force: true })
  })

  it('every insert acknowledged before a SIGKILL is in the database after a restart', async (t) => {
    root = await mkdtemp(join(tmpdir(), 'goop-data-durability-'))
    const dir = join(root, 'owner')
    // The visitor's own rate must not be what slows the storm.
    await initPeerDir(dir, 'owner', root, { plugins: { data: { config: { rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } } } } })
    const schemaFile = join(root, 'storm.json')
    await writeFile(schemaFile, JSON.stringify({
      tables: {
        storm: {
          columns: { worker: { type: 'integer', required: true }, seq: { type: 'integer', required: true }, body: { type: 'text' } },
          policy: { read: 'open', insert: 'open' }
        }
      }
    }))
    const applied = await goop(['data', 'apply', schemaFile, '--peer', dir], root)
    assert.equal(applied.code, 0, applied.stderr)

    owner = await PeerProcess.start(dir, root)
    const self = await owner.api<{ addrs: string[] }>('/self')
    const addr = self.addrs.find(a => a.includes('/127.0.0.1/tcp/'))
    assert.ok(addr != null, `the owner listens on loopback: ${self.addrs.join(' ')}`)
    const visitorProbe = probe('probe', { requires: ['data'] })
    visitor = await startTestPeer({ plugins: [visitorProbe.plugin] })
    await visitor.node.dial(multiaddr(addr.includes('/p2p/') ? addr : `${addr}/p2p/${owner.peerId}`))
    const data: DataService = visitorProbe.ctx().use('data')

    const acked = new Map<number, Sent>()
    let failures = 0
    let killedAt = -1
    const ownerId = owner.peerId
    const first = owner
    const storm = Array.from({ length: WORKERS }, async (_, worker) => {
      for (let seq = 0; ; seq++) {
        const sent: Sent = { worker, seq, body: `w${worker}-s${seq}-${'x'.repeat(seq % 50)}` }
        try {
          const { row } = await data.remote(ownerId, { op: 'insert', table: 'storm', values: { ...sent } }, { timeoutMs: 5000 })
          acked.set(row._id, sent)
          if (acked.size >= KILL_AFTER && killedAt < 0) {
            killedAt = acked.size
            first.proc.kill() // SIGKILL: no clean stop, no checkpoint
          }
        } catch {
          failures++
          return // the owner is gone: this worker's storm is over
        }
      }
    })
    await Promise.all(storm)
    const exit = await first.proc.exited
    assert.equal(exit.signal, 'SIGKILL')
    assert.ok(killedAt >= KILL_AFTER)
    assert.ok(failures > 0, 'requests were in flight when the owner died')

    // Restart: the database opens (the data plugin runs) and holds every acknowledged insert.
    owner = await PeerProcess.start(dir, root)
    const plugins = await owner.api<Array<{ name: string, state: string }>>('/plugins')
    assert.equal(plugins.find(p => p.name === 'data')?.state, 'running')
    const found = new Map<number, Row>()
    let cursor: string | undefined
    for (;;) {
      const res: Response = await fetch(`http://127.0.0.1:${owner.port}/api/x/data/op`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ op: 'query', table: 'storm', limit: 1000, ...(cursor != null ? { cursor } : {}) })
      })
      assert.equal(res.status, 200, await res.clone().text())
      const page = await res.json() as { rows: Row[], cursor?: string }
      for (const row of page.rows) found.set(row._id, row)
      if (page.cursor == null || page.rows.length === 0) break
      cursor = page.cursor
    }
    const missing: number[] = []
    for (const [id, sent] of acked) {
      const row = found.get(id)
      if (row == null) { missing.push(id); continue }
      assert.deepEqual({ worker: row.worker, seq: row.seq, body: row.body }, sent, `row ${id} holds what was acknowledged`)
      assert.equal(row._author, visitor.id)
    }
    assert.deepEqual(missing, [], `${missing.length} of ${acked.size} acknowledged inserts are missing`)
    // Nothing was written twice, and nothing appeared that nobody sent.
    const keys = new Set([...found.values()].map(r => `${String(r.worker)}/${String(r.seq)}`))
    assert.equal(keys.size, found.size)
    assert.ok(found.size >= acked.size && found.size <= acked.size + WORKERS, `${found.size} rows for ${acked.size} acknowledged and at most ${WORKERS} unacknowledged`)

    t.diagnostic(`${acked.size} inserts acknowledged (kill sent after ${killedAt}), ${failures} in flight failed, ${found.size} rows after the restart`)
    await owner.proc.stop()
    await sleep(50)
    const db = new Database(join(dir, 'data.db'), { readonly: true })
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok')
    } finally { db.close() }
  })
})
