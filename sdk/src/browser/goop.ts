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
 * </script>
 * ```
 */

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

export interface Goop {
  /** The version of @goop/sdk this client came from. */
  readonly version: string
  /** The site owner's peer ID: whose site this is. */
  readonly peer: string
  /** The visitor's peer ID: the peer whose viewer shows this page (the owner's own, on their own site). */
  readonly me: string
  /** The owner's events, over one Server-Sent Events stream to `/.goop/events`. */
  readonly events: GoopEvents
  // Later issues add, here and only here:
  //   goop.data — the owner's data (`/.goop/data`),
  //   goop.call — the owner's template logic (`/.goop/call`).
  // Both go to this origin's `/.goop/*`; the visitor's peer forwards them to the owner, who decides
  // with the visitor's peer ID as authenticated by the libp2p connection, never a claim of the page.
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

function boot (): { peer: string, me: string } {
  if (typeof __goop_boot === 'undefined' || typeof __goop_boot?.peer !== 'string') {
    throw new Error('goop.js must be loaded from /.goop/goop.js on a goop site origin')
  }
  return __goop_boot
}

const who = boot()
const goop: Goop = Object.freeze({
  version: __GOOP_SDK_VERSION__,
  peer: who.peer,
  me: who.me,
  events: new Events()
})

declare global {
  interface Window { goop: Goop }
}

if ((window as Partial<Window>).goop == null) {
  Object.defineProperty(window, 'goop', { value: goop, enumerable: true })
}
