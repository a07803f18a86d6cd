import { GoopError, type CallContext, type HostMethod, type LogicHost, type LogicLimits } from '@goop/sdk'
import { JsRuntime } from '../src/runtime.js'
import type { JsLogicModule } from '../src/module.js'

export const VISITOR = '12D3KooWVisitorVisitorVisitorVisitorVisitorVisitor'
export const OWNER = '12D3KooWOwnerOwnerOwnerOwnerOwnerOwnerOwnerOwner'
export const CTX: CallContext = { caller: VISITOR, peer: OWNER }
export const LIMITS: LogicLimits = { memoryBytes: 16 * 1024 * 1024, callTimeoutMs: 1000 }

export const runtime = new JsRuntime()

export async function load (files: Record<string, string> | string, limits: Partial<LogicLimits> = {}, entry = 'main.ts'): Promise<JsLogicModule> {
  const f = typeof files === 'string' ? { [entry]: files } : files
  return await runtime.load({ files: f, entry }, { ...LIMITS, ...limits })
}

export interface Recorded { method: HostMethod, args: unknown[] }

/** A LogicHost that records every call and answers from `answers` (a function per method), or null. */
export function recordingHost (answers: Partial<Record<HostMethod, (args: unknown[]) => unknown>> = {}): LogicHost & { calls: Recorded[] } {
  const calls: Recorded[] = []
  const host = async (method: HostMethod, args: unknown[]): Promise<unknown> => {
    calls.push({ method, args })
    const a = answers[method]
    return a == null ? null : await a(args)
  }
  return Object.assign(host, { calls })
}

export const nullHost = recordingHost()

/** The GoopError a promise rejects with (fails the test if it resolves or rejects with something else). */
export async function failure (p: Promise<unknown>): Promise<GoopError> {
  try {
    const v = await p
    throw new Error(`expected a failure, got ${JSON.stringify(v)}`)
  } catch (err) {
    if (err instanceof GoopError) return err
    throw err
  }
}
