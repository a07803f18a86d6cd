import { useMemo, useState } from 'preact/hooks'
import { setBlocked } from './api.js'
import { Avatar, Badge, CopyButton, Empty } from './components.js'
import { refreshPeers } from './data.js'
import { confirmDialog } from './dialog.js'
import { ago, displayName, SOURCE_LABELS } from './format.js'
import { IconBlock, IconExternal, IconPeers, IconSearch } from './icons.js'
import { EventRow } from './events.js'
import { useStore, useTicker, type State } from './store.js'
import { toast } from './toast.js'
import type { PeerEntry } from './types.js'

export const siteUrl = (peerId: string, path = ''): string => `/p/${encodeURIComponent(peerId)}/${path}`

export function PeersScreen (props: { go: (screen: string) => void }) {
  const s = useStore()
  const now = useTicker(15_000)
  const [query, setQuery] = useState('')
  const all = useMemo(() => [...s.peers.values()].toSorted((a, b) =>
    Number(b.online) - Number(a.online) || displayName(a).localeCompare(displayName(b)) || a.peerId.localeCompare(b.peerId)), [s.peers])
  const q = query.trim().toLowerCase()
  const shown = q === '' ? all : all.filter(p => [p.name ?? '', String(p.fields?.siteTitle ?? ''), p.peerId].some(t => t.toLowerCase().includes(q)))
  const online = all.filter(p => p.online).length

  return (
    <div class='screen peers-screen'>
      <section class='panel peers-panel' id='peers' aria-labelledby='peers-title'>
        <div class='panel-head'>
          <div>
            <h1 id='peers-title'>Peers</h1>
            <p class='sub' aria-live='polite'>{online} online · {all.length} known</p>
          </div>
          <label class='search'>
            <IconSearch />
            <input id='peer-search' type='search' placeholder='Search by name, site or ID' aria-label='Search peers'
              value={query} onInput={(e) => { setQuery((e.target as HTMLInputElement).value) }} />
          </label>
        </div>
        {!s.peersLoaded
          ? <div class='loading'>Loading peers…</div>
          : all.length === 0
            ? <Empty icon={<IconPeers />} title='No peers yet'>Peers on your local network appear here by themselves. Peers elsewhere meet through a rendezvous server (<code>network.rendezvous</code> in <code>goop.json</code>).</Empty>
            : shown.length === 0
              ? <Empty title={`No peer matches “${query.trim()}”`} />
              : <ul class='peer-list' id='peer-list'>{shown.map(p => <PeerRow key={p.peerId} p={p} now={now} />)}</ul>}
        {s.blocked.length > 0 && <Blocked s={s} />}
      </section>
      <aside class='side'>
        <SelfCard s={s} />
        <section class='panel recent' aria-labelledby='recent-title'>
          <div class='panel-head small'>
            <h2 id='recent-title'>Recent activity</h2>
            <button type='button' class='link-btn' onClick={() => { props.go('events') }}>All events</button>
          </div>
          {s.log.length === 0
            ? <p class='muted small-text'>Nothing yet: peers coming and going, plugins and site changes show up here.</p>
            : <ol class='log compact'>{s.log.slice(0, 6).map(e => <EventRow key={e.seq} e={e} s={s} compact />)}</ol>}
        </section>
      </aside>
    </div>
  )
}

