// The app as it will run: this project folder applied as a template to a real owner peer, and real
// visitor peers connected to it — each a libp2p node and a viewer on 127.0.0.1, in this process, with
// its own folder in the system's temp folder (@goop/core/testing). A visitor uses the app as its
// browser would through goop.js: logic calls (goop.call), data operations (goop.data) and the
// owner's shared topics (goop.events) go from the visitor's peer to the owner's over libp2p, and the
// owner decides by the visitor's peer ID as the connection proved it.
//
// (Started from the file `npm create goop-template` writes; this one can also start more visitors.)
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

/** One visitor: its own peer, connected to the owner's. */
export interface Visitor {
  peer: TestPeer
  id: string
  /** `goop.call(fn, args)` on this visitor's page: an exported function of the logic, run on the owner's peer. */
  call<T = unknown>(fn: string, args?: unknown): Promise<T>
  /** `goop.data` on this visitor's page: one operation on the owner's tables, under their policies. */
  data<R extends DataRequest>(request: R): Promise<DataResult<R['op']>>
  /** `goop.events.on(topic, …)` on this visitor's page: every payload the owner publishes on a shared topic, from now on. */
  follow(topic: string): Promise<{ got: unknown[], stop: () => void }>
}

export interface App {
  owner: TestPeer
  /** The first visitor (`call` and `data` below are its). */
  visitor: TestPeer
  call<T = unknown>(fn: string, args?: unknown): Promise<T>
  data<R extends DataRequest>(request: R): Promise<DataResult<R['op']>>
  /** The same operation as the owner (who may do everything), e.g. to set up what a visitor then sees. */
  asOwner<R extends DataRequest>(request: R): Promise<DataResult<R['op']>>
  /** `goop.call` on the owner's own site: the logic sees the owner as the caller. */
  ownerCall<T = unknown>(fn: string, args?: unknown): Promise<T>
  /** The first visitor, and one more (a peer of its own) each time this is called. */
  first: Visitor
  newVisitor(): Promise<Visitor>
  stop(): Promise<void>
}

/** The error code of a refusal (`forbidden`, `logic_error`, …), for assert.rejects. */
export const code = (expected: string) => (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === expected

/** A refusal by the logic (code `logic_error`) whose message matches. */
export const refused = (message: RegExp) => (err: unknown): boolean =>
  code('logic_error')(err) && message.test(String((err as Error).message))

async function startVisitor (owner: TestPeer, peers: TestPeer[]): Promise<Visitor> {
  const side = probe('test-visitor', { requires: ['templates', 'data'] })
  const peer = await startTestPeer({ plugins: [side.plugin] })
  peers.push(peer)
  await connect(peer, owner)
  const calls = side.ctx().use('templates') as Calls
  const data = side.ctx().use('data') as Data
  return {
    peer,
    id: peer.id,
    call: async <T>(fn: string, args?: unknown) => await calls.call(owner.id, fn, args ?? null) as T,
    data: async (request) => await data.remote(owner.id, request),
    follow: async (topic) => {
      const got: unknown[] = []
      const stop = await side.mq().subscribeRemote(owner.id, topic, (payload) => { got.push(payload) })
      return { got, stop }
    }
  }
}

/** Start the owner's peer and one visitor's, connect them and apply this folder on the owner's (as `goop template apply .` would). */
export async function startApp (): Promise<App> {
  const ownerSide = probe('test-owner', { requires: ['templates', 'data'] })
  const owner = await startTestPeer({ plugins: [ownerSide.plugin] })
  const visitors: TestPeer[] = []
  const stop = async (): Promise<void> => { await Promise.all([...visitors.map(async v => { await v.cleanup() }), owner.cleanup()]) }
  let first: Visitor
  try {
    first = await startVisitor(owner, visitors)
    const res = await owner.api('POST', '/api/x/templates/apply', { path: PROJECT })
    if (!res.ok) throw new Error(`${PROJECT} did not apply: ${await res.text()}`)
  } catch (err) {
    await stop()
    throw err
  }
  const ownerCalls = ownerSide.ctx().use('templates') as Calls
  const ownerData = ownerSide.ctx().use('data') as Data
  return {
    owner,
    visitor: first.peer,
    call: first.call,
    data: first.data,
    asOwner: async (request) => await ownerData.run(request),
    ownerCall: async <T>(fn: string, args?: unknown) => await ownerCalls.call(owner.id, fn, args ?? null) as T,
    first,
    newVisitor: async () => await startVisitor(owner, visitors),
    stop
  }
}
