import { update } from './store.js'
import type { PeerEntry, PluginInfo, Self, SiteFile } from './types.js'

export class ApiError extends Error {
  /** `details`: the whole `error` object, for codes that say more than a message (e.g. `confirm_needed` carries a plan). */
  constructor (message: string, readonly status: number, readonly code?: string, readonly details?: Record<string, unknown>) {
    super(message)
  }
}

/** Call the admin API (the token travels as the viewer's cookie). A 401 shows the token notice. */
export async function api<T> (method: string, path: string, body?: unknown): Promise<T> {
  const res = await request(method, path, body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return await res.json() as T
}

async function request (method: string, path: string, init: RequestInit): Promise<Response> {
  let res: Response
  try {
    res = await fetch('/api' + path, { method, credentials: 'same-origin', ...init })
  } catch {
    throw new ApiError('the viewer cannot be reached: is this peer still running?', 0, 'unreachable')
  }
  if (res.status === 401) update({ auth: 'needed' })
  if (!res.ok) {
    const data = await res.json().catch(() => ({})) as { error?: { code?: string, message?: string } & Record<string, unknown> }
    throw new ApiError(data.error?.message ?? `${res.status} ${res.statusText}`, res.status, data.error?.code, data.error)
  }
  return res
}

export const getSelf = async (): Promise<Self> => await api<Self>('GET', '/self')
export const getPeers = async (): Promise<PeerEntry[]> => await api<PeerEntry[]>('GET', '/peers')
export const getPlugins = async (): Promise<PluginInfo[]> => await api<PluginInfo[]>('GET', '/plugins')
export const getBlocked = async (): Promise<string[]> => (await api<{ blocked?: string[] }>('GET', '/presence')).blocked ?? []

export async function setPlugin (name: string, on: boolean, trust = false): Promise<PluginInfo> {
  return await api<PluginInfo>('POST', `/plugins/${encodeURIComponent(name)}/${on ? 'enable' : 'disable'}`, trust ? { trust: true } : undefined)
}

export async function setBlocked (peerId: string, blocked: boolean): Promise<void> {
  await api('POST', `/peers/${encodeURIComponent(peerId)}/${blocked ? 'block' : 'unblock'}`)
}

/** A site path (`blog/a b.html`) as URL path segments (`blog/a%20b.html`). */
export const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/')

const FILES = '/x/site/files'

export async function listFiles (): Promise<{ files: SiteFile[], truncated: boolean }> {
  return await api('GET', FILES)
}

export async function readFile (path: string): Promise<{ bytes: ArrayBuffer, etag: string | null, type: string }> {
  const res = await request('GET', `${FILES}/${encodePath(path)}`, { cache: 'no-store' })
  return { bytes: await res.arrayBuffer(), etag: res.headers.get('etag'), type: res.headers.get('content-type') ?? '' }
}

export async function writeFile (path: string, body: string | Blob): Promise<SiteFile & { etag: string }> {
  const res = await request('PUT', `${FILES}/${encodePath(path)}`, { headers: { 'content-type': 'application/octet-stream' }, body })
  return await res.json() as SiteFile & { etag: string }
}

export async function deleteFile (path: string): Promise<void> {
  await request('DELETE', `${FILES}/${encodePath(path)}`, {})
}
