import type { TopicPayload } from './topics.js'

/**
 * The message queue. Two separate paths, so another peer can never pose as a local event:
 * - publish/subscribe: this peer's own events. Remote peers may follow a topic only if a plugin shared
 *   it (`share`), and then they get what is published through `subscribeRemote` on their side.
 * - send/receive: point-to-point messages between peers, acknowledged, retried with backoff,
 *   de-duplicated by ID and delivered in order per sender. `meta.from` is the sender as authenticated
 *   by the connection.
 */
export interface MessageMeta {
  /** Unique message ID (used for de-duplication). */
  id: string
  topic: string
  /** The peer that published or sent it (this peer's own ID for local events). */
  from: string
  /** Epoch ms when it was published or sent. */
  at: number
}

export type Unsubscribe = () => void

export type MessageHandler<T extends string> = (payload: TopicPayload<T>, meta: MessageMeta) => void | Promise<void>

export interface SendOptions {
  /** Keep retrying (with backoff) for this long before giving up. Default 30 000 ms. */
  deadlineMs?: number
  /** Caller-chosen message ID; a repeated ID is delivered once. Default: random. */
  id?: string
}

export interface MqApi {
  /** Publish an event on this peer: local subscribers, the viewer's event stream and remote subscribers of shared topics get it. */
  publish<T extends string>(topic: T, payload: TopicPayload<T>): void
  /** Follow this peer's own events. `topic` is exact or ends in `*` (prefix). */
  subscribe<T extends string>(topic: T, handler: MessageHandler<T>): Unsubscribe
  /** Let other peers subscribe to topics that match (exact or ending in `*`). Nothing is shared by default. */
  share(topic: string): void
  /** Send to another peer; resolves once it acknowledged, rejects after the deadline. */
  send<T extends string>(peer: string, topic: T, payload: TopicPayload<T>, opts?: SendOptions): Promise<{ id: string }>
  /** Take messages that other peers `send` to this peer on `topic` (exact or ending in `*`). A handler that throws makes the sender retry. */
  receive<T extends string>(topic: T, handler: MessageHandler<T>): Unsubscribe
  /** Follow a shared topic on another peer. Resolves once the publisher accepted the subscription. */
  subscribeRemote<T extends string>(peer: string, topic: T, handler: MessageHandler<T>): Promise<Unsubscribe>
}
