// Data operations from a visitor peer over /goop/data/1.0.0, beside the same work done in-process on
// better-sqlite3 in the same run: a 20-row query by an indexed column, and single-row inserts.
// See bench/README.md, section 6.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import Database from 'better-sqlite3'
import { multiaddr } from '@multiformats/multiaddr'
import type { DataRequest, DataSchemaInput } from '@goop/sdk'
import type { DataService } from '@goop/plugin-data'
import type { TestPeer } from '@goop/core/testing'
import { announcePeer, fmtMs, startPeerProcess, summarize, type BenchContext, type PeerProcess, type PeerProcessInfo } from './lib.js'

/** Rows per group: the query returns this many. */
const GROUP_ROWS = 20
const CONCURRENCY = 32
const PAYLOAD = 'p'.repeat(100)

const SCHEMA: DataSchemaInput = {
  tables: {
    items: {
      columns: {
        grp: { type: 'integer', required: true, index: true },
        name: { type: 'text', required: true, maxLength: 100 },
        created: { type: 'datetime' },
        payload: { type: 'text' }
      },
      policy: { read: 'open', insert: 'open' }
    },
    inbox: {
      columns: { grp: { type: 'integer' }, name: { type: 'text' }, created: { type: 'datetime' }, payload: { type: 'text' } },
      policy: { insert: 'open' }
    }
  }
}

const row = (i: number): { grp: number, name: string, created: string, payload: string } =>
  ({ grp: Math.floor(i / GROUP_ROWS), name: `item ${i}`, created: new Date(1_700_000_000_000 + i * 1000).toISOString(), payload: PAYLOAD })

/** A peer ID's length, for the plain table's `_author` column. */
const AUTHOR = '12D3KooW' + 'x'.repeat(44)

/**
 * The same table in a plain better-sqlite3 database: WAL, NORMAL, index on grp, and the same columns
 * with values of the same size (the data plugin's rows carry `_id`, `_author`, `_created`, `_updated`),
 * so both sides read the same bytes.
 */
function plainDb (file: string, rows: number): Database.Database {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  const columns = '_id INTEGER PRIMARY KEY AUTOINCREMENT, _author TEXT NOT NULL, _created TEXT NOT NULL, _updated TEXT NOT NULL, grp INTEGER, name TEXT, created TEXT, payload TEXT'
  db.exec(`CREATE TABLE items (${columns})`)
  db.exec('CREATE INDEX items_grp ON items (grp)')
  db.exec(`CREATE TABLE inbox (${columns})`)
  const insert = db.prepare('INSERT INTO items (_author, _created, _updated, grp, name, created, payload) VALUES (@author, @now, @now, @grp, @name, @created, @payload)')
  db.transaction(() => { for (let i = 0; i < rows; i++) insert.run({ ...row(i), author: AUTHOR, now: new Date().toISOString() }) })()
  return db
}

/** Calls `op` in a loop for `ms`: ops/s and the latency of each. */
function inProcess (ms: number, op: () => void): { rate: number, latUs: number[] } {
  const latUs: number[] = []
  const t0 = performance.now()
  const end = t0 + ms
  let now = t0
  while (now < end) {
    op()
    const t = performance.now()
    latUs.push((t - now) * 1000)
    now = t
  }
  return { rate: latUs.length / ((now - t0) / 1000), latUs }
}

/** `CONCURRENCY` loops of `op` for `ms`: ops/s and latencies (µs). */
async function remote (ms: number, op: () => Promise<unknown>): Promise<{ rate: number, latUs: number[], errors: number, firstError?: string }> {
  const latUs: number[] = []
  let errors = 0
  let firstError: string | undefined
  const t0 = performance.now()
  const end = t0 + ms
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const s = performance.now()
      try {
        await op()
        latUs.push((performance.now() - s) * 1000)
      } catch (err) {
        errors++
        firstError ??= (err as Error)?.message
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  return { rate: latUs.length / ((performance.now() - t0) / 1000), latUs, errors, firstError }
}

/**
 * Run as a child process (`bench/run.ts --data-peer ROWS`): the owner, its `items` table seeded with
 * ROWS rows (20 per `grp`), no rate limit to speak of. Prints its id and address; stops when stdin ends
 * (`announcePeer`).
 */
export async function dataPeerMain (rows: number): Promise<void> {
  const testing = await import(pathToFileURL(join(process.cwd(), 'core', 'dist', 'testing', 'index.js')).href) as typeof import('@goop/core/testing')
  const owner = testing.probe('bench', { requires: ['data'] })
  const peer = await testing.startTestPeer({
    viewer: false,
    plugins: [owner.plugin],
    config: { plugins: { data: { config: { rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } } } } }
  })
  const data = owner.ctx().use('data')
  await data.apply(SCHEMA)
  for (let i = 0; i < rows; i++) await data.run({ op: 'insert', table: 'items', values: row(i) })
  await announcePeer(peer)
}

