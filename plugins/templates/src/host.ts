import { randomUUID } from 'node:crypto'
import { GoopError, HOST_METHODS, type DataRequest, type DataResult, type HostMethod, type LogicHost, type Logger, type MqApi, type TemplateManifest } from '@goop/sdk'
import type { DataApi } from './data-api.js'
import { fail, q } from './errors.js'
import type { KvStore } from './kv.js'

/** What one logic call may do through the host, at most (more is an error, or dropped for logs). */
export const HOST_LIMITS = Object.freeze({
  /** Log lines per call (the rest are dropped, with one warning). */
  logLines: 100,
  logChars: 1_000,
  logFieldsBytes: 4 * 1024,
  /** mq.publish + mq.send per call. */
  messages: 100,
  /** An MQ payload, serialised. */
  payloadBytes: 64 * 1024,
  /** mq.send messages still being delivered, for the whole template. */
  sendsInFlight: 256
})

/** A topic the logic may use: `app.` and up to 256 characters in all, none of them space, comma or `*` (what goop.events can follow). */
const APP_TOPIC = /^app\.[^\s,*]{1,252}$/
/** A libp2p peer ID as text (base58btc multihash, or a CIDv1 in base32). */
const PEER_ID = /^(?:[1-9A-HJ-NP-Za-km-z]{32,128}|b[a-z2-7]{32,128})$/

export interface HostDeps {
  manifest: TemplateManifest
  /** This peer: the site owner. */
  owner: string
  data: DataApi
  kv: KvStore
  mq: MqApi
  log: Logger
  /** Is this template still the applied one? A call that outlives a switch may no longer act. */
  live: () => boolean
  /** mq.send deliveries in flight, shared by every call of the template. */
  sends: { inFlight: number }
}

function jsonBytes (value: unknown, what: string, max: number): number {
  let text: string | undefined
  try { text = JSON.stringify(value) } catch { fail('bad_request', `${what} is not JSON`) }
  if (text === undefined) fail('bad_request', `${what} is not JSON`)
  const bytes = Buffer.byteLength(text)
  if (bytes > max) fail('too_large', `${what} is at most ${max} bytes of JSON`)
  return bytes
}

function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function arity (method: string, args: unknown[], min: number, max: number): void {
  if (args.length < min || args.length > max) {
    fail('bad_request', `${method} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, not ${args.length}`)
  }
}

function topicOf (topic: unknown): string {
  if (typeof topic !== 'string' || !APP_TOPIC.test(topic)) {
    fail('bad_request', `a topic of template logic starts with "app." (at most 256 characters; no spaces, commas or *), not ${q(topic)}`)
  }
  return topic
}

/**
 * The host side of the logic API (sdk/src/logic.ts) for one call by `caller`: the security boundary
 * between template code and the peer. Everything that comes in is untrusted and checked here.
 *
 * - `db` runs the request as the caller, under the table policies exactly as if the caller had sent
 *   it over `/goop/data/1.0.0` (the owner calling its own site is the owner); `db.owner` runs it as
 *   the owner, which the logic must ask for by name. Both reach only the tables the template's
 *   manifest declares: never the owner's own tables, nor another template's, whatever they are
 *   named and whoever asks (`describe` lists only the template's tables).
 * - `kv.*` is this template's own state; `mq.*` only `app.*` topics (shared with the site's
 *   followers); `log` goes to the peer's log, tagged with the template, bounded.
 */
