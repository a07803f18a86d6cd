import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { Hono } from 'hono'
import { WebSocketServer } from 'ws'
import { GoopError, isGoopError, type GoopPlugin, type HooksApi, type PluginContext, type PresenceApi, type PublicListener, type ServiceOf } from '@goop/sdk'
import type { HookRegistry } from '../hooks.js'
import { closeServer } from '../viewer/close-server.js'
import { createLogger, type LogSink } from '../log.js'
import type { MqService } from '../mq/service.js'
import type { StreamService } from '../streams/service.js'
import { errorResponse } from '../viewer/server.js'
import { NO_ROUTE_HEADER } from '../viewer/sites.js'

/** What the plugin host needs of the kernel to build plugin contexts. */
export interface Kernel {
  peerId: string
  dir: string
  key: PrivateKey
  node: Libp2p
  streams: StreamService
  mq: MqService
  hooks: HookRegistry
  logSink: LogSink
  presence: PresenceApi
  /** Exported services: name -> provider and implementation. */
  services: Map<string, { owner: string, impl: unknown }>
}

type Disposer = () => void | Promise<void>

/**
 * Everything one enabled plugin registered, so that disabling it undoes all of it, newest first.
 */
export class PluginScope {
  readonly controller = new AbortController()
  readonly router = new Hono()
  /** Routes on every site origin (`ctx.http.site`); the viewer tries the running plugins' in order. */
  readonly siteRouter = new Hono()
  private readonly disposers: Disposer[] = []
  readonly ctx: PluginContext<any>

