import { DATA_LIMITS, dataJsonSchemas, errorResponse, isGoopError, readJsonBody, type PluginContext } from '@goop/sdk'
import { DATA_HTTP_STATUS } from './protocol.js'
import type { DataInternals, DataService } from './service.js'

/** Largest schema the admin API takes (64 tables × 64 columns with descriptions and enums fit easily). */
export const MAX_SCHEMA_BYTES = 2 * 1024 * 1024

/** `?force=1` / `?force=true`. */
const forced = (v: string | undefined): boolean => v === '1' || v === 'true'

/** `?source=` (where a schema came from, shown with its tables): short printable text, else `owner`. */
const sourceOf = (v: string | undefined): string => v != null && /^[\x20-\x7e]{1,100}$/.test(v) ? v : 'owner'

/**
 * The owner's data API on `ctx.http.router`: `/api/x/data/…` (and `/api/data/…`), behind the owner's
 * token like the rest of the admin API. Errors are `{ error: { code, message } }` with the code's status.
 */
export function adminRoutes (ctx: PluginContext, service: DataService, internals: DataInternals): void {
  const router = ctx.http.router
  router.onError((err) => {
    if (!isGoopError(err)) ctx.log.error('data route failed', { error: (err as Error)?.message })
    return errorResponse(err, DATA_HTTP_STATUS)
  })
  router.notFound(c => Response.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${new URL(c.req.url).pathname} in the data API` } }, { status: 404 }))

  router.get('/tables', async c => c.json({ tables: await service.tables() }))

  router.post('/schema', async (c) => {
    const schema = await readJsonBody(c.req.raw, MAX_SCHEMA_BYTES)
    return c.json(internals.apply(schema, { force: forced(c.req.query('force')), source: sourceOf(c.req.query('source')) }))
  })

  router.post('/op', async (c) => {
    const request = await readJsonBody(c.req.raw, DATA_LIMITS.requestBytes)
    return c.json(internals.run(request))
  })

  router.delete('/tables/:name', async c => c.json(await service.drop([c.req.param('name')])))

  router.get('/backups', async c => c.json({ backups: await service.backups() }))

  router.post('/restore', async (c) => {
    const body = await readJsonBody(c.req.raw, 4096)
    const { file, force } = typeof body === 'object' && body !== null ? body as { file?: unknown, force?: unknown } : {}
    return c.json(internals.restore(file, { force: force === true }))
  })

  // The JSON Schemas of a schema file and of a request, for editors and other languages.
  router.get('/json-schema', c => c.json(dataJsonSchemas()))
}
