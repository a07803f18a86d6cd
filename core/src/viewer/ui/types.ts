/** The admin API's shapes, as the UI uses them (the server's types live in the kernel and the SDK). */

// Types the SDK already defines come from it (type-only: nothing of it is bundled).
export type { DataChanged, PeerEntry, PresenceSource } from '@goop/sdk'

export type PluginState = 'stopped' | 'starting' | 'running' | 'failed' | string

export interface PluginInfo {
  name: string
  version: string | null
  description?: string
  source: 'builtin' | 'inline' | 'installed' | string
  enabled: boolean
  state: PluginState
  error?: string
  requires: string[]
  provides: string[]
}

export interface Self {
  peerId: string
  name: string
  addrs: string[]
  plugins: PluginInfo[]
}

export interface SiteFile {
  path: string
  size: number
  mtime: number
  type: string
}

export interface LogEntry {
  /** A number for this page only (the event stream's ids are the peer's). */
  seq: number
  at: number
  topic: string
  data: unknown
}
