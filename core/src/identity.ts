import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { constants } from 'node:fs'
import { open, readFile } from 'node:fs/promises'
import { GoopError } from '@goop/sdk'

/**
 * The peer's identity is its Ed25519 key in `<peer>/identity.key` (libp2p protobuf encoding, mode 0600).
 * A missing file is created; a file that exists but cannot be read or decoded is an error that names it.
 * It is never replaced silently: a new key would make this a different peer.
 */
export async function loadOrCreateIdentity (file: string): Promise<{ key: PrivateKey, created: boolean }> {
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (err: any) {
    if (err?.code !== 'ENOENT') {
      throw new GoopError('identity_unreadable', `cannot read identity key ${file}: ${err?.message ?? err}`)
    }
    const key = await generateKeyPair('Ed25519')
    // 'wx' fails if another process created the file meanwhile, so two starts can never write two keys.
    const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
    try { await handle.writeFile(privateKeyToProtobuf(key)) } finally { await handle.close() }
    return { key, created: true }
  }
  let key: PrivateKey
  try {
    key = privateKeyFromProtobuf(bytes)
  } catch (err: any) {
    throw new GoopError('identity_corrupt',
      `identity key ${file} is corrupt (${err?.message ?? 'undecodable'}); goop will not replace it, because a new key ` +
      'would make this a different peer. Restore the file from a backup, or move it away to start with a new identity')
  }
  if (key.type !== 'Ed25519') {
    throw new GoopError('identity_corrupt', `identity key ${file} holds a ${key.type} key; goop peers use Ed25519`)
  }
  return { key, created: false }
}

export function peerIdOf (key: PrivateKey): string {
  return peerIdFromPrivateKey(key).toString()
}
