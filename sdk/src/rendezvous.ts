import { z } from 'zod'
import { SignedPresenceSchema } from './presence.js'

/**
 * The rendezvous WebSocket protocol (`/ws`), shared by the server (plugin `rendezvous`) and the client
 * in the kernel. JSON text messages, one per WebSocket message, each at most RENDEZVOUS_MAX_MESSAGE
 * bytes from a client (the snapshot from the server may be larger). See plugins/rendezvous/README.md.
 *
 *   server → client  challenge { nonce }                      on connect
 *   client → server  hello { peerId, sig }                    sig = sign(RENDEZVOUS_AUTH_DOMAIN + nonce)
 *   server → client  welcome { peers: SignedPresence[], relay: string[] }   the snapshot
 *   client → server  publish { record, sig }                  own record, on change
 *   client → server  ping                                     liveness, every heartbeat
 *   server → client  join | update { record, sig }           deltas: only what changed
 *   server → client  leave { peerId }
 *   client → server  connect { peerId }                       ask for a hole-punch hint
 *   server → client  punch { peerId, addrs }                  to both sides: dial each other now
 *   server → client  error { code, message }
 */
export const RENDEZVOUS_AUTH_DOMAIN = 'goop-rendezvous-auth-v1\n'
export const RENDEZVOUS_MAX_MESSAGE = 8192

const PeerId = z.string().min(1).max(128)

export const ClientMessageSchema = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('hello'), peerId: PeerId, sig: z.string().min(16).max(200) }),
  z.strictObject({ t: z.literal('publish'), ...SignedPresenceSchema.shape }),
  z.strictObject({ t: z.literal('ping') }),
  z.strictObject({ t: z.literal('connect'), peerId: PeerId })
])
export type ClientMessage = z.infer<typeof ClientMessageSchema>

export const ServerMessageSchema = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('challenge'), nonce: z.string().min(16).max(128) }),
  z.strictObject({ t: z.literal('welcome'), peers: z.array(SignedPresenceSchema).max(100_000), relay: z.array(z.string().max(512)).max(16) }),
  z.strictObject({ t: z.literal('join'), ...SignedPresenceSchema.shape }),
  z.strictObject({ t: z.literal('update'), ...SignedPresenceSchema.shape }),
  z.strictObject({ t: z.literal('leave'), peerId: PeerId }),
  z.strictObject({ t: z.literal('punch'), peerId: PeerId, addrs: z.array(z.string().max(512)).max(16) }),
  z.strictObject({ t: z.literal('pong') }),
  z.strictObject({ t: z.literal('error'), code: z.string().max(64), message: z.string().max(512) })
])
export type ServerMessage = z.infer<typeof ServerMessageSchema>

export function rendezvousAuthBytes (nonce: string): Uint8Array {
  return new TextEncoder().encode(RENDEZVOUS_AUTH_DOMAIN + nonce)
}