export function createHost (deps: HostDeps, caller: string): LogicHost {
  const { manifest, data, kv, mq, log } = deps
  const name = manifest.name
  const own = new Set(Object.keys(manifest.tables))
  let logLines = 0
  let messages = 0

  const db = async (method: string, args: unknown[], as: string | undefined): Promise<unknown> => {
    arity(method, args, 1, 1)
    const request = args[0]
    if (!isRecord(request) || typeof request.op !== 'string') fail('bad_request', `${method} takes a data request such as { op: 'query', table: 'posts' }, not ${q(request)}`)
    if (request.op === 'describe') {
      const result = await data.run(request as DataRequest, { as }) as DataResult<'describe'>
      return { ...result, tables: result.tables.filter(t => own.has(t.name)) }
    }
    if (typeof request.table !== 'string' || !own.has(request.table)) {
      fail('unknown_table', `template ${name} has no table ${q(request.table)}: its logic reaches only the tables its goop-template.json declares${own.size > 0 ? ` (${[...own].join(', ')})` : ''}`)
    }
    // The data plugin validates the rest (strictly: a request cannot carry `as` or a caller).
    return await data.run(request as DataRequest, { as })
  }

  const message = (): void => {
    if (++messages > HOST_LIMITS.messages) fail('rate_limited', `a call may publish or send at most ${HOST_LIMITS.messages} messages`)
  }

  const handlers: Record<HostMethod, (args: unknown[]) => Promise<unknown> | unknown> = {
    db: async args => await db('goop.db', args, caller === deps.owner ? undefined : caller),
    'db.owner': async args => await db('goop.db.owner', args, undefined),
    'kv.get': (args) => { arity('goop.kv.get', args, 1, 1); return kv.get(name, args[0]) },
    'kv.set': (args) => { arity('goop.kv.set', args, 2, 2); kv.set(name, args[0], args[1]); return null },
    'kv.delete': (args) => { arity('goop.kv.delete', args, 1, 1); return kv.delete(name, args[0]) },
    'kv.list': (args) => { arity('goop.kv.list', args, 0, 1); return kv.list(name, args[0] ?? '') },
    'mq.publish': (args) => {
      arity('goop.mq.publish', args, 1, 2)
      const topic = topicOf(args[0])
      const payload = args[1] ?? null
      jsonBytes(payload, 'an MQ payload', HOST_LIMITS.payloadBytes)
      message()
      mq.publish(topic, payload)
      return null
    },
    'mq.send': (args) => {
      arity('goop.mq.send', args, 2, 3)
      const peer = args[0]
      if (typeof peer !== 'string' || !PEER_ID.test(peer)) fail('bad_request', `goop.mq.send needs a peer ID, not ${q(peer)}`)
      const topic = topicOf(args[1])
      const payload = args[2] ?? null
      jsonBytes(payload, 'an MQ payload', HOST_LIMITS.payloadBytes)
      message()
      if (deps.sends.inFlight >= HOST_LIMITS.sendsInFlight) fail('rate_limited', `template ${name} has ${HOST_LIMITS.sendsInFlight} messages still being delivered: retry later`)
      // Delivery is retried by the MQ for up to 30 s, longer than a call may last: the call goes on
      // with the message's ID at once, and a failure to deliver is logged.
      const id = randomUUID()
      deps.sends.inFlight++
      mq.send(peer, topic, payload, { id }).catch((err: unknown) => {
        log.warn('template message not delivered', { template: name, peer, topic, error: (err as Error)?.message })
      }).finally(() => { deps.sends.inFlight-- })
      return { id }
    },
    log: (args) => {
      arity('goop.log', args, 1, 2)
      if (++logLines > HOST_LIMITS.logLines) {
        if (logLines === HOST_LIMITS.logLines + 1) log.warn(`template ${name}: more than ${HOST_LIMITS.logLines} log lines in one call; the rest are dropped`, { template: name, caller })
        return null
      }
      const text = typeof args[0] === 'string' ? args[0] : q(args[0], HOST_LIMITS.logChars)
      const fields = args[1]
      let extra: Record<string, unknown> = {}
      if (fields != null) {
        try {
          if (!isRecord(fields)) fail('bad_request', 'goop.log fields are an object')
          jsonBytes(fields, 'log fields', HOST_LIMITS.logFieldsBytes)
          extra = { fields }
        } catch { extra = { fields: '(dropped: not an object of at most 4 KiB of JSON)' } }
      }
      log.info(`template ${name}: ${text.length > HOST_LIMITS.logChars ? `${text.slice(0, HOST_LIMITS.logChars)}…` : text}`, { template: name, caller, ...extra })
      return null
    }
  }

  return async (method, args) => {
    if (!deps.live()) throw new GoopError('no_template', `template ${name} is no longer applied on this peer`, 404)
    if (typeof method !== 'string' || !(HOST_METHODS as readonly string[]).includes(method)) fail('bad_request', `there is no host method ${q(method)}`)
    if (!Array.isArray(args)) fail('bad_request', `the arguments of ${method} are a list`)
    return await handlers[method](args)
  }
}
