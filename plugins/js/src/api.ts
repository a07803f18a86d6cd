import type { DataResults, Filter, Value } from '@goop/sdk'

/**
 * The global `goop` as JavaScript/TypeScript logic sees it (logic.ts documents it once for both
 * runtimes; here it is typed, with JS's Promises). A template's TypeScript can declare it with
 * `plugins/js/logic.d.ts`:
 *
 *   /// <reference types="@goop/plugin-js/logic" />   (or copy the declaration)
 *
 * What kv and mq answer is up to the templates plugin's LogicHost, so they are typed as JSON.
 */
export interface GoopDb {
  describe(): Promise<DataResults['describe']>
  query(table: string, opts?: {
    where?: Filter
    order?: Array<{ column: string, dir?: 'asc' | 'desc' }>
    limit?: number
    cursor?: string
    columns?: string[]
  }): Promise<DataResults['query']>
  get(table: string, id: number): Promise<DataResults['get']>
  count(table: string, where?: Filter): Promise<DataResults['count']>
  insert(table: string, values: Record<string, Value>): Promise<DataResults['insert']>
  update(table: string, id: number, values: Record<string, Value>): Promise<DataResults['update']>
  delete(table: string, id: number): Promise<DataResults['delete']>
}

export interface GoopLogicApi {
  /** The visitor's peer ID, as authenticated by its connection (the owner's own ID when the owner calls). */
  readonly caller: string
  /** The site owner's peer ID. */
  readonly peer: string
  /** Data, acting for the caller (the tables' policies apply); `db.owner` acts as the site owner, deliberately. */
  readonly db: GoopDb & { readonly owner: GoopDb }
  readonly kv: {
    get(key: string): Promise<Value | null>
    set(key: string, value: Value): Promise<unknown>
    delete(key: string): Promise<unknown>
    list(prefix?: string): Promise<unknown>
  }
  readonly mq: {
    /** To the site's followers. */
    publish(topic: string, payload: Value): Promise<unknown>
    send(peer: string, topic: string, payload: Value): Promise<unknown>
  }
  /** To the owner's log; not awaited, capped per call. */
  log(message: string, fields?: Record<string, Value>): void
  /** Epoch milliseconds. */
  now(): number
}

/** A host error as logic catches it: an Error with the host's code (e.g. `forbidden`, `not_found`). */
export interface GoopHostError extends Error { name: 'GoopError', code: string }
