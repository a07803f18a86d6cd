import type { ServerType } from '@hono/node-server'

/**
 * Close an HTTP server now: stop listening and drop its open connections (keep-alive sockets, SSE
 * streams), which `close()` alone would wait for.
 */
export async function closeServer (server: ServerType): Promise<void> {
  await new Promise<void>(resolve => {
    server.close(() => { resolve() })
    if ('closeAllConnections' in server) server.closeAllConnections()
  })
}
