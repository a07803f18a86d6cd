import { z } from '@goop/sdk'

/**
 * `plugins.templates.config` in goop.json. The `.describe()` texts end up in goop.json's JSON Schema,
 * so an editor shows them beside each key.
 */
export const TemplatesConfigSchema = z.strictObject({
  calls: z.strictObject({
    perSecond: z.number().min(0.01).max(100_000).default(20)
      .describe('Logic calls per second each visitor peer may make (a token bucket refilled at this rate); the owner is never limited'),
    burst: z.number().int().min(1).max(100_000).default(40)
      .describe('How many calls a visitor may make at once before the rate applies (the bucket size)'),
    inflight: z.number().int().min(1).max(1000).default(4)
      .describe('Calls of one visitor running at the same time, at most (more are refused with rate_limited)')
  }).prefault({}).describe('Per visitor peer. Over a limit: error rate_limited (HTTP 429), saying when to retry'),
  logic: z.strictObject({
    memoryMb: z.number().int().min(8).max(1024).default(64)
      .describe('A template\'s sandbox heap (MiB) when its goop-template.json asks for none'),
    callTimeoutMs: z.number().int().min(10).max(60_000).default(5_000)
      .describe('One logic call\'s deadline (ms) when its goop-template.json asks for none'),
    maxMemoryMb: z.number().int().min(8).max(1024).default(256)
      .describe('The most heap (MiB) a template may ask for with logic.memoryMb'),
    maxCallTimeoutMs: z.number().int().min(10).max(60_000).default(30_000)
      .describe('The longest deadline (ms) a template may ask for with logic.callTimeoutMs')
  }).prefault({}).describe('Limits of the sandbox that runs a template\'s logic'),
  dev: z.string().min(1).max(4096).optional()
    .describe('A template folder to develop: applied when the peer starts and again on every change to its goop-template.json, site/ or logic/ (an update: the data is kept). Relative to the peer folder. Set by goop template dev')
})

export type TemplatesConfig = z.output<typeof TemplatesConfigSchema>
