import { useEffect, useState } from 'preact/hooks'
import { Avatar, CopyButton } from './components.js'
import { DialogHost } from './dialog.js'
import { DatabaseScreen } from './database.js'
import { EventsScreen } from './events.js'
import { IconDatabase, IconPeers, IconPlug, IconPulse, IconSite, IconTemplates } from './icons.js'
import { PeersScreen } from './peers.js'
import { PluginsScreen } from './plugins.js'
import { SiteScreen } from './site.js'
import { useStore } from './store.js'
import { TemplatesScreen } from './templates.js'
import { dismiss, useToasts } from './toast.js'

const SCREENS = ['peers', 'site', 'templates', 'database', 'plugins', 'events'] as const
type Screen = typeof SCREENS[number]

const fromHash = (): Screen => {
  // The first segment names the screen; the rest is the screen's own (#database/notes: the open table).
  const h = location.hash.replace(/^#\/?/, '').split('/')[0]
  return (SCREENS as readonly string[]).includes(h) ? h as Screen : 'peers'
}

function Logo () {
  return (
    <span class='brand' aria-label='goop'>
      <svg width='26' height='26' viewBox='0 0 32 32' aria-hidden='true' focusable='false'>
        <circle cx='12' cy='16' r='8.5' class='logo-a' />
        <circle cx='20' cy='16' r='8.5' class='logo-b' />
      </svg>
      <span class='wordmark' aria-hidden='true'>goop</span>
    </span>
  )
}

export function App () {
  const s = useStore()
  const [screen, setScreen] = useState<Screen>(fromHash)
  const toasts = useToasts()

  useEffect(() => {
    const on = (): void => { setScreen(fromHash()) }
    window.addEventListener('hashchange', on)
    return () => { window.removeEventListener('hashchange', on) }
  }, [])

  // Without the owner's token nothing of this peer is shown: only the page's notice.
  useEffect(() => {
    if (s.auth !== 'needed') return
    const need = document.getElementById('need-token')
    if (need != null && document.getElementById('bad-token') == null) need.hidden = false
  }, [s.auth])
  if (s.auth === 'needed') return null

  const go = (to: string): void => { location.hash = to }
  const online = [...s.peers.values()].filter(p => p.online).length
  const failed = s.plugins.filter(p => p.state === 'failed').length
  const titles: Record<Screen, string> = { peers: 'Peers', site: 'My site', templates: 'Templates', database: 'Database', plugins: 'Plugins', events: 'Events' }
  document.title = s.self != null ? `${titles[screen]} · ${s.self.name} · goop` : 'goop'

  const tabs: Array<{ id: Screen, label: string, icon: any, count?: number, alert?: boolean }> = [
    { id: 'peers', label: 'Peers', icon: <IconPeers />, count: online },
    { id: 'site', label: 'My site', icon: <IconSite /> },
    { id: 'templates', label: 'Templates', icon: <IconTemplates /> },
    { id: 'database', label: 'Database', icon: <IconDatabase /> },
    { id: 'plugins', label: 'Plugins', icon: <IconPlug />, count: failed > 0 ? failed : undefined, alert: failed > 0 },
    { id: 'events', label: 'Events', icon: <IconPulse /> }
  ]
  const liveText = s.live === 'live' ? 'Live' : s.live === 'connecting' ? 'Connecting…' : 'Reconnecting…'

  return (
    <>
      <a class='skip' href='#main'>Skip to content</a>
      <header class='topbar'>
        <Logo />
        <nav class='tabs' aria-label='Sections'>
          {tabs.map(t => (
            <a key={t.id} href={`#${t.id}`} id={`tab-${t.id}`} class={`tab ${screen === t.id ? 'active' : ''}`} aria-current={screen === t.id ? 'page' : undefined}>
              {t.icon}<span class='tab-label'>{t.label}</span>
              {t.count != null && t.count > 0 && <span class={`count ${t.alert === true ? 'alert' : ''}`} aria-label={t.alert === true ? `${t.count} failed` : `${t.count} online`}>{t.count}</span>}
            </a>
          ))}
        </nav>
        <div class='me'>
          {s.self != null && <Avatar id={s.self.peerId} name={s.self.name} size='sm' />}
          <div class='me-text'>
            <div id='self-name'>{s.self?.name ?? '…'}</div>
            <div id='self-id' class='mono' title={s.self?.peerId}>{s.self?.peerId ?? ''}</div>
          </div>
          {s.self != null && <CopyButton text={s.self.peerId} label='Copy peer ID' what='Peer ID' />}
          <span id='live' class={`live ${s.live === 'live' ? 'on' : ''}`} role='status' title={`Live updates: ${liveText.toLowerCase()}`}>
            <span class='live-dot' aria-hidden='true' /><span class='live-text'>{liveText}</span>
          </span>
        </div>
      </header>
      <main id='main' tabIndex={-1}>
        {screen === 'peers' && <PeersScreen go={go} />}
        {screen === 'site' && <SiteScreen go={go} />}
        {screen === 'templates' && <TemplatesScreen go={go} />}
        {screen === 'database' && <DatabaseScreen go={go} />}
        {screen === 'plugins' && <PluginsScreen />}
        {screen === 'events' && <EventsScreen />}
      </main>
      <div class='toasts' aria-live='polite'>
        {toasts.map(t => (
          <div key={t.id} class={`toast ${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
            <span>{t.text}</span>
            <button type='button' class='toast-close' aria-label='Dismiss' onClick={() => { dismiss(t.id) }}>×</button>
          </div>
        ))}
      </div>
      <DialogHost />
    </>
  )
}
