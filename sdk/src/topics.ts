/**
 * Typed MQ topics. Plugins add theirs by declaration merging:
 *   declare module '@goop/sdk' { interface Topics { 'hello.greeted': { from: string, text: string } } }
 * A topic not in this map is still usable; its payload is then `unknown`.
 */
import type { PeerEntry } from './presence.js'

export interface Topics {
  /** A peer came online (its first valid record, or its first after being offline). */
  'presence.online': PeerEntry
  /** A peer went offline: it said goodbye, or no record came within the TTL. */
  'presence.offline': PeerEntry
  /** An online peer's record changed (name, addresses, fields, sources). */
  'presence.updated': PeerEntry
  /** A plugin changed state (enabled, disabled, failed). Published by the kernel. */
  'plugins.changed': { name: string, enabled: boolean, state: PluginState, error?: string }
  /** A connection to another peer opened or closed. Published by the kernel. */
  'peers.changed': { peerId: string, connected: boolean }
  /** Another peer sent this peer a message with `mq.send`: published by the kernel after local receivers took it. */
  'mq.received': { id: string, from: string, topic: string, payload: unknown }
  /** The SSE stream could not resume from Last-Event-ID: events between were dropped from the buffer. */
  'events.gap': { requested: number, oldest: number }
}

export type PluginState = 'running' | 'stopped' | 'failed'

export type TopicPayload<T extends string> = T extends keyof Topics ? Topics[T] : unknown
