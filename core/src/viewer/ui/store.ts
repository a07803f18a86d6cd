import { useEffect, useLayoutEffect, useState } from 'preact/hooks'
import type { LogEntry, PeerEntry, PluginInfo, Self, SiteFile } from './types.js'

/**
 * One small store for the whole page: the API's data, the event stream's state and the log. Screens
 * read it with useStore(); live events and API calls write it with update().
 */
export interface State {
  /** 'needed': the admin API answered 401 (no or an old token cookie). */
  auth: 'pending' | 'ok' | 'needed'
  self: Self | null
  peers: Map<string, PeerEntry>
  peersLoaded: boolean
  blocked: string[]
  plugins: PluginInfo[]
  files: SiteFile[] | null
  filesTruncated: boolean
  /** Why the file list could not be read (e.g. the site plugin is off). */
  filesError: { code?: string, message: string } | null
  live: 'connecting' | 'live' | 'offline'
  log: LogEntry[]
}

let state: State = {
  auth: 'pending',
  self: null,
  peers: new Map(),
  peersLoaded: false,
  blocked: [],
  plugins: [],
  files: null,
  filesTruncated: false,
  filesError: null,
  live: 'connecting',
  log: []
}

const listeners = new Set<() => void>()

export function getState (): State { return state }

export function update (patch: Partial<State> | ((s: State) => Partial<State>)): void {
  const p = typeof patch === 'function' ? patch(state) : patch
  state = { ...state, ...p }
  for (const l of listeners) l()
}

export function useStore (): State {
  const [, setTick] = useState(0)
  const seen = state
  useLayoutEffect(() => {
    const l = (): void => { setTick(t => t + 1) }
    listeners.add(l)
    if (state !== seen) l() // changed between this render and the subscription
    return () => { listeners.delete(l) }
  }, [])
  return state
}

/** Re-render every `ms` (relative times such as "seen 3 min ago"). */
export function useTicker (ms: number): number {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const t = setInterval(() => { setNow(Date.now()) }, ms)
    return () => { clearInterval(t) }
  }, [ms])
  return now
}

/** A store of one value, for state that outlives a screen (the editor's open file and draft). */
export function createStore<T> (initial: T): { get: () => T, set: (patch: Partial<T>) => void, use: () => T } {
  let value = initial
  const subs = new Set<() => void>()
  return {
    get: () => value,
    set: (patch) => {
      value = { ...value, ...patch }
      for (const s of subs) s()
    },
    use: () => {
      const [, setTick] = useState(0)
      const seen = value
      useLayoutEffect(() => {
        const l = (): void => { setTick(t => t + 1) }
        subs.add(l)
        if (value !== seen) l()
        return () => { subs.delete(l) }
      }, [])
      return value
    }
  }
}