export async function benchData (ctx: BenchContext): Promise<void> {
  const rows = ctx.quick ? 20_000 : 100_000
  const runMs = ctx.quick ? 2000 : 4000
  const warmMs = ctx.quick ? 500 : 1000
  const groups = rows / GROUP_ROWS
  const tmp = await mkdtemp(join(tmpdir(), 'goop-bench-data-'))
  ctx.tmpDirs.add(tmp)
  let visitor: TestPeer | undefined
  let ownerProcess: PeerProcess<PeerProcessInfo> | undefined
  let db: Database.Database | undefined
  try {
    const t0 = performance.now()
    ownerProcess = await startPeerProcess(ctx, '--data-peer', [String(rows)], 180_000)
    const owner = ownerProcess.info
    const seedMs = performance.now() - t0

    const { startTestPeer, probe } = await ctx.kit()
    const p = probe('bench', { requires: ['data'] })
    visitor = await startTestPeer({ viewer: false, plugins: [p.plugin] })
    ctx.tmpDirs.add(visitor.dir)
    await visitor.node.dial(multiaddr(owner.addr))
    const data: DataService = p.ctx().use('data')

    db = plainDb(join(tmp, 'plain.db'), rows)
    const select = db.prepare('SELECT * FROM items WHERE grp = ?')
    const plainInsert = db.prepare('INSERT INTO inbox (_author, _created, _updated, grp, name, created, payload) VALUES (@author, @now, @now, @grp, @name, @created, @payload)')
    const plainRow = (i: number): Record<string, unknown> => ({ ...row(i), author: AUTHOR, now: new Date().toISOString() })

    const randomGroup = (): number => Math.floor(Math.random() * groups)
    const query = (): DataRequest => ({ op: 'query', table: 'items', where: { column: 'grp', op: 'eq', value: randomGroup() }, limit: GROUP_ROWS })
    const check = await data.remote(owner.id, query()) as { rows: unknown[] }
    if (check.rows.length !== GROUP_ROWS) throw new Error(`the remote query returned ${check.rows.length} rows, not ${GROUP_ROWS}`)
    if ((select.all(randomGroup())).length !== GROUP_ROWS) throw new Error('the plain query did not return 20 rows')

    // ---- queries: in-process baseline, then remote (warm-ups first) ----
    inProcess(warmMs, () => select.all(randomGroup()))
    const pq = inProcess(runMs, () => select.all(randomGroup()))
    process.stderr.write('.')
    await remote(warmMs, async () => await data.remote(owner.id, query()))
    const rq = await remote(runMs, async () => await data.remote(owner.id, query()))
    process.stderr.write('.')

    // ---- inserts ----
    let n = 0
    inProcess(warmMs, () => plainInsert.run(plainRow(n++)))
    const pi = inProcess(runMs, () => plainInsert.run(plainRow(n++)))
    process.stderr.write('.')
    const insert = (): DataRequest => ({ op: 'insert', table: 'inbox', values: row(n++) })
    await remote(warmMs, async () => await data.remote(owner.id, insert()))
    const ri = await remote(runMs, async () => await data.remote(owner.id, insert()))
    process.stderr.write('\n')

    const group = 'data (2 processes)'
    const pqs = summarize(pq.latUs)
    const rqs = summarize(rq.latUs)
    const pis = summarize(pi.latUs)
    const ris = summarize(ri.latUs)
    ctx.figure({
      group, name: `remote query, 20 rows by an indexed column, ${CONCURRENCY} in flight`, value: rq.rate, unit: 'ops/s', better: 'higher',
      baseline: { name: 'the same query in-process on better-sqlite3', value: pq.rate, unit: 'ops/s' },
      goal: '≥ 0.15× in-process', goalMet: rq.rate / pq.rate >= 0.15,
      detail: { remote: { ...rqs, errors: rq.errors, firstError: rq.firstError }, inProcess: pqs, rows, runMs, warmMs, concurrency: CONCURRENCY }
    })
    ctx.figure({ group, name: 'remote query p50', value: rqs.p50, unit: 'µs', better: 'lower', baseline: { name: 'in-process p50', value: pqs.p50, unit: 'µs' } })
    ctx.figure({ group, name: 'remote query p99', value: rqs.p99, unit: 'µs', better: 'lower', baseline: { name: 'in-process p99', value: pqs.p99, unit: 'µs' } })
    ctx.figure({
      group, name: `remote single-row inserts, ${CONCURRENCY} in flight`, value: ri.rate, unit: 'ops/s', better: 'higher',
      baseline: { name: 'in-process single-row INSERT (own transaction, NORMAL)', value: pi.rate, unit: 'ops/s' },
      detail: { remote: { ...ris, errors: ri.errors, firstError: ri.firstError }, inProcess: pis }
    })
    if (rq.errors + ri.errors > 0) ctx.note(`data: WARNING failed operations: query ${rq.errors}, insert ${ri.errors} (first: ${rq.firstError ?? ri.firstError})`)
    ctx.note(`data: owner in a child process (\`bench/run.ts --data-peer\`, its ${rows} rows seeded through the data service in ${fmtMs(seedMs)} with start-up); the visitor and the plain better-sqlite3 database (the same columns with values of the same size, system columns included; WAL, NORMAL, index on grp) in the bench process; ${fmtMs(warmMs)} warm-up, then ${fmtMs(runMs)} each`)
    ctx.note(`data: query p50/p99 remote ${rqs.p50.toFixed(0)}/${rqs.p99.toFixed(0)} µs, in-process ${pqs.p50.toFixed(0)}/${pqs.p99.toFixed(0)} µs; insert p50/p99 remote ${ris.p50.toFixed(0)}/${ris.p99.toFixed(0)} µs, in-process ${pis.p50.toFixed(0)}/${pis.p99.toFixed(0)} µs`)
  } finally {
    db?.close()
    await visitor?.cleanup().catch((err: unknown) => { process.stderr.write(`stopping the visitor: ${String(err)}\n`) })
    if (visitor != null) ctx.tmpDirs.delete(visitor.dir)
    await ownerProcess?.stop()
    await rm(tmp, { recursive: true, force: true })
    ctx.tmpDirs.delete(tmp)
  }
}
