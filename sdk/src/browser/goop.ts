/**
 * goop.js — the browser client every goop site gets at `/.goop/goop.js` on its own origin
 * (`http://<label>.localhost:<port>/`). It runs in the visitor's browser, on the site's origin, and
 * talks only to that origin's `/.goop/*` routes; the visitor's own peer serves them and forwards what
 * needs the owner to the owner over libp2p (DESIGN §5). No Node imports here: esbuild bundles this
 * file alone for the browser (sdk/scripts/build-browser.mjs).
 *
 * ```html
 * <script src="/.goop/goop.js"></script>
 * <script>
 *   document.title = `${goop.peer} visited by ${goop.me}`
 *   const off = goop.events.on('chat.message', (msg, meta) => { … })
 *   const notes = goop.data.table('notes')
 *   const { rows } = await notes.query({ where: { column: 'done', op: 'eq', value: false }, limit: 20 })
 *   await notes.insert({ text: 'hello' })
 *   notes.onChange(() => { … query again … })
 * </script>
 * ```
 */

import type { z } from 'zod'
import type { DataChanged, DataRequestSchema, DataResults, Filter, Value } from '../data.js'

/** An operation as a caller writes it (defaults such as an order's `dir` may be left out). */
type DataRequest = z.input<typeof DataRequestSchema>

/** Who: put in by the kernel when it serves the script (it wraps the bundle in a function of this name). */
declare const __goop_boot: { peer: string, me: string } | undefined
/** The SDK's version, replaced by the build. */
declare const __GOOP_SDK_VERSION__: string

export interface GoopEventMeta {
  /** The topic the owner published on. */
  topic: string
  /** The message's ID (unique per message; a message seen twice is delivered once). */
  id: string
}

export type GoopEventHandler = (payload: any, meta: GoopEventMeta) => void

export interface GoopEvents {
  /**
   * Follow one of the site owner's topics: `fn(payload, meta)` runs for every event the owner
   * publishes on it, from now on. Only topics the owner shares (a plugin called `ctx.mq.share`) are
   * accepted; the others report a `goop.error` event. Topics are exact names (no `*` patterns yet).
   * Returns a function that stops following.
   *
   * Two names are the client's own: `goop.ready` (`{ topics }`, whenever the stream to this site's
   * peer (re)opens) and `goop.error` (`{ topic, code, message }`, a topic that was refused or could
   * not be reached).
   */
  on(topic: string, fn: GoopEventHandler): () => void
}

/** What `table(name).query()` takes: the `query` operation of the SDK's data format (src/data.ts), without `op` and `table`. */
export interface GoopQuery {
  /** Conditions: `{ column, op, value }` (`eq ne lt lte gt gte in like`), combined with `{ and: […] }` / `{ or: […] }`. */
  where?: Filter
  /** Default: `_id` ascending. */
  order?: Array<{ column: string, dir?: 'asc' | 'desc' }>
  /** Rows per page: default 100, at most 1,000. */
  limit?: number
  /** The `cursor` of the previous page, for the next one. */
  cursor?: string
  /** Only these columns (the system columns `_id`, `_author`, `_created`, `_updated` always come). */
  columns?: string[]
}

/** One of the owner's tables. Every method sends one operation; the owner's policies decide. */
export interface GoopTable {
  readonly name: string
  query(opts?: GoopQuery): Promise<DataResults['query']>
  /** `{ row }`, `row` null when there is no such row the visitor may see. */
  get(id: number): Promise<DataResults['get']>
  count(where?: Filter): Promise<DataResults['count']>
  /** `{ row }`: the row as stored, with `_id` and `_author` (the visitor's peer ID). */
  insert(values: Record<string, Value>): Promise<DataResults['insert']>
  update(id: number, values: Record<string, Value>): Promise<DataResults['update']>
  delete(id: number): Promise<DataResults['delete']>
  /** Follow changes of this table (`goop.events.on('data.changed', …)` for this table only). Returns a function that stops. */
  onChange(fn: (change: DataChanged) => void): () => void
}

/**
 * The site owner's data, through this origin's `POST /.goop/data`: on another peer's site the
 * visitor's peer forwards it to the owner, who decides with the visitor's peer ID as the libp2p
 * connection authenticates it; on the owner's own site it runs as the owner. A refusal rejects with
 * a `GoopDataError`: `code` (`forbidden`, `not_found`, `bad_value`, `rate_limited`, …), `status`
 * (the HTTP status; 0 when the peer could not be reached at all) and a message that says why.
 */
export interface GoopData {
  /** The tables the visitor can see: columns, policies and `can` (what this visitor may do with each). */
  describe(): Promise<DataResults['describe']>
  table(name: string): GoopTable
}

export interface GoopDataError extends Error {
  readonly code: string
  readonly status: number
}

