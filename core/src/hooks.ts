import { GoopError, type HookKind, type HookOrder, type Logger } from '@goop/sdk'

interface Tap { handler: (...args: any[]) => unknown, order: number, seq: number, owner: string }

const orderValue = (o: HookOrder | undefined): number => o === 'pre' ? -100 : o === 'post' ? 100 : (o ?? 0)

/**
 * Typed hooks with kinds and order (see @goop/sdk hooks.ts). A hook is declared once, by the kernel
 * or by the plugin that owns it; anyone may tap it, even before it is declared (the tap waits).
 * Taps run by `order`, then in the order they were added.
 */
export class HookRegistry {
  private readonly kinds = new Map<string, { kind: HookKind, owner: string }>()
  private readonly taps = new Map<string, Tap[]>()
  private seq = 0

  constructor (private readonly log: Logger) {}

  declare (name: string, kind: HookKind, owner: string): () => void {
    const existing = this.kinds.get(name)
    if (existing != null && existing.owner !== owner) {
      throw new GoopError('hook_taken', `hook ${name} is already declared by ${existing.owner}`)
    }
    this.kinds.set(name, { kind, owner })
    return () => { if (this.kinds.get(name)?.owner === owner) this.kinds.delete(name) }
  }

  on (name: string, handler: (...args: any[]) => unknown, opts: { order?: HookOrder } | undefined, owner: string): () => void {
    const tap: Tap = { handler, order: orderValue(opts?.order), seq: this.seq++, owner }
    const list = [...(this.taps.get(name) ?? []), tap].toSorted((a, b) => a.order - b.order || a.seq - b.seq)
    this.taps.set(name, list)
    return () => { this.taps.set(name, (this.taps.get(name) ?? []).filter(t => t !== tap)) }
  }

  async call (name: string, ...args: unknown[]): Promise<unknown> {
    const decl = this.kinds.get(name)
    if (decl == null) throw new GoopError('hook_unknown', `hook ${name} is not declared`)
    const taps = this.taps.get(name) ?? []
    switch (decl.kind) {
      case 'sequential': {
        let value = args[0]
        for (const t of taps) {
          const next = await t.handler(value, ...args.slice(1))
          if (next !== undefined) value = next
        }
        return value
      }
      case 'parallel': {
        const results = await Promise.allSettled(taps.map(async t => { await t.handler(...args) }))
        results.forEach((r, i) => {
          if (r.status === 'rejected') this.log.warn('hook handler failed', { hook: name, plugin: taps[i].owner, error: (r.reason as Error)?.message ?? String(r.reason) })
        })
        return undefined
      }
      case 'first': {
        for (const t of taps) {
          const result = await t.handler(...args)
          if (result !== undefined) return result
        }
        return undefined
      }
    }
  }
}
