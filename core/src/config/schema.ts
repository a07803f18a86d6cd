import { z } from 'zod'

/**
 * The one definition of goop.json. It validates the file and emits the JSON Schema editors use
 * (`goop init` writes `$schema`). Every key has a default; unknown keys are errors.
 */
const bool = (d: boolean, what: string) => z.boolean().default(d).describe(what)

export const NetworkSchema = z.strictObject({
  host: z.string().min(1).default('0.0.0.0').describe('IP address libp2p listens on (0.0.0.0 = every interface)'),
  port: z.number().int().min(0).max(65535).default(0).describe('libp2p TCP listen port (0 = any free port)'),
  announce: z.array(z.string()).default([]).describe('Extra multiaddrs to announce (e.g. a public address behind port forwarding)'),
  mdns: bool(true, 'Find peers on the LAN with mDNS'),
  gossipsub: bool(true, 'Gossipsub (presence on the LAN travels over it)'),
  identify: bool(true, 'libp2p identify (needed by gossipsub, autonat, dcutr and the relay client)'),
  ping: bool(true, 'libp2p ping'),
  autonat: bool(true, 'AutoNAT: ask other peers whether this peer is reachable from outside'),
  dcutr: bool(true, 'DCUtR hole punching: upgrade relayed connections to direct ones'),
  relayClient: bool(true, 'Circuit relay v2 client: reach and be reached through relays'),
  reachability: z.enum(['auto', 'public', 'relayed']).default('auto')
    .describe('auto: reserve a slot on known relays when this peer has no public address; public: never; relayed: always, and announce only relayed addresses')
}).superRefine((n, ctx) => {
  for (const dep of ['gossipsub', 'autonat', 'dcutr', 'relayClient'] as const) {
    if (n[dep] && !n.identify) ctx.addIssue({ code: 'custom', path: [dep], message: `needs "network.identify": true (or set "network.${dep}": false)` })
  }
})

export const ViewerSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1').describe('Address the viewer binds to; keep it on loopback unless you know why not'),
  port: z.number().int().min(0).max(65535).default(8080).describe('Viewer HTTP port (0 = any free port)')
})

export const PresenceSchema = z.strictObject({
  rendezvous: z.array(z.url({ protocol: /^(wss?|https?)$/ })).max(16).default([]).describe('Rendezvous server URLs'),
  heartbeatMs: z.number().int().min(100).max(600_000).default(5000).describe('How often this peer announces itself'),
  ttlMs: z.number().int().min(300).max(3_600_000).default(20_000).describe('A peer with no record for this long is offline'),
  graceMs: z.number().int().min(0).max(30 * 86_400_000).default(600_000).describe('An offline peer is forgotten after this long'),
  lan: z.boolean().default(true).describe('Announce presence on the LAN over gossipsub (topic goop.presence.v1)')
}).superRefine((p, ctx) => {
  if (p.ttlMs <= p.heartbeatMs) ctx.addIssue({ code: 'custom', path: ['ttlMs'], message: `must be longer than "presence.heartbeatMs" (${p.heartbeatMs})` })
})

export const MqSchema = z.strictObject({
  sendDeadlineMs: z.number().int().min(100).max(3_600_000).default(30_000).describe('How long mq.send keeps retrying before it gives up'),
  eventBuffer: z.number().int().min(16).max(100_000).default(1000).describe('Events kept for SSE clients that resume with Last-Event-ID')
})

export const PluginEntrySchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Run this plugin'),
  from: z.string().min(1).optional().describe('Where the plugin comes from: a path (relative to the peer folder) or a package name; built-ins need none'),
  trusted: z.boolean().optional().describe('The owner agreed that this third-party plugin runs with the peer\'s full rights'),
  config: z.record(z.string(), z.unknown()).optional().describe('The plugin\'s own settings, checked by its schema')
}).meta({ id: 'pluginEntry' })

export const ConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1).max(64).default('goop peer').describe('Display name shown to other peers'),
  network: NetworkSchema.prefault({}),
  viewer: ViewerSchema.prefault({}),
  presence: PresenceSchema.prefault({}),
  mq: MqSchema.prefault({}),
  log: z.strictObject({
    level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info')
  }).prefault({}),
  plugins: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'plugin names are lowercase letters, digits, ".", "_" and "-"'), PluginEntrySchema)
    .default({}).describe('Plugins of this peer, by name')
})

export type GoopConfig = z.output<typeof ConfigSchema>
export type GoopConfigInput = z.input<typeof ConfigSchema>
export type PluginEntry = z.output<typeof PluginEntrySchema>

export function configJsonSchema (): Record<string, unknown> {
  return { ...z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }), title: 'goop.json' }
}