export interface Goop {
  /** The version of @goop/sdk this client came from. */
  readonly version: string
  /** The site owner's peer ID: whose site this is. */
  readonly peer: string
  /** The visitor's peer ID: the peer whose viewer shows this page (the owner's own, on their own site). */
  readonly me: string
  /** The owner's events, over one Server-Sent Events stream to `/.goop/events`. */
  readonly events: GoopEvents
  /** The owner's data (`POST /.goop/data`; since SDK 1.3.0). */
  readonly data: GoopData
  /**
   * Call an exported function of the owner's template logic (`POST /.goop/call`; since SDK 1.3.0) with
   * one JSON argument; resolves with its JSON result. The visitor's peer forwards the call to the
   * owner, whose logic sees the visitor as `goop.caller` (its peer ID as authenticated by the libp2p
   * connection, never a claim of the page). Errors are thrown as `GoopCallError` with `.code`
   * (`not_exported`, `logic_error`, `timeout`, `forbidden`, `rate_limited`, `unreachable`, …) and `.status`.
   */
  call<T = unknown>(fn: string, args?: unknown): Promise<T>
}

const OWN_EVENTS = new Set(['goop.ready', 'goop.error'])
const TOPIC = /^[^\s,*]{1,256}$/
const SEEN_IDS = 512

function report (err: unknown): void {
  // A throwing handler must not stop the others: hand the error to the page's error reporting.
  if (typeof reportError === 'function') reportError(err)
  else setTimeout(() => { throw err }, 0)
}

/**
 * One EventSource for every topic the page follows, reopened (with the new set of topics) when that
 * set changes. The new stream is opened before the old one is closed, so no event falls between them;
 * messages both carry are delivered once (by ID).
 */
class Events implements GoopEvents {
  private readonly handlers = new Map<string, Set<GoopEventHandler>>()
  private current?: EventSource
  private opening?: EventSource
  private wanted = ''
  private scheduled = false
  private readonly seen = new Set<string>()

  on (topic: string, fn: GoopEventHandler): () => void {
    if (typeof topic !== 'string' || !TOPIC.test(topic)) throw new TypeError(`goop.events.on: ${JSON.stringify(topic)} is not a topic (1–256 characters, no spaces, commas or *)`)
    if (topic.startsWith('goop.') && !OWN_EVENTS.has(topic)) throw new TypeError(`goop.events.on: topics starting with "goop." are reserved (${[...OWN_EVENTS].join(', ')})`)
    if (typeof fn !== 'function') throw new TypeError('goop.events.on: the handler must be a function')
    let set = this.handlers.get(topic)
    if (set == null) { set = new Set(); this.handlers.set(topic, set) }
    // The same function twice is two subscriptions, each undone by its own call.
    const entry: GoopEventHandler = (payload, meta) => { fn(payload, meta) }
    set.add(entry)
    this.schedule()
    let done = false
    return () => {
      if (done) return
      done = true
      set.delete(entry)
      if (set.size === 0 && this.handlers.get(topic) === set) this.handlers.delete(topic)
      this.schedule()
    }
  }

  /** Several `on` calls in one task open one stream. */
  private schedule (): void {
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => { this.scheduled = false; this.sync() })
  }

  private topics (): string[] {
    return [...this.handlers.keys()].filter(t => !OWN_EVENTS.has(t)).toSorted()
  }

  private sync (): void {
    const topics = this.topics()
    const key = topics.join(',')
    if (key === this.wanted) return
    this.wanted = key
    this.opening?.close()
    this.opening = undefined
    if (topics.length === 0) {
      this.current?.close()
      this.current = undefined
      return
    }
    const es = new EventSource(`/.goop/events?topics=${encodeURIComponent(key)}`)
    this.opening = es
    for (const topic of topics) es.addEventListener(topic, (e) => { this.deliver(topic, e as MessageEvent) })
    es.addEventListener('goop.ready', (e) => {
      if (this.opening === es) {
        this.current?.close()
        this.current = es
        this.opening = undefined
      }
      this.deliver('goop.ready', e as MessageEvent)
    })
    es.addEventListener('goop.error', (e) => { this.deliver('goop.error', e as MessageEvent) })
    es.addEventListener('error', () => {
      // The browser reconnects by itself after a network error; a refusal (4xx) closes for good.
      if (es.readyState === EventSource.CLOSED && (this.opening === es || this.current === es)) {
        this.emit('goop.error', { topic: null, code: 'events_closed', message: 'the event stream to this site was refused or closed' }, { topic: 'goop.error', id: '' })
      }
    })
  }

  private deliver (topic: string, e: MessageEvent): void {
    const id = e.lastEventId ?? ''
    if (id !== '' && !OWN_EVENTS.has(topic)) {
      if (this.seen.has(id)) return
      this.seen.add(id)
      if (this.seen.size > SEEN_IDS) this.seen.delete(this.seen.values().next().value!)
    }
    let payload: unknown
    try { payload = JSON.parse(String(e.data)) } catch { payload = e.data }
    this.emit(topic, payload, { topic, id })
  }

  private emit (topic: string, payload: unknown, meta: GoopEventMeta): void {
    for (const fn of [...(this.handlers.get(topic) ?? [])]) {
      try { fn(payload, meta) } catch (err) { report(err) }
    }
  }
}

