import '@goop/sdk/node-polyfill'
import { autoNAT } from '@libp2p/autonat'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Libp2p, PeerDiscovery, PrivateKey } from '@libp2p/interface'
import { mdns } from '@libp2p/mdns'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type Libp2pOptions } from 'libp2p'
import type { GoopConfig } from '../config/schema.js'

/** The services goop reads back from the node; each is there only when the config switched it on. */
export interface GoopServices extends Record<string, unknown> {
  pubsub?: GossipSub
  mdns?: PeerDiscovery
}

export type GoopNode = Libp2p<GoopServices>

/**
 * Build the libp2p node from the `network` section: TCP + Noise + Yamux always, the rest as configured.
 * It is returned NOT started: the caller starts it once presence has its block list and listens to mDNS.
 */
export async function createNode (key: PrivateKey, network: GoopConfig['network'], isBlocked: (peerId: string) => boolean = () => false): Promise<GoopNode> {
  const ip = network.host.includes(':') ? 'ip6' : 'ip4'
  const services: NonNullable<Libp2pOptions<Record<string, unknown>>['services']> = {}
  if (network.identify) services.identify = identify()
  if (network.ping) services.ping = ping()
  if (network.autonat) services.autonat = autoNAT()
  if (network.dcutr) services.dcutr = dcutr()
  if (network.gossipsub) services.pubsub = gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false })
  // mDNS as a service (libp2p still uses it for discovery): its own 'peer' events tell presence which
  // peers mDNS found, apart from peers learned any other way.
  if (network.mdns) services.mdns = mdns({ interval: 10_000 })
  const transports: Libp2pOptions['transports'] = [tcp()]
  if (network.relayClient) transports.push(circuitRelayTransport())
  const listen = [`/${ip}/${network.host}/tcp/${network.port}`]
  // Listening on /p2p-circuit makes the relay transport reserve a slot on relays this peer connects to
  // (the rendezvous hands them out) and keep it, re-reserving after a relay restarts.
  if (network.relayClient && network.reachability !== 'public') listen.push('/p2p-circuit')
  return await createLibp2p({
    start: false,
    privateKey: key,
    addresses: {
      listen,
      announce: network.announce.length > 0 ? network.announce : undefined,
      announceFilter: network.reachability === 'relayed'
        ? (addrs) => addrs.filter(a => a.toString().includes('/p2p-circuit'))
        : undefined
    },
    connectionGater: {
      denyDialPeer: (peerId) => isBlocked(peerId.toString()),
      denyInboundEncryptedConnection: (peerId) => isBlocked(peerId.toString()),
      denyOutboundEncryptedConnection: (peerId) => isBlocked(peerId.toString())
    },
    transports,
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services
  })
}
