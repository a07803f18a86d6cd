import type { Logger, MessageMeta } from '@goop/sdk'
import { topicMatches } from './pattern.js'

type Handler = (payload: any, meta: MessageMeta) => void | Promise<void>

/** Local publish/subscribe. A subscriber that throws is logged; it never stops the others. */
export class LocalBus {
  private readonly subs = new Set<{ pattern: string, handler: Handler }>()
  constructor (private readonly log: Logger) {}

  subscribe (pattern: string, handler: Handler): () => void {
    const sub = { pattern, handler }
    this.subs.add(sub)
    return () => { this.subs.delete(sub) }
  }

  emit (payload: unknown, meta: MessageMeta): void {
    for (const sub of [...this.subs]) {
      if (!topicMatches(sub.pattern, meta.topic)) continue
      try {
        const r = sub.handler(payload, meta)
        if (r instanceof Promise) r.catch((err: unknown) => { this.fail(meta.topic, err) })
      } catch (err) {
        this.fail(meta.topic, err)
      }
    }
  }

  private fail (topic: string, err: unknown): void {
    this.log.warn('subscriber failed', { topic, error: (err as Error)?.message ?? String(err) })
  }
}
