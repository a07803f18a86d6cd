import { DATA_LIMITS, errorResponse, isGoopError, readJsonBody, type DataRequest, type PluginContext } from '@goop/sdk'
import { DATA_HTTP_STATUS, type DataClient } from './protocol.js'
import type { DataInternals } from './service.js'

/** How long the visitor's peer waits for the owner's answer before the page gets 504. */
const FORWARD_TIMEOUT_MS = 15_000

/**
 * `POST /.goop/data` on every site origin: goop.js's `goop.data` sends one operation as JSON. The
 * kernel has already checked that the page is this very site's (Origin) and says whose site it is in
 * `x-goop-site`. On the owner's own site it runs here as the owner; on another peer's site it goes
 * to that owner over `/goop/data/1.0.0`, where this peer (the visitor) is who the connection says it
 * is. The page can name no one: whatever its body says, the owner decides by the connection.
 */
export function siteRoute (ctx: PluginContext, internals: DataInternals, client: DataClient): void {
  ctx.http.site.post('/.goop/data', async (c) => {
    const owner = c.req.header('x-goop-site')
    if (owner == null || owner === '') return Response.json({ error: { code: 'bad_request', message: 'not a site origin' } }, { status: 400 })
    try {
      const request = await readJsonBody(c.req.raw, DATA_LIMITS.requestBytes)
      const result = owner === ctx.peerId
        ? internals.run(request)
        // Forwarded as it came: the owner validates it (and refuses anything but a valid request).
        : await client.request(owner, request as DataRequest, { timeoutMs: FORWARD_TIMEOUT_MS, signal: c.req.raw.signal })
      return Response.json(result, { headers: { 'cache-control': 'no-store' } })
    } catch (err) {
      if (!isGoopError(err)) ctx.log.error('/.goop/data failed', { owner, error: (err as Error)?.message })
      return errorResponse(err, DATA_HTTP_STATUS)
    }
  })
}
