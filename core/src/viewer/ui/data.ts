import { ApiError, getBlocked, getPeers, getPlugins, getSelf, listFiles } from './api.js'
import { getState, update } from './store.js'
import type { DataChanged, LogEntry, PeerEntry, PluginInfo } from './types.js'
import { toast } from './toast.js'

/** Load (or reload) what the API knows; each part on its own, so one failure does not blank the rest. */
export async function refreshAll (): Promise<void> {
  try {
    const self = await getSelf()
    update({ auth: 'ok', self, plugins: self.plugins })
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return
    toast.error(`Could not load this peer: ${(err as Error).message}`)
    return
  }
  await Promise.all([refreshPeers(), refreshFiles()])
  dataChanged(null) // after a reconnect rows may have changed unseen
  templatesChanged()
}

export async function refreshPeers (): Promise<void> {
  try {
    const [peers, blocked] = await Promise.all([getPeers(), getBlocked().catch(() => getState().blocked)])
    update({ peers: new Map(peers.map(p => [p.peerId, p])), peersLoaded: true, blocked })
  } catch { /* the event stream's reconnect loads again */ }
}

export async function refreshPlugins (): Promise<void> {
  try { update({ plugins: await getPlugins() }) } catch { /* as above */ }
}

export async function refreshFiles (): Promise<void> {
  try {
    const { files, truncated } = await listFiles()
    update({ files, filesTruncated: truncated, filesError: null })
  } catch (err) {
    const e = err as ApiError
    update({ files: null, filesError: { code: e.code, message: e.message } })
  }
}

/** Many events in a burst (a peer joining sends several) cause one reload, not many. */
function debounced (fn: () => Promise<void>, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  return () => {
    clearTimeout(timer)
    timer = setTimeout(() => { void fn() }, ms)
  }
}
const peersSoon = debounced(refreshPeers, 150)
const pluginsSoon = debounced(refreshPlugins, 50)
const filesSoon = debounced(refreshFiles, 100)

const site = new Set<(path: string) => void>()
/** Be told when a file of this peer's site changes (the editor reloads a clean open file). */
export function onSiteChanged (fn: (path: string) => void): () => void {
  site.add(fn)
  return () => { site.delete(fn) }
}

const dataListeners = new Set<(e: DataChanged | null) => void>()
/**
 * Be told when rows of this peer's database change (`data.changed`), or when anything may have
 * (`null`: the data plugin switched on or off, or events were missed): the Database page reloads.
 */
export function onDataChanged (fn: (e: DataChanged | null) => void): () => void {
  dataListeners.add(fn)
  return () => { dataListeners.delete(fn) }
}
function dataChanged (e: DataChanged | null): void {
  for (const fn of dataListeners) fn(e)
}

const templateListeners = new Set<() => void>()
/**
 * Be told when the applied template may have changed (`templates.changed`, the templates plugin
 * switched on or off, or events were missed): the Templates page reloads its lists.
 */
export function onTemplatesChanged (fn: () => void): () => void {
  templateListeners.add(fn)
  return () => { templateListeners.delete(fn) }
}
function templatesChanged (): void {
  for (const fn of templateListeners) fn()
}

const MAX_LOG = 500
let seq = 0

/** Every event of the stream goes to the log, and updates what it is about. */
export function handleEvent (topic: string, data: unknown): void {
  const entry: LogEntry = { seq: ++seq, at: Date.now(), topic, data }
  update(s => ({ log: [entry, ...s.log].slice(0, MAX_LOG) }))
  if (topic.startsWith('presence.')) {
    const p = data as PeerEntry | null
    if (p?.peerId != null && p.peerId !== getState().self?.peerId) {
      update(s => {
        const peers = new Map(s.peers)
        peers.set(p.peerId, { ...s.peers.get(p.peerId), ...p })
        return { peers }
      })
    } else {
      peersSoon()
    }
  } else if (topic === 'peers.changed') {
    peersSoon()
  } else if (topic === 'plugins.changed') {
    const p = data as Partial<PluginInfo> | null
    if (p?.name != null) {
      update(s => ({ plugins: s.plugins.map(x => x.name === p.name ? { ...x, enabled: p.enabled ?? x.enabled, state: p.state ?? x.state, error: p.error } : x) }))
    }
    pluginsSoon()
    if (p?.name === 'site') filesSoon()
    if (p?.name === 'data') dataChanged(null)
    if (p?.name === 'templates') templatesChanged()
  } else if (topic === 'site.changed') {
    filesSoon()
    const path = (data as { path?: string } | null)?.path
    if (typeof path === 'string') for (const fn of site) fn(path)
  } else if (topic === 'data.changed') {
    const d = data as DataChanged | null
    if (typeof d?.table === 'string') dataChanged(d)
  } else if (topic === 'templates.changed') {
    // A template brings its own site and tables: the file list and the Database page follow.
    templatesChanged()
    filesSoon()
    dataChanged(null)
  } else if (topic === 'events.gap') {
    void refreshAll()
  }
}
