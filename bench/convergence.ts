// Convergence through one rendezvous: 20 peers on loopback, mDNS off, each with presence.rendezvous
// set to one `goop rendezvous` process. The time from starting them (their joins) until every peer
// lists all 19 others online, beside the presence heartbeat interval. See bench/README.md.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { TestPeer } from '@goop/core/testing'
import { arg, fmtMs, procStats, sleep, startRendezvous, summarize, type BenchContext } from './lib.js'

const HEARTBEAT_MS = 5000

interface Run {
  /** Start of the 20 concurrent startTestPeer calls → every peer lists the 19 others online. */
  totalMs: number
  /** The last startTestPeer resolved (its rendezvous client was started by then). */
  allStartedMs: number
  /** First startTestPeer resolved. */
  firstStartedMs: number
  /** Per peer: when it listed all others online (from the start). */
  perPeerMs: number[]
  /** Rendezvous CPU during the run, ms. */
  serverCpuMs: number
}

export async function benchConvergence (ctx: BenchContext): Promise<void> {
  const peers = Number(arg(ctx.args, 'convergence-peers') ?? 20)
  const repeats = Number(arg(ctx.args, 'convergence-repeats') ?? (ctx.quick ? 1 : 3))
  /** One run first, not counted: the 20 peers share this process, and its first run also pays for the JIT. */
  const warmups = 1
  const timeoutMs = 60_000
  const tmp = await mkdtemp(join(tmpdir(), 'goop-bench-conv-'))
  ctx.tmpDirs.add(tmp)
  const runs: Run[] = []
  let rdv: Awaited<ReturnType<typeof startRendezvous>> | undefined
  try {
    rdv = await startRendezvous(ctx, join(tmp, 'rdv'), { host: '127.0.0.1', relayHost: '127.0.0.1' })
    const { startTestPeer } = await ctx.kit()
    for (let r = 0; r < warmups + repeats; r++) {
      // Every run starts from an empty rendezvous (the previous run's peers said goodbye).
      const empty = Date.now() + 15_000
      while ((await rdv.healthz()).connections > 0 && Date.now() < empty) await sleep(50)
      const started: Array<TestPeer | undefined> = Array.from({ length: peers })
      const startedAt: number[] = []
      const doneAt: Array<number | undefined> = Array.from({ length: peers })
      const cpu0 = procStats(rdv.pid)?.cpuMs ?? NaN
      const t0 = performance.now()
      const starting = Array.from({ length: peers }, async (_, i) => {
        const peer = await startTestPeer({
          viewer: false,
          config: { name: `conv-${r}-${i}`, presence: { rendezvous: [rdv!.url], heartbeatMs: HEARTBEAT_MS }, network: { mdns: false } }
        })
        started[i] = peer
        startedAt[i] = performance.now() - t0
        return peer
      })
      let failure: unknown
      for (const s of starting) s.catch((err: unknown) => { failure ??= err })
      const settled = Promise.allSettled(starting)
      try {
        let converged = false
        while (!converged) {
          if (failure != null) throw failure
          if (performance.now() - t0 > timeoutMs) throw new Error(`${peers} peers did not all list each other within ${timeoutMs / 1000} s`)
          const live = started.filter((p): p is TestPeer => p != null)
          if (live.length === peers) {
            const ids = live.map(p => p.id)
            converged = true
            for (let i = 0; i < peers; i++) {
              if (doneAt[i] != null) continue
              const p = started[i]!
              if (ids.every(id => id === p.id || p.presence.get(id)?.online === true)) doneAt[i] = performance.now() - t0
              else converged = false
            }
          }
          if (!converged) await sleep(5)
        }
        const totalMs = performance.now() - t0
        if (r >= warmups) runs.push({
          totalMs,
          allStartedMs: Math.max(...startedAt),
          firstStartedMs: Math.min(...startedAt),
          perPeerMs: doneAt.map(d => d!),
          serverCpuMs: (procStats(rdv.pid)?.cpuMs ?? NaN) - cpu0
        })
        process.stderr.write('.')
      } finally {
        await settled
        await Promise.all(started.map(async p => { await p?.cleanup().catch(() => {}) }))
      }
    }
    process.stderr.write('\n')
  } finally {
    await rdv?.stop()
    await rm(tmp, { recursive: true, force: true })
    ctx.tmpDirs.delete(tmp)
  }

  const total = summarize(runs.map(r => r.totalMs))
  const afterStart = summarize(runs.map(r => r.totalMs - r.allStartedMs))
  const group = `convergence (${peers} peers, 1 rendezvous)`
  ctx.figure({
    group,
    name: `start ${peers} peers → all list all ${peers - 1} others online (median of ${runs.length})`,
    value: total.p50,
    unit: 'ms',
    better: 'lower',
    baseline: { name: 'presence heartbeat interval (heartbeatMs)', value: HEARTBEAT_MS, unit: 'ms' },
    goal: '< 1 heartbeat',
    goalMet: total.p50 < HEARTBEAT_MS,
    detail: { peers, repeats: runs.length, warmups, heartbeatMs: HEARTBEAT_MS, total, afterAllStarted: afterStart, runs }
  })
  ctx.figure({
    group,
    name: 'last peer started → all list all others (median)',
    value: afterStart.p50,
    unit: 'ms',
    better: 'lower',
    baseline: { name: 'presence heartbeat interval (heartbeatMs)', value: HEARTBEAT_MS, unit: 'ms' }
  })
  ctx.note(`convergence: ${peers} in-process test peers (compiled kernel, tcp on 127.0.0.1, mDNS off, viewer off, heartbeat ${HEARTBEAT_MS} ms) + one \`goop rendezvous\` process (relay on); all peers started at once with startTestPeer; ${runs.length} runs after ${warmups} warm-up run`)
  for (const [i, r] of runs.entries()) {
    const pp = summarize(r.perPeerMs)
    ctx.note(`convergence: run ${i + 1}: all converged at ${fmtMs(r.totalMs)}; peers started ${fmtMs(r.firstStartedMs)} – ${fmtMs(r.allStartedMs)}; each peer saw all others at ${fmtMs(pp.min)} – ${fmtMs(pp.max)} (median ${fmtMs(pp.p50)}); rendezvous CPU ${fmtMs(r.serverCpuMs)}`)
  }
}