/** An answer that is not a success: `GoopDataError` from goop.data, `GoopCallError` from goop.call. */
class RequestError extends Error implements GoopDataError {
  readonly code: string
  readonly status: number
  constructor (name: 'GoopDataError' | 'GoopCallError', code: string, message: string, status: number) {
    super(message)
    this.name = name
    this.code = code
    this.status = status
  }
}

/**
 * POST JSON to one of this origin's `/.goop/*` routes (the visitor's own peer answers, forwarding to
 * the owner when the site is another peer's). Resolves with the JSON answer; rejects with a
 * RequestError carrying the server's `{ error: { code, message } }`, or `unreachable` (status 0).
 */
async function post (path: '/.goop/data' | '/.goop/call', body: unknown, errorName: 'GoopDataError' | 'GoopCallError'): Promise<unknown> {
  const label = path === '/.goop/data' ? 'goop.data' : 'goop.call'
  let res: Response
  try {
    res = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store'
    })
  } catch (err) {
    throw new RequestError(errorName, 'unreachable', `${label}: this site's peer did not answer (${String(err)})`, 0)
  }
  let answer: unknown
  try { answer = await res.json() } catch { answer = undefined }
  if (!res.ok) {
    const error = (answer as { error?: { code?: unknown, message?: unknown } } | undefined)?.error
    throw new RequestError(errorName, typeof error?.code === 'string' ? error.code : 'http_error',
      typeof error?.message === 'string' ? error.message : `${label}: HTTP ${res.status}`, res.status)
  }
  return answer
}

/** One operation to `/.goop/data`; the answer is the operation's result, or a `GoopDataError`. */
async function send<O extends keyof DataResults> (request: DataRequest & { op: O }): Promise<DataResults[O]> {
  return await post('/.goop/data', request, 'GoopDataError') as DataResults[O]
}

/** `goop.call(fn, args)`: the owner runs its template's exported function `fn` for this visitor. */
async function call (fn: string, args?: unknown): Promise<unknown> {
  if (typeof fn !== 'string' || fn === '') throw new TypeError('goop.call: give the name of the function to call')
  const answer = await post('/.goop/call', { fn, args: args ?? null }, 'GoopCallError') as { result?: unknown }
  return answer?.result
}

function dataClient (events: GoopEvents): GoopData {
  const table = (name: string): GoopTable => {
    if (typeof name !== 'string' || name === '') throw new TypeError('goop.data.table: give the table\'s name')
    // Extra keys are sent as they are: the owner answers bad_request naming a key it does not know.
    return Object.freeze({
      name,
      query: async (opts: GoopQuery = {}) => await send({ ...opts, op: 'query', table: name }),
      get: async (id: number) => await send({ op: 'get', table: name, id }),
      count: async (where?: Filter) => await send(where === undefined ? { op: 'count', table: name } : { op: 'count', table: name, where }),
      insert: async (values: Record<string, Value>) => await send({ op: 'insert', table: name, values }),
      update: async (id: number, values: Record<string, Value>) => await send({ op: 'update', table: name, id, values }),
      delete: async (id: number) => await send({ op: 'delete', table: name, id }),
      onChange: (fn: (change: DataChanged) => void) => {
        if (typeof fn !== 'function') throw new TypeError('goop.data.table(…).onChange: the handler must be a function')
        return events.on('data.changed', (change: DataChanged) => { if (change?.table === name) fn(change) })
      }
    })
  }
  return Object.freeze({
    describe: async () => await send({ op: 'describe' }),
    table
  })
}

function boot (): { peer: string, me: string } {
  if (typeof __goop_boot === 'undefined' || typeof __goop_boot?.peer !== 'string') {
    throw new Error('goop.js must be loaded from /.goop/goop.js on a goop site origin')
  }
  return __goop_boot
}

const who = boot()
const events = new Events()
const goop: Goop = Object.freeze({
  version: __GOOP_SDK_VERSION__,
  peer: who.peer,
  me: who.me,
  events,
  data: dataClient(events),
  call: call as Goop['call']
})

declare global {
  interface Window { goop: Goop }
}

if ((window as Partial<Window>).goop == null) {
  Object.defineProperty(window, 'goop', { value: goop, enumerable: true })
}
