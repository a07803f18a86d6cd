import '../polyfill.js'
import { autoNAT } from '@libp2p/autonat'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { mdns } from '@libp2p/mdns'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type Libp2pOptions } from 'libp2p'
import type { GoopConfig } from '../config/schema.js'

/** Build the libp2p node from the `network` section: TCP + Noise + Yamux always, the rest as configured. */
export async function createNode (key: PrivateKey, network: GoopConfig['network']): Promise<Libp2p> {
  const ip = network.host.includes(':') ? 'ip6' : 'ip4'
  const services: Record<string, (components: any) => unknown> = {}
  if (network.identify) services.identify = identify()
  if (network.ping) services.ping = ping()
  if (network.autonat) services.autonat = autoNAT()
  if (network.dcutr) services.dcutr = dcutr()
  if (network.gossipsub) services.pubsub = gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false })
  const transports: Libp2pOptions['transports'] = [tcp()]
  if (network.relayClient) transports.push(circuitRelayTransport())
  return await createLibp2p({
    privateKey: key,
    addresses: {
      listen: [`/${ip}/${network.host}/tcp/${network.port}`],
      announce: network.announce.length > 0 ? network.announce : undefined
    },
    transports,
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: network.mdns ? [mdns({ interval: 10_000 })] : [],
    services
  })
}
