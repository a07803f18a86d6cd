// The app as it will run: this project folder applied as a template to a real owner peer, and a real
// visitor peer connected to it — each a libp2p node and a viewer on 127.0.0.1, in this process, with
// its own folder in the system's temp folder (@goop/core/testing). The visitor uses the app as its
// browser would through goop.js: logic calls (goop.call) and data operations (goop.data) go from the
// visitor's peer to the owner's over libp2p, and the owner decides by the visitor's peer ID as the
// connection proved it.
import { fileURLToPath } from 'node:url'
import { connect, probe, startTestPeer, type TestPeer } from '@goop/core/testing'
import type { DataRequest, DataResult } from '@goop/sdk'

/** This project's folder: the template the owner applies. */
export const PROJECT = fileURLToPath(new URL('..', import.meta.url))

/** The two services the test uses, as far as it uses them. */
interface Calls { call(peer: string, fn: string, args?: unknown): Promise<unknown> }
interface Data {
  run<R extends DataRequest>(request: R): Promise<DataResult<R['op']>>
  remote<R extends DataRequest>(peer: string, request: R): Promise<DataResult<R['op']>>
}

export interface App {
  owner: TestPeer
  visitor: TestPeer
  /** `goop.call(fn, args)` on the visitor's page: an exported function of the logic, run on the owner's peer. */
  call<T = unknown>(fn: string, args?: unknown): Promise<T>
  /** `goop.data` on the visitor's page: one operation on the owner's tables, under their policies. */
  data<R extends DataRequest>(request: R): Promise<DataResult<R['op']>>
  /** The same operation as the owner (who may do everything), e.g. to set up what a visitor then sees. */
  asOwner<R extends DataRequest>(request: R): Promise<DataResult<R['op']>>
  /** `goop.call` on the owner's own site: the logic sees the owner as the caller. */
  ownerCall<T = unknown>(fn: string, args?: unknown): Promise<T>
  stop(): Promise<void>
}

/** The error code of a refusal (`forbidden`, `logic_error`, …), for assert.rejects. */
export const code = (expected: string) => (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === expected

/** Start both peers, connect them and apply this folder on the owner's (as `goop template apply .` would). */
export async function startApp (): Promise<App> {
  const ownerSide = probe('test-owner', { requires: ['templates', 'data'] })
  const visitorSide = probe('test-visitor', { requires: ['templates', 'data'] })
  const owner = await startTestPeer({ plugins: [ownerSide.plugin] })
  let visitor: TestPeer | undefined
  try {
    visitor = await startTestPeer({ plugins: [visitorSide.plugin] })
    await connect(visitor, owner)
    const res = await owner.api('POST', '/api/x/templates/apply', { path: PROJECT })
    if (!res.ok) throw new Error(`${PROJECT} did not apply: ${await res.text()}`)
  } catch (err) {
    await Promise.all([owner.cleanup(), visitor?.cleanup()])
    throw err
  }
  const v = visitor
  const visitorCalls = visitorSide.ctx().use('templates') as Calls
  const ownerCalls = ownerSide.ctx().use('templates') as Calls
  const visitorData = visitorSide.ctx().use('data') as Data
  const ownerData = ownerSide.ctx().use('data') as Data
  return {
    owner,
    visitor: v,
    call: async <T>(fn: string, args?: unknown) => await visitorCalls.call(owner.id, fn, args ?? null) as T,
    data: async (request) => await visitorData.remote(owner.id, request),
    asOwner: async (request) => await ownerData.run(request),
    ownerCall: async <T>(fn: string, args?: unknown) => await ownerCalls.call(owner.id, fn, args ?? null) as T,
    stop: async () => { await Promise.all([v.cleanup(), owner.cleanup()]) }
  }
}
