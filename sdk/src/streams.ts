/**
 * Framed request/response over libp2p streams. One long-lived stream per peer and protocol carries
 * many requests at once (each frame names its request), because opening a stream per request costs
 * about 0.5 ms of CPU on each side (see ARCHITECTURE.md).
 */
export interface StreamLimits {
  /** Largest frame (JSON header plus raw bytes) accepted in either direction. Default 1 MiB. */
  maxFrameBytes?: number
  /** Once a frame has started, the rest of it must arrive within this many ms. Default 10 000. */
  readTimeoutMs?: number
  /** A stream with no request in flight for this long is closed. Default 60 000. */
  idleTimeoutMs?: number
  /** A handler that has not answered after this many ms gets its caller a `timeout` error. Default 30 000. */
  handlerTimeoutMs?: number
  /** Requests handled at once on one stream; more wait. Default 64. */
  maxInflight?: number
  /** May this protocol run over a relayed (limited) connection? Default false. */
  allowLimited?: boolean
}

export interface StreamRequest<B = unknown> {
  /** The caller, as authenticated by the libp2p connection: never a claim made in the request. */
  peer: string
  body: B
  /** Raw bytes sent beside the JSON body, if any. */
  bytes?: Uint8Array
  /** True when the request came over a relayed connection. */
  limited: boolean
  /** Aborted when the caller goes away or the handler's time is up. */
  signal: AbortSignal
}

export interface StreamReply<B = unknown> {
  body: B
  bytes?: Uint8Array
}

export type StreamHandler<Q = any, R = any> = (req: StreamRequest<Q>) => StreamReply<R> | Promise<StreamReply<R>>

export interface RequestOptions {
  bytes?: Uint8Array
  /** Give up after this many ms (default 15 000). */
  timeoutMs?: number
  signal?: AbortSignal
}

/** A multiplexed request channel to one peer for one protocol. */
export interface Channel {
  request<R = unknown>(body: unknown, opts?: RequestOptions): Promise<StreamReply<R>>
  close(): void
}

export interface StreamsApi {
  /** Answer requests on `protocol`. Undone when the plugin is disabled. */
  handle(protocol: string, handler: StreamHandler, limits?: StreamLimits): void
  /**
   * The shared channel to `peer` for `protocol` (opened on first use, reopened after it breaks). It may
   * use a relayed connection unless `allowLimited: false`; whether the protocol runs over relays is the
   * serving side's choice (`handle(…, { allowLimited })`).
   */
  open(peer: string, protocol: string, opts?: { allowLimited?: boolean, maxFrameBytes?: number }): Channel
  /** Shorthand for `open(peer, protocol).request(body, opts)`. */
  request<R = unknown>(peer: string, protocol: string, body: unknown, opts?: RequestOptions): Promise<StreamReply<R>>
}