  constructor (private readonly kernel: Kernel, readonly plugin: GoopPlugin, config: unknown) {
    const name = plugin.name
    const owns = (d: Disposer): void => { this.disposers.push(d) }
    const log = createLogger(`plugin:${name}`, kernel.logSink)
    // The plugin's routes answer errors like the rest of the admin API: { error: { code, message } }.
    this.router.onError((err, c) => {
      if (!isGoopError(err)) log.error('route failed', { path: c.req.path, error: err.message })
      return errorResponse(c, err)
    })
    this.siteRouter.onError((err, c) => {
      if (!isGoopError(err)) log.error('site route failed', { path: c.req.path, error: err.message })
      return errorResponse(c, err)
    })
    // No route of this plugin matched: marked, so the viewer tries the next plugin and, when none
    // answers, prefers a plugin's own 404 page (e.g. the site's 404.html) over this empty one.
    this.siteRouter.notFound(c => c.body(null, 404, { [NO_ROUTE_HEADER]: '1' }))
    const stateDir = join(kernel.dir, 'state', name)
    let stateMade = false
    const openedChannels = new Set<{ close: () => void }>()
    const requires = new Set(plugin.requires ?? [])
    const provides = new Set(plugin.provides ?? [])
    const alive = (): void => {
      if (this.controller.signal.aborted) throw new GoopError('plugin_stopped', `plugin ${name} is disabled`)
    }

    this.ctx = {
      name,
      peerId: kernel.peerId,
      config,
      dirs: {
        peer: kernel.dir,
        get state () {
          if (!stateMade) { mkdirSync(stateDir, { recursive: true }); stateMade = true }
          return stateDir
        }
      },
      log,
      identity: {
        peerId: kernel.peerId,
        sign: async (data) => await kernel.key.sign(data),
        verify: async (peerId, data, signature) => {
          try {
            const key = peerIdFromString(peerId).publicKey
            return key != null && await key.verify(data, signature)
          } catch { return false }
        }
      },
      streams: {
        handle: (protocol, handler, limits) => {
          alive()
          // Registration is async in libp2p; the disposer waits for it so disable never races it.
          const registered = kernel.streams.handle(protocol, handler, limits)
          registered.catch((err: Error) => { log.error('cannot handle protocol', { protocol, error: err.message }) })
          owns(async () => { await (await registered.catch(() => undefined))?.() })
        },
        open: (peer, protocol, opts) => {
          alive()
          const channel = kernel.streams.open(peer, protocol, opts)
          // The same shared channel comes back on every call: own it once, close it on disable.
          if (!openedChannels.has(channel)) {
            openedChannels.add(channel)
            owns(() => { openedChannels.delete(channel); channel.close() })
          }
          return channel
        },
        request: async (peer, protocol, body, opts) => {
          alive()
          return await kernel.streams.open(peer, protocol).request(body, opts)
        }
      },
      mq: {
        publish: (topic, payload) => { alive(); kernel.mq.publish(topic, payload) },
        subscribe: (topic, handler) => { alive(); return this.track(kernel.mq.bus.subscribe(topic, handler)) },
        share: (topic) => { alive(); owns(kernel.mq.share(topic)) },
        send: async (peer, topic, payload, opts) => { alive(); return await kernel.mq.send(peer, topic, payload, opts) },
        receive: (topic, handler) => { alive(); return this.track(kernel.mq.receive(topic, handler)) },
        subscribeRemote: async (peer, topic, handler) => {
          alive()
          return this.track(await kernel.mq.subscribeRemote(peer, topic, handler))
        }
      },
      hooks: {
        declare: (hook, kind) => { alive(); owns(kernel.hooks.declare(hook, kind, name)) },
        on: (hook, handler, opts) => { alive(); owns(kernel.hooks.on(hook, handler, opts, name)) },
        call: ((hook: string, ...args: unknown[]) => kernel.hooks.call(hook, ...args)) as HooksApi['call']
      },
      http: {
        router: this.router,
        site: this.siteRouter,
        listen: async ({ host = '0.0.0.0', port, app, websocket }): Promise<PublicListener> => {
          alive()
          const wss = websocket === true ? new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 }) : undefined
          const { server, info } = await new Promise<{ server: ReturnType<typeof serve>, info: { port: number } }>((resolve, reject) => {
            const s = serve({ fetch: app.fetch, hostname: host, port, ...(wss != null ? { websocket: { server: wss } } : {}) }, (i) => { resolve({ server: s, info: i }) })
            s.once('error', reject)
          })
          owns(async () => {
            for (const client of wss?.clients ?? []) client.terminate()
            wss?.close()
            await closeServer(server)
          })
          const shown = host.includes(':') ? `[${host}]` : host
          return { host, port: info.port, url: `http://${shown}:${info.port}` }
        }
      },
      peers: {
        connected: () => kernel.node.getPeers().map(p => p.toString()),
        dial: async (target) => {
          alive()
          await kernel.node.dial(target.startsWith('/') ? multiaddr(target) : peerIdFromString(target), { signal: AbortSignal.timeout(10_000) })
        }
      },
      presence: {
        peers: () => kernel.presence.peers(),
        get: (peerId) => kernel.presence.get(peerId)
      },
      timers: {
        setTimeout: (fn, ms) => {
          alive()
          const t = setTimeout(fn, ms)
          return this.track(() => { clearTimeout(t) })
        },
        setInterval: (fn, ms) => {
          alive()
          const t = setInterval(fn, ms)
          return this.track(() => { clearInterval(t) })
        }
      },
      signal: this.controller.signal,
      provide: (service, impl) => {
        alive()
        if (!provides.has(service)) throw new GoopError('service_undeclared', `plugin ${name} provides "${service}" without listing it in provides`)
        const existing = kernel.services.get(service)
        if (existing != null && existing.owner !== name) throw new GoopError('service_taken', `service "${service}" is already provided by ${existing.owner}`)
        kernel.services.set(service, { owner: name, impl })
        owns(() => { if (kernel.services.get(service)?.owner === name) kernel.services.delete(service) })
      },
      use: (service) => {
        if (!requires.has(service)) throw new GoopError('service_undeclared', `plugin ${name} uses "${service}" without listing it in requires`)
        const entry = kernel.services.get(service)
        if (entry == null) throw new GoopError('service_missing', `service "${service}" is not provided by any running plugin`)
        return entry.impl as ServiceOf<typeof service>
      },
      onDispose: (fn) => { owns(fn) }
    }
  }

  /** Own a disposer, and hand back an idempotent function that runs it early. */
  private track (dispose: () => void): () => void {
    let done = false
    const once = (): void => { if (!done) { done = true; dispose() } }
    this.disposers.push(once)
    return once
  }

  /** Undo every registration, newest first. Errors are collected, never stop the rest. */
  async dispose (): Promise<Error[]> {
    this.controller.abort()
    const errors: Error[] = []
    while (this.disposers.length > 0) {
      const d = this.disposers.pop()!
      try { await d() } catch (err) { errors.push(err as Error) }
    }
    return errors
  }
}
