import type { IncomingMessage } from 'node:http'

export interface SseEvent { id?: string, event?: string, data?: string }

/**
 * Read Server-Sent Events from a node:http response: each `id:`/`event:`/`data:` block becomes an
 * event in `events` (in arrival order); `onEvent` runs after each chunk that completed events.
 */
export function readSse (res: IncomingMessage, onEvent?: () => void): SseEvent[] {
  const events: SseEvent[] = []
  let buffer = ''
  res.setEncoding('utf8')
  res.on('data', (chunk: string) => {
    buffer += chunk
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const e: SseEvent = {}
      for (const line of block.split('\n')) {
        const m = /^(id|event|data): ?(.*)$/.exec(line)
        if (m != null) e[m[1] as keyof SseEvent] = m[2]
      }
      if (Object.keys(e).length > 0) events.push(e)
    }
    onEvent?.()
  })
  return events
}
