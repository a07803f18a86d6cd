import { z } from 'zod'

/**
 * Presence: each peer announces a record signed with its own key. Everyone who receives one (other
 * peers, rendezvous servers) verifies it against the peer ID before using it, so nobody can speak for
 * another peer, and drops one whose `seq` is not above the last it saw (a replay).
 *
 * On the wire a record travels as a signed envelope: `{ record, sig }`, where `record` is the exact
 * JSON text that was signed and `sig` the base64url Ed25519 signature of
 * `PRESENCE_DOMAIN + record` (UTF-8). The JSON text, not a re-encoding of it, is what is verified.
 */
export const PRESENCE_DOMAIN = 'goop-presence-v1\n'
/** The largest record (its JSON text) anyone accepts. */
export const MAX_PRESENCE_BYTES = 4096

const FieldValue = z.union([z.string().max(256), z.number(), z.boolean()])

export const PresenceRecordSchema = z.strictObject({
  v: z.literal(1),
  peerId: z.string().min(1).max(128),
  name: z.string().min(1).max(64),
  addrs: z.array(z.string().max(512)).max(16),
  /** Increases with every record a peer makes, across restarts (it starts from the clock). */
  seq: z.number().int().nonnegative(),
  /** What plugins add through the `presence.announce` hook, e.g. `siteTitle`. */
  fields: z.record(z.string().max(64), FieldValue).default({}),
  /** A goodbye: the peer is stopping cleanly; mark it offline at once. */
  bye: z.boolean().optional()
})

export type PresenceRecord = z.output<typeof PresenceRecordSchema>
export type PresenceFields = PresenceRecord['fields']

export interface SignedPresence {
  record: string
  sig: string
}

export const SignedPresenceSchema = z.strictObject({
  record: z.string().min(2).max(MAX_PRESENCE_BYTES),
  sig: z.string().min(16).max(200)
})

/** The bytes a presence signature covers. */
export function presenceSigningBytes (recordJson: string): Uint8Array {
  return new TextEncoder().encode(PRESENCE_DOMAIN + recordJson)
}

/** Where this peer heard of another one. */
export type PresenceSource = 'mdns' | 'rendezvous' | 'direct'

/** One row of the peer table (`GET /api/peers`, `ctx.presence.peers()`, the presence.* topics). */
export interface PeerEntry {
  peerId: string
  name: string | null
  online: boolean
  /** Epoch ms of the last record or sign of life. */
  lastSeen: number
  sources: PresenceSource[]
  addrs: string[]
  fields: PresenceFields
}

export interface PresenceApi {
  /** The live peer table (blocked peers are not in it). */
  peers(): PeerEntry[]
  get(peerId: string): PeerEntry | undefined
}

/** base64url without padding, for signatures on the wire. */
export function toBase64Url (bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export function fromBase64Url (text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - text.length % 4) % 4)
  const s = atob(b64)
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}
