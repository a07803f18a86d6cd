import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import {
  fromBase64Url, MAX_PRESENCE_BYTES, PresenceRecordSchema, presenceSigningBytes, toBase64Url,
  type PresenceRecord, type SignedPresence
} from '@goop/sdk'

/** Why a presence envelope was dropped (counted, and shown by `GET /api/presence/stats`). */
export type DropReason = 'malformed' | 'oversize' | 'bad_signature' | 'wrong_peer' | 'replay' | 'blocked'

export class PresenceDrop extends Error {
  constructor (readonly reason: DropReason, message: string) { super(message) }
}

export async function signPresence (key: PrivateKey, record: PresenceRecord): Promise<SignedPresence> {
  const text = JSON.stringify(record)
  if (text.length > MAX_PRESENCE_BYTES) throw new Error(`this peer's presence record is ${text.length} bytes, over ${MAX_PRESENCE_BYTES}: plugins add too much through presence.announce`)
  const sig = await key.sign(presenceSigningBytes(text))
  return { record: text, sig: toBase64Url(sig) }
}

/**
 * Check an envelope from anyone: shape and size, then the signature against the key inside the
 * record's own peer ID (Ed25519 IDs embed their public key). `expectedPeer`, when given, is who must
 * have made it (e.g. the authenticated sender of a direct message).
 */
export async function verifyPresence (envelope: unknown, expectedPeer?: string): Promise<{ record: PresenceRecord, signed: SignedPresence }> {
  if (typeof envelope !== 'object' || envelope === null) throw new PresenceDrop('malformed', 'presence envelope is not an object')
  const { record: text, sig } = envelope as Record<string, unknown>
  if (typeof text !== 'string' || typeof sig !== 'string') throw new PresenceDrop('malformed', 'presence envelope needs "record" and "sig" strings')
  if (text.length > MAX_PRESENCE_BYTES) throw new PresenceDrop('oversize', `presence record of ${text.length} bytes is over ${MAX_PRESENCE_BYTES}`)
  let raw: unknown
  try { raw = JSON.parse(text) } catch { throw new PresenceDrop('malformed', 'presence record is not JSON') }
  const parsed = PresenceRecordSchema.safeParse(raw)
  if (!parsed.success) throw new PresenceDrop('malformed', `presence record: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`)
  const record = parsed.data
  if (expectedPeer != null && record.peerId !== expectedPeer) throw new PresenceDrop('wrong_peer', `a record for ${record.peerId} came from ${expectedPeer}`)
  let ok = false
  try {
    const key = peerIdFromString(record.peerId).publicKey
    ok = key != null && sig.length <= 200 && await key.verify(presenceSigningBytes(text), fromBase64Url(sig))
  } catch { ok = false }
  if (!ok) throw new PresenceDrop('bad_signature', `signature does not match peer ${record.peerId}`)
  return { record, signed: { record: text, sig } }
}
