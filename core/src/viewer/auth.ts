import { timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { getCookie } from 'hono/cookie'

/**
 * The cookie that carries the token. Browsers share cookies between all ports of a host, so the
 * name includes the viewer's port: two peers on one machine keep their own logins.
 */
export const cookieName = (port: number): string => `goop_token_${port}`

export function sameToken (given: string | undefined, token: string): boolean {
  if (given == null) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * The viewer answers only its own names: a foreign Host (DNS rebinding) or a foreign Origin (another
 * site's script) gets 403 before anything else is looked at.
 */
export function sameOriginOnly (allowedHosts: () => Set<string>): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header('host') ?? ''
    const hosts = allowedHosts()
    if (!hosts.has(host)) return c.json({ error: { code: 'forbidden_host', message: `this viewer does not answer for host ${JSON.stringify(host)}` } }, 403)
    const origin = c.req.header('origin')
    if (origin != null && !(origin.startsWith('http://') && hosts.has(origin.slice('http://'.length)))) {
      return c.json({ error: { code: 'forbidden_origin', message: `requests from origin ${origin} are not allowed` } }, 403)
    }
    if (c.req.header('sec-fetch-site') === 'cross-site') {
      return c.json({ error: { code: 'forbidden_origin', message: 'cross-site requests are not allowed' } }, 403)
    }
    await next()
  }
}

/** The admin API is for the owner: the token as a cookie (browser) or `Authorization: Bearer` (CLI, scripts). */
export function ownerOnly (token: string, cookie: () => string): MiddlewareHandler {
  return async (c, next) => {
    const auth = c.req.header('authorization')
    const bearer = auth?.startsWith('Bearer ') === true ? auth.slice(7).trim() : undefined
    if (!sameToken(bearer, token) && !sameToken(getCookie(c, cookie()), token)) {
      return c.json({ error: { code: 'unauthorized', message: 'the admin API needs the token: open the viewer URL that goop start printed, or send Authorization: Bearer <token> (see state/viewer.json)' } }, 401)
    }
    await next()
  }
}
