import { errorResponse, GoopError, isGoopError, readJsonBody, templateJsonSchema, type PluginContext } from '@goop/sdk'
import type { Hono } from 'hono'
import { ConfirmNeeded } from './apply.js'
import { CALL_LIMITS, parseCall, type CallClient } from './calls.js'
import { TEMPLATE_STATUS } from './errors.js'
import type { Templates } from './service.js'

/** `{ error: { code, message } }`, and for `confirm_needed` the plan too, so the viewer can show what will be removed. */
function answerError (err: unknown): Response {
  if (err instanceof ConfirmNeeded) {
    return Response.json({ error: { code: err.code, message: err.message, plan: err.plan } }, { status: 409, headers: { 'cache-control': 'no-store' } })
  }
  return errorResponse(err, TEMPLATE_STATUS)
}

/**
 * The owner's template API on `ctx.http.router` (`/api/x/templates/…`, behind the owner's token):
 *   GET    /             { bundled, local, current }
 *   GET    /current      { current }            (null when no template is applied)
 *   POST   /apply        { name | path, force? } → the apply result; 409 confirm_needed with the plan
 *   POST   /check        { name | path }        → the template's summary (checked, not applied)
 *   DELETE /current      → { removed, backup, dropped, kvKeysRemoved } (404 when none is applied)
 *   GET    /json-schema  the JSON Schema of goop-template.json
 */
export function adminRoutes (ctx: PluginContext, service: Templates): void {
  const router: Hono = ctx.http.router
  router.onError((err) => {
    if (!isGoopError(err)) ctx.log.error('templates route failed', { error: (err as Error)?.message })
    return answerError(err)
  })
  router.notFound(c => Response.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${new URL(c.req.url).pathname} in the templates API` } }, { status: 404 }))

  const target = async (req: Request): Promise<{ what: string, force: boolean }> => {
    const body = await readJsonBody(req, 16 * 1024)
    const b = typeof body === 'object' && body !== null ? body as { name?: unknown, path?: unknown, force?: unknown } : {}
    const what = typeof b.name === 'string' ? b.name : typeof b.path === 'string' ? b.path : undefined
    if (what == null || (b.name != null && b.path != null)) {
      throw new GoopError('bad_request', 'send { "name": "blog" } or { "path": "/abs/folder-or.goop.tgz" }, and "force": true to replace another template', 400)
    }
    return { what, force: b.force === true }
  }

  router.get('/', async c => c.json(await service.list()))
  router.get('/current', c => c.json({ current: service.current() }))
  router.post('/apply', async (c) => {
    const { what, force } = await target(c.req.raw)
    return c.json(await service.apply(what, { force }))
  })
  router.post('/check', async (c) => {
    const { what } = await target(c.req.raw)
    return c.json(await service.check(what))
  })
  router.delete('/current', async (c) => {
    const result = await service.remove()
    if (result == null) return Response.json({ error: { code: 'no_template', message: 'no template is applied' } }, { status: 404 })
    return c.json(result)
  })
  router.get('/json-schema', c => c.json(templateJsonSchema()))
}

/**
 * `POST /.goop/call` on every site origin: goop.js's `goop.call(fn, args)` sends `{ fn, args }`. The
 * kernel has already checked that the page is this very site's (Origin) and says whose site it is in
 * `x-goop-site`. On the owner's own site the logic runs here with the owner as the caller; on another
 * peer's site the call goes to that owner over `/goop/call/1.0.0`, where the caller is this peer as
 * the connection authenticates it. Answers `{ result }`, or `{ error: { code, message } }`.
 */
export function siteRoute (ctx: PluginContext, service: Templates, client: CallClient): void {
  ctx.http.site.post('/.goop/call', async (c) => {
    const owner = c.req.header('x-goop-site')
    if (owner == null || owner === '') return Response.json({ error: { code: 'bad_request', message: 'not a site origin' } }, { status: 400 })
    try {
      const call = parseCall(await readJsonBody(c.req.raw, CALL_LIMITS.requestBytes + 1024))
      const result = owner === ctx.peerId
        ? await service.run(ctx.peerId, call)
        : await client.call(owner, call, { signal: c.req.raw.signal })
      return Response.json({ result }, { headers: { 'cache-control': 'no-store' } })
    } catch (err) {
      if (!isGoopError(err)) ctx.log.error('/.goop/call failed', { owner, error: (err as Error)?.message })
      return errorResponse(err, TEMPLATE_STATUS)
    }
  })
}
