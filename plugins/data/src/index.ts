import { join } from 'node:path'
import { DATA_CHANGED_TOPIC, definePlugin, type DataChanged, type PluginContext, type z } from '@goop/sdk'
import { dataCommand } from './cli.js'
import { DataConfigSchema } from './config.js'
import { DataClient, serveData } from './protocol.js'
import { RateLimiter } from './rate-limit.js'
import { adminRoutes } from './routes.js'
import { dataInternals, dataService, type DataService } from './service.js'
import { siteRoute } from './site-route.js'
import { DataStore } from './store/index.js'

export type { DataService } from './service.js'
export type { BackupEntry } from './backups.js'
export type { RemoteOptions } from './protocol.js'
export { DATA_MAX_FRAME } from './protocol.js'
export { DataConfigSchema, type DataConfig } from './config.js'
export { RateLimiter } from './rate-limit.js'
export { DataStore, permissions, type ApplyReport, type Caller, type DataStoreOptions, type StoreErrorCode, type TableInfo } from './store/index.js'

declare module '@goop/sdk' {
  interface Services {
    data: DataService
  }
  interface Topics {
    /** A row of this peer's data was inserted, updated or deleted (shared: a site's visitors follow it through goop.events). */
    'data.changed': DataChanged
  }
}

export default definePlugin({
  name: 'data',
  version: '1.0.0',
  sdk: '^1.3.0',
  description: "This peer's SQLite database: tables declared by schemas with access policies, data operations from visitors over /goop/data/1.0.0",
  provides: ['data'],
  config: DataConfigSchema,
  commands: { data: dataCommand },
  setup (ctx: PluginContext<z.output<typeof DataConfigSchema>>) {
    const backupDir = join(ctx.dirs.peer, 'backups')
    const store = DataStore.open(join(ctx.dirs.peer, 'data.db'), { backupDir, synchronous: ctx.config.synchronous, busyTimeoutMs: 5000 })
    // After everything registered through ctx is undone (no handler can reach the store any more).
    ctx.onDispose(() => { store.close() })

    ctx.mq.share(DATA_CHANGED_TOPIC)
    const offChange = store.onChange((change) => { ctx.mq.publish(DATA_CHANGED_TOPIC, change) })
    ctx.onDispose(offChange)

    const internals = dataInternals(ctx.peerId, store, backupDir)
    const client = new DataClient(ctx)
    const limiter = new RateLimiter(ctx.config.rateLimit.perSecond, ctx.config.rateLimit.burst)
    serveData(ctx, internals.execute, limiter)

    const service = dataService(internals, store, client, backupDir)
    ctx.provide('data', service)
    adminRoutes(ctx, service, internals)
    siteRoute(ctx, internals, client)
  }
})
