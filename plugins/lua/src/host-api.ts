import type { HostMethod } from '@goop/sdk'

/**
 * Turns what the Lua API was called with into the host call of sdk/src/logic.ts: `goop.db.*` become
 * DataRequests (sdk/src/data.ts), the rest pass their arguments as they are. Runs in the worker, on
 * values already converted from Lua. Validation of the requests themselves is the host's (the data
 * plugin checks every DataRequest), so a wrong option comes back as the host's own `bad_request`.
 */

export type HostRequest = { ok: true, method: HostMethod, args: unknown[] } | { ok: false, code: string, message: string }

/** Why a goop.db call could not become a DataRequest. */
class Refusal { constructor (readonly message: string) {} }

const SIMPLE = new Set<string>(['kv.get', 'kv.set', 'kv.delete', 'kv.list', 'mq.publish', 'mq.send', 'log'])

/** An empty Lua table arrives as [] (README "Values"); where the request needs an object, [] means {}. */
function asObject (v: unknown): unknown {
  return Array.isArray(v) && v.length === 0 ? {} : v
}

export function hostRequest (method: string, args: unknown[]): HostRequest {
  if (method === 'db' || method === 'db.owner') {
    const req = dataRequest(args)
    return req instanceof Refusal ? { ok: false, code: 'bad_request', message: req.message } : { ok: true, method, args: [req] }
  }
  if (!SIMPLE.has(method)) return { ok: false, code: 'bad_request', message: `no host method ${method}` }
  // Trailing nils are left out: goop.kv.list() is ('kv.list', []), not ('kv.list', [null]).
  let n = args.length
  while (n > 0 && (args[n - 1] === null || args[n - 1] === undefined)) n--
  return { ok: true, method: method as HostMethod, args: args.slice(0, n) }
}

function dataRequest ([op, table, a, b]: unknown[]): Record<string, unknown> | Refusal {
  switch (op) {
    case 'describe': return { op }
    case 'query': {
      const opts = a === null || a === undefined ? {} : asObject(a)
      if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
        return new Refusal('goop.db.query: the options must be a table such as { where = ..., limit = 10 }')
      }
      return { ...opts, op, table }
    }
    case 'get': return { op, table, id: a }
    case 'count': return a === null || a === undefined ? { op, table } : { op, table, where: a }
    case 'insert': return { op, table, values: asObject(a) }
    case 'update': return { op, table, id: a, values: asObject(b) }
    case 'delete': return { op, table, id: a }
    default: return new Refusal(`goop.db has no operation ${String(op)}`)
  }
}
