import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { definePlugin, type LogicRuntime, type PluginContext } from '@goop/sdk'
import { CallClient, serveCalls } from './calls.js'
import { templateCommand } from './cli.js'
import { TemplatesConfigSchema, type TemplatesConfig } from './config.js'
import { startDev } from './dev.js'
import { KvStore } from './kv.js'
import { CallLimiter } from './rate-limit.js'
import { adminRoutes, siteRoute } from './routes.js'
import { Templates } from './service.js'

export { CALL_LIMITS, CALL_MAX_FRAME, CALL_PROTOCOL, parseCall, type CallRequest } from './calls.js'
export { ConfirmNeeded, describePlan } from './apply.js'
export type { ApplyPlan, ApplyResult, BrokenTemplate, CurrentTemplate, Listed, RemovePlan, RemoveResult, TemplateList, TemplateSummary } from './api-types.js'
export { bundledDir, localDir } from './catalog.js'
export { TemplatesConfigSchema, type TemplatesConfig } from './config.js'
export { archiveName, buildArchive, type BuiltArchive } from './build.js'
export { startDev, type DevLoop, type DevOptions } from './dev.js'
export { packEntries, type PackEntry } from './pack.js'
export { HOST_LIMITS } from './host.js'
export { KV_LIMITS } from './kv.js'
export { TEMPLATE_LIMITS, loadTemplate, type LoadedTemplate } from './load.js'
export { parseManifest } from './manifest.js'
export { templateCommand, runLocally, USAGE, type CommandOptions, type LocalRunner } from './cli.js'
export type { TemplatesService } from './service.js'

/** Extra time the stream layer gives a call past the longest deadline a template may have, before it answers `timeout` itself. */
const HANDLER_MARGIN_MS = 5_000

export default definePlugin({
  name: 'templates',
  version: '1.0.0',
  sdk: '^1.3.0',
  description: 'Applies site templates (site, tables, seed rows, logic) with backups when switching, and runs their logic for visitors through one policed host API',
  requires: ['data', 'lua', 'js'],
  provides: ['templates'],
  config: TemplatesConfigSchema,
  commands: { template: templateCommand() },
  async setup (ctx: PluginContext<TemplatesConfig>) {
    mkdirSync(ctx.dirs.state, { recursive: true })
    const kv = new KvStore(join(ctx.dirs.state, 'kv.db'))
    ctx.onDispose(() => { kv.close() })

    const { calls } = ctx.config
    const client = new CallClient(ctx)
    const service = new Templates({
      ctx,
      data: ctx.use('data'),
      kv,
      runtimes: { lua: ctx.use('lua') as LogicRuntime, js: ctx.use('js') as LogicRuntime },
      limiter: new CallLimiter(calls.perSecond, calls.burst, calls.inflight),
      client
    })
    ctx.onDispose(async () => { await service.stop() })

    // Template logic publishes on app.* for the site's visitors, who follow it with goop.events.
    ctx.mq.share('app.*')
    serveCalls(ctx, async (caller, call) => await service.run(caller, call), ctx.config.logic.maxCallTimeoutMs + HANDLER_MARGIN_MS)
    adminRoutes(ctx, service)
    siteRoute(ctx, service, client)
    ctx.provide('templates', service)
    await service.start()

    // goop template dev: the author's folder, applied now and on every change (registered after the
    // service, so it is disposed of first: no apply starts on a stopping service).
    if (ctx.config.dev != null) {
      const dev = startDev({ dir: resolve(ctx.dirs.peer, ctx.config.dev), peerDir: ctx.dirs.peer, apply: async dir => await service.apply(dir, { force: true }), log: ctx.log })
      ctx.onDispose(async () => { await dev.close() })
      await dev.ready
    }
  }
})
