import '@goop/sdk/node-polyfill'
import { chmod, readFile, stat, writeFile } from 'node:fs/promises'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { GoopError, type Logger } from '@goop/sdk'

/** The relay's own limits (see README, "Relay limits"). */
export interface RelayOptions {
  host: string
  port: number
  /** Multiaddrs to announce instead of the listen addresses (a public IP or DNS name). */
  announce: string[]
  maxReservations: number
  reservationTtlMs: number
  /** Bytes per relayed connection, both directions together. */
  dataLimit: number
  durationMs: number
  maxCircuits: number
  maxConnections: number
}

export interface Relay {
  readonly peerId: string
  /** Multiaddrs to dial the relay at, each ending in /p2p/<relay id> (at most 16). */
  addrs(): string[]
  /** How many peers hold a reservation now. */
  reservations(): number
  stop(): Promise<void>
}

/**
 * The relay's Ed25519 key: created once (mode 0600), then always reused, so the relay keeps its peer
 * ID and its multiaddrs across restarts. A file that exists but does not hold a key is an error,
 * never silently replaced.
 */
export async function loadOrCreateRelayKey (file: string): Promise<PrivateKey> {
  const existing = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (existing != null) {
    try {
      return privateKeyFromProtobuf(existing)
    } catch (err) {
      throw new GoopError('relay_key_invalid', `${file} does not hold a relay key (${(err as Error).message}); move it away to make a new one`)
    }
  }
  const key = await generateKeyPair('Ed25519')
  try {
    await writeFile(file, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' })
  } catch (err) {
    // Another process made it first: use that one.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return await loadOrCreateRelayKey(file)
    throw err
  }
  if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600)
  return key
}

function hostPart (host: string): string {
  return host.includes(':') ? `/ip6/${host}` : /^[\d.]+$/.test(host) ? `/ip4/${host}` : `/dns/${host}`
}

/** Start a separate libp2p node that is only a circuit relay v2 server (TCP + Noise + Yamux + identify). */
export async function startRelay (keyFile: string, opts: RelayOptions, log: Logger): Promise<Relay> {
  const privateKey = await loadOrCreateRelayKey(keyFile)
  const announce = opts.announce.map((a) => {
    try {
      return multiaddr(a).decapsulateCode(421).toString() // libp2p adds /p2p/<id> itself
    } catch {
      throw new GoopError('config_invalid', `plugins.rendezvous.config.announce: "${a}" is not a multiaddr`)
    }
  })
  const node: Libp2p = await createLibp2p({
    privateKey,
    addresses: {
      listen: [`${hostPart(opts.host)}/tcp/${opts.port}`],
      ...(announce.length > 0 ? { announce } : {})
    },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: opts.maxConnections,
      // Many peers behind one NAT share an address: the library's 5 new connections/s per host is too few.
      inboundConnectionThreshold: 100,
      maxIncomingPendingConnections: 256
    },
    services: {
      identify: identify(),
      relay: circuitRelayServer({
        // One relayed connection = one outbound STOP stream to the listening peer.
        maxOutboundStopStreams: opts.maxCircuits,
        reservations: {
          maxReservations: opts.maxReservations,
          reservationTtl: opts.reservationTtlMs,
          // The library's defaults cut a relayed connection after 128 KiB or 2 minutes.
          applyDefaultLimit: true,
          defaultDataLimit: BigInt(opts.dataLimit),
          defaultDurationLimit: opts.durationMs
        }
      })
    }
  })
  const peerId = node.peerId.toString()
  const suffix = `/p2p/${peerId}`
  const relayService = (node.services as { relay: { reservations: { size: number } } }).relay
  log.info('relay started', { peerId, addrs: node.getMultiaddrs().map(a => a.toString()) })
  return {
    peerId,
    addrs: () => {
      const list = announce.length > 0 ? announce : node.getMultiaddrs().map(a => a.toString())
      return [...new Set(list.map(a => a.endsWith(suffix) ? a : a + suffix))].slice(0, 16)
    },
    reservations: () => relayService.reservations.size,
    stop: async () => { await node.stop() }
  }
}
