import { z } from '@goop/sdk'

/**
 * `plugins.data.config` in goop.json. The `.describe()` texts end up in goop.json's JSON Schema, so an
 * editor shows them beside each key.
 */
export const DataConfigSchema = z.strictObject({
  synchronous: z.enum(['normal', 'full']).default('normal')
    .describe('SQLite synchronous mode. "normal" (WAL): a crash of goop or of the process loses nothing acknowledged; ' +
      'only a power loss or OS crash may lose the last transactions. "full": fsync on every commit, survives those too, slower.'),
  rateLimit: z.strictObject({
    perSecond: z.number().int().min(1).max(1_000_000).default(500)
      .describe('Data operations per second each visitor peer may send over /goop/data/1.0.0 (a token bucket refilled at this rate)'),
    burst: z.number().int().min(1).max(1_000_000).default(1000)
      .describe('How many operations a visitor may send at once before the rate applies (the bucket size)')
  }).prefault({}).describe('Per visitor peer; the owner is never limited. Over the limit: error rate_limited, saying when to retry')
})

export type DataConfig = z.output<typeof DataConfigSchema>
