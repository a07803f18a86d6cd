import { definePlugin, GoopError, z, type SequentialHook } from '@goop/sdk'

/**
 * An example third-party plugin, built only on @goop/sdk. It shows each way a plugin plugs in:
 * - a protocol: `/goop/hello/1.0.0` answers a greeting to any peer that asks;
 * - routes: `GET /api/x/hello/greet/:peer` asks another peer for its greeting, `GET /api/x/hello/` counts;
 * - an MQ topic: every greeting this peer gives is published on `hello.greeted`, shared so other peers
 *   may follow it; `hello.wave` messages sent to this peer are counted;
 * - a hook: `hello.greeting` (sequential) lets other plugins rewrite the greeting;
 * - a CLI subcommand: `goop hello PEER` prints what that peer answers.
 */
export const HELLO_PROTOCOL = '/goop/hello/1.0.0'

export interface Greeted { from: string, text: string }

declare module '@goop/sdk' {
  interface Hooks {
    'hello.greeting': SequentialHook<string, [asker: string]>
  }
  interface Topics {
    'hello.greeted': Greeted
    'hello.wave': { text: string }
  }
}

const Ask = z.strictObject({ name: z.string().max(64).optional() })

export default definePlugin({
  name: 'hello',
  version: '1.0.0',
  sdk: '^1.0.0',
  description: 'Greets other peers: an example of every plugin extension point',
  config: z.strictObject({
    greeting: z.string().min(1).max(100).default('hello')
  }),
  commands: {
    hello: {
      summary: 'ask another peer (by ID) for its greeting',
      usage: 'goop hello PEER_ID [--peer DIR]',
      async run (args, tools) {
        const target = args[0]
        if (target == null || args.length > 1) throw new GoopError('bad_request', 'usage: goop hello PEER_ID')
        const reply = await tools.admin<{ text: string }>('GET', `/x/hello/greet/${encodeURIComponent(target)}`)
        tools.print(reply.text)
      }
    }
  },
  setup (ctx) {
    let greeted = 0
    let waves = 0
    ctx.hooks.declare('hello.greeting', 'sequential')

    ctx.streams.handle(HELLO_PROTOCOL, async (req) => {
      const ask = Ask.safeParse(req.body)
      if (!ask.success) throw new GoopError('bad_request', 'expected { name?: string }')
      const base = `${ctx.config.greeting}, ${ask.data.name ?? req.peer.slice(-6)}`
      const text = await ctx.hooks.call('hello.greeting', base, req.peer)
      greeted++
      ctx.mq.publish('hello.greeted', { from: req.peer, text })
      return { body: { text } }
    }, { maxFrameBytes: 4096, allowLimited: true })

    ctx.mq.share('hello.greeted')
    ctx.mq.receive('hello.wave', () => { waves++ })

    ctx.http.router.get('/', c => c.json({ greeted, waves }))
    ctx.http.router.get('/greet/:peer', async (c) => {
      const reply = await ctx.streams.request<{ text: string }>(c.req.param('peer'), HELLO_PROTOCOL, { name: ctx.peerId.slice(-6) }, { timeoutMs: 10_000 })
      return c.json(reply.body)
    })

    ctx.hooks.on('peer.connected', (peerId) => { ctx.log.debug('a peer connected', { peerId }) })
  }
})
