import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { GoopError } from '@goop/sdk'

export interface ViewerState { url: string, port: number, token: string, pid: number }

/** The running peer's viewer (from state/viewer.json), or undefined if it is not running. */
export async function runningViewer (peerDir: string): Promise<ViewerState | undefined> {
  let state: ViewerState
  try {
    state = JSON.parse(await readFile(join(peerDir, 'state', 'viewer.json'), 'utf8'))
  } catch { return undefined }
  if (typeof state.pid === 'number') {
    try { process.kill(state.pid, 0) } catch (err: any) { if (err?.code === 'ESRCH') return undefined }
  }
  return state
}

/** Call the running peer's admin API with its token. */
export async function adminCall<T = unknown> (peerDir: string, method: string, path: string, body?: unknown): Promise<T> {
  const state = await runningViewer(peerDir)
  if (state == null) throw new GoopError('not_running', `the peer in ${peerDir} is not running (start it with goop start ${peerDir})`)
  let res: Response
  try {
    res = await fetch(`http://127.0.0.1:${state.port}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${state.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(30_000)
    })
  } catch (err: any) {
    throw new GoopError('not_running', `cannot reach the peer's viewer on port ${state.port}: ${err?.cause?.message ?? err?.message}`)
  }
  const data: unknown = await res.json().catch(() => ({}))
  if (!res.ok) {
    const error = (data as { error?: { code?: string, message?: string } } | null)?.error
    throw new GoopError(error?.code ?? 'http_error', error?.message ?? `HTTP ${res.status}`, res.status)
  }
  return data as T
}
