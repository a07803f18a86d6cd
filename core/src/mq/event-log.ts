/**
 * The bounded buffer behind `GET /api/events`: every local event gets an increasing id, and an SSE
 * client that reconnects with `Last-Event-ID` gets what it missed, as long as it is still buffered.
 */
export interface LoggedEvent { id: number, topic: string, data: string }

export class EventLog {
  private readonly entries: LoggedEvent[] = []
  // Ids start from the clock (in µs), so ids of a restarted peer are above the ones it gave before:
  // a client resuming with an id from the previous run then gets an `events.gap`, not silence.
  private lastId = Date.now() * 1000
  private readonly listeners = new Set<(e: LoggedEvent) => void>()

  constructor (private readonly capacity: number) {}

  append (topic: string, payload: unknown): LoggedEvent {
    const event = { id: ++this.lastId, topic, data: JSON.stringify(payload ?? null) }
    this.entries.push(event)
    if (this.entries.length > this.capacity) this.entries.shift()
    for (const l of this.listeners) l(event)
    return event
  }

  /** Events after `id`, and whether some in between were already dropped. */
  since (id: number): { events: LoggedEvent[], gap: boolean, oldest: number } {
    const oldest = this.entries[0]?.id ?? this.lastId + 1
    return { events: this.entries.filter(e => e.id > id), gap: id + 1 < oldest && id < this.lastId, oldest }
  }

  get newestId (): number { return this.lastId }

  listen (fn: (e: LoggedEvent) => void): () => void {
    this.listeners.add(fn)
    return () => { this.listeners.delete(fn) }
  }
}