function PeerRow ({ p, now }: { p: PeerEntry, now: number }) {
  const name = displayName(p)
  const title = p.fields?.siteTitle
  return (
    <li class={`peer ${p.online ? 'online' : 'offline'}`} data-peer={p.peerId}>
      <a class='peer-main' href={siteUrl(p.peerId)} target='_blank' rel='noopener noreferrer' aria-label={`Open ${name}'s site in a new tab`}>
        <span class='avatar-wrap'>
          <Avatar id={p.peerId} name={name} />
          <span class={`dot ${p.online ? 'on' : ''}`} role='img' aria-label={p.online ? 'online' : 'offline'} title={p.online ? 'online' : 'offline'} />
        </span>
        <span class='peer-text'>
          <span class='peer-name'>{name}{title != null && title !== '' && <span class='site-title'> · {String(title)}</span>}</span>
          <span class='peer-meta'>
            <span class='mono id' title={p.peerId}>{p.peerId}</span>
          </span>
        </span>
      </a>
      <span class='peer-status'>
        <span class={`status ${p.online ? 'on' : ''}`}>{p.online ? 'Online' : `Seen ${ago(p.lastSeen, now)}`}</span>
        <span class='sources'>{p.sources.map(src => <Badge key={src} kind='source' title={SOURCE_LABELS[src]?.title ?? src}>{SOURCE_LABELS[src]?.label ?? src}</Badge>)}</span>
      </span>
      <span class='peer-actions'>
        <a class='btn small' href={siteUrl(p.peerId)} target='_blank' rel='noopener noreferrer' tabIndex={-1} aria-hidden='true'>Visit <IconExternal /></a>
        <button type='button' class='icon-btn danger-hover' data-block={p.peerId} aria-label={`Block ${name}`} title={`Block ${name}`} onClick={() => { void block(p) }}><IconBlock /></button>
      </span>
    </li>
  )
}

async function block (p: PeerEntry): Promise<void> {
  const name = displayName(p)
  const ok = await confirmDialog({
    title: `Block ${name}?`,
    body: <>
      <p><strong>{name}</strong> disappears from your list, and this peer refuses its connections from now on: it can no longer reach you or see your site.</p>
      <p class='mono small-text muted'>{p.peerId}</p>
    </>,
    confirm: 'Block',
    danger: true
  })
  if (!ok) return
  try {
    await setBlocked(p.peerId, true)
    toast.info(`${name} is blocked`)
  } catch (err) {
    toast.error(`Could not block ${name}: ${(err as Error).message}`)
  }
  await refreshPeers()
}

function Blocked ({ s }: { s: State }) {
  return (
    <details class='blocked'>
      <summary>Blocked peers ({s.blocked.length})</summary>
      <ul>
        {s.blocked.map(id => (
          <li key={id}>
            <span class='mono id' title={id}>{id}</span>
            <button type='button' class='btn small' aria-label={`Unblock ${id}`} onClick={async () => {
              try { await setBlocked(id, false); toast.info('Unblocked') } catch (err) { toast.error((err as Error).message) }
              await refreshPeers()
            }}>Unblock</button>
          </li>
        ))}
      </ul>
    </details>
  )
}

function SelfCard ({ s }: { s: State }) {
  const self = s.self
  if (self == null) return null
  const running = s.plugins.filter(p => p.state === 'running').length
  return (
    <section class='panel self-card' aria-labelledby='self-card-title'>
      <div class='self-top'>
        <Avatar id={self.peerId} name={self.name} size='lg' />
        <div class='grow'>
          <h2 id='self-card-title' class='self-card-name'>{self.name}</h2>
          <p class='muted small-text'>This peer</p>
        </div>
      </div>
      <div class='kv'>
        <span class='k'>Peer ID</span>
        <span class='v id-line'><span class='mono id wrap'>{self.peerId}</span><CopyButton text={self.peerId} label='Copy peer ID' what='Peer ID' /></span>
      </div>
      <div class='stats'>
        <div><strong>{[...s.peers.values()].filter(p => p.online).length}</strong><span>online</span></div>
        <div><strong>{s.files?.length ?? '–'}</strong><span>site files</span></div>
        <div><strong>{running}</strong><span>plugins on</span></div>
      </div>
      <a class='btn primary block-btn' href={siteUrl(self.peerId)} target='_blank' rel='noopener noreferrer'>Open my site <IconExternal /></a>
      {self.addrs.length > 0 && (
        <details class='addrs'>
          <summary>Addresses ({self.addrs.length})</summary>
          <ul>{self.addrs.map(a => <li key={a} class='mono small-text'>{a}</li>)}</ul>
        </details>
      )}
    </section>
  )
}
