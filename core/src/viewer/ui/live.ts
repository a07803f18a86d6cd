import { refreshAll, handleEvent } from './data.js'
import { update } from './store.js'

/**
 * The viewer's event stream (`GET /api/events`, server-sent events), read with fetch rather than
 * EventSource: it delivers every topic (EventSource needs a listener per event name, and plugins
 * publish their own topics) and resumes after a drop with Last-Event-ID, so nothing is missed.
 */
export function connectLive (): void {
  let lastId: string | undefined
  let delay = 500

  const run = async (): Promise<void> => {
    for (;;) {
      update({ live: 'connecting' })
      try {
        const res = await fetch('/api/events', { headers: lastId != null ? { 'last-event-id': lastId } : {}, cache: 'no-store' })
        if (res.status === 401) { update({ auth: 'needed', live: 'offline' }); return }
        if (!res.ok || res.body == null) throw new Error(`event stream answered ${res.status}`)
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
        let buf = ''
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          buf += value
          let end: number
          while ((end = buf.search(/\r?\n\r?\n/)) >= 0) {
            const block = buf.slice(0, end)
            buf = buf.slice(end + (buf[end] === '\r' ? 4 : 2))
            const msg = parse(block)
            if (msg == null) continue
            if (msg.id != null) lastId = msg.id
            if (msg.event === 'ready') {
              update({ live: 'live' })
              delay = 500
              void refreshAll() // whatever changed while we were away
              continue
            }
            let data: unknown = msg.data
            try { data = JSON.parse(msg.data) } catch { /* plain text */ }
            handleEvent(msg.event, data)
          }
        }
      } catch { /* dropped: try again below */ }
      update({ live: 'offline' })
      await new Promise(resolve => setTimeout(resolve, delay))
      delay = Math.min(delay * 2, 10_000)
    }
  }
  void run()
}

function parse (block: string): { event: string, data: string, id?: string } | null {
  let event = 'message'
  const data: string[] = []
  let id: string | undefined
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue
    const i = line.indexOf(':')
    const field = i < 0 ? line : line.slice(0, i)
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '')
    if (field === 'event') event = value
    else if (field === 'data') data.push(value)
    else if (field === 'id') id = value
  }
  if (data.length === 0 && event === 'message') return null
  return { event, data: data.join('\n'), id }
}
