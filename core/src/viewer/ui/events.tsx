import { useState } from 'preact/hooks'
import { clock, displayName, shortId } from './format.js'
import { IconPulse } from './icons.js'
import { Empty } from './components.js'
import { update, useStore, type State } from './store.js'
import type { LogEntry, PeerEntry } from './types.js'

/** A peer's name as this page knows it, else its short ID. */
function who (s: State, peerId: unknown, name?: unknown): string {
  if (typeof peerId !== 'string') return 'a peer'
  if (typeof name === 'string' && name !== '') return name
  const p = s.peers.get(peerId)
  return p != null ? displayName(p) : shortId(peerId)
}

/** One line of plain language for the topics the kernel and the built-ins publish. */
export function summary (e: LogEntry, s: State): string | null {
  const d = (e.data ?? {}) as Record<string, any>
  switch (e.topic) {
    case 'presence.online': return `${who(s, d.peerId, d.name)} came online`
    case 'presence.offline': return `${who(s, d.peerId, d.name)} went offline`
    case 'presence.updated': {
      const p = d as Partial<PeerEntry>
      return `${who(s, p.peerId, p.name)} updated its presence${p.fields?.siteTitle != null ? ` (site: ${String(p.fields.siteTitle)})` : ''}`
    }
    case 'peers.changed': return `${d.connected === true ? 'Connected to' : 'Disconnected from'} ${who(s, d.peerId)}`
    case 'plugins.changed': return `Plugin ${String(d.name)} is ${String(d.state)}${d.error != null ? `: ${String(d.error)}` : ''}`
    case 'site.changed': return `${d.op === 'delete' ? 'Deleted' : 'Saved'} ${String(d.path)}`
    case 'data.changed': return `${d.op === 'insert' ? 'Added' : d.op === 'delete' ? 'Deleted' : 'Edited'} row ${String(d._id)} ${d.op === 'insert' ? 'to' : 'in'} ${String(d.table)}`
    case 'events.gap': return 'Some events were missed while the connection was down'
    default: return null
  }
}

const tone = (topic: string): string =>
  'tone-' + (topic.startsWith('presence.') || topic.startsWith('peers.') ? 'peer' : topic.startsWith('plugins.') ? 'plugin' : topic.startsWith('site.') ? 'site' : topic.startsWith('data.') ? 'data' : 'other')

export function EventRow ({ e, s, compact = false }: { e: LogEntry, s: State, compact?: boolean }) {
  const text = summary(e, s)
  const raw = JSON.stringify(e.data)
  return (
    <li class={`event ${tone(e.topic)}`} data-topic={e.topic}>
      <time class='mono' dateTime={new Date(e.at).toISOString()}>{clock(e.at)}</time>
      <span class={`topic ${tone(e.topic)}`}>{e.topic}</span>
      {compact
        ? <span class='event-text'>{text ?? raw}</span>
        : <details class='event-text'>
          <summary>{text ?? <span class='mono'>{raw}</span>}</summary>
          <pre class='mono'>{JSON.stringify(e.data, null, 2)}</pre>
        </details>}
    </li>
  )
}

export function EventsScreen () {
  const s = useStore()
  const [filter, setFilter] = useState('')
  const f = filter.trim().toLowerCase()
  const shown = f === '' ? s.log : s.log.filter(e => e.topic.toLowerCase().includes(f) || (summary(e, s) ?? JSON.stringify(e.data)).toLowerCase().includes(f))
  return (
    <div class='screen narrow-screen'>
      <section class='panel' id='events' aria-labelledby='events-title'>
        <div class='panel-head'>
          <div>
            <h1 id='events-title'>Events</h1>
            <p class='sub'>What this peer publishes, live: presence, connections, plugins, site and database changes.</p>
          </div>
          <div class='toolbar'>
            <input type='search' class='input' placeholder='Filter' aria-label='Filter events' value={filter} onInput={(e) => { setFilter((e.target as HTMLInputElement).value) }} />
            <button type='button' class='btn' onClick={() => { update({ log: [] }) }} disabled={s.log.length === 0}>Clear</button>
          </div>
        </div>
        {s.log.length === 0
          ? <Empty icon={<IconPulse />} title='Listening for events'>Events appear here as they happen.</Empty>
          : <ol class='log' id='log' aria-live='off'>{shown.map(e => <EventRow key={e.seq} e={e} s={s} />)}</ol>}
      </section>
    </div>
  )
}
