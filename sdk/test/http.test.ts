import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ERROR_STATUS, errorResponse, GoopError, httpStatusOf, isGoopError, readJsonBody } from '@goop/sdk'

/** The HTTP helpers a plugin's routes use: a bounded JSON body, and errors answered by their code. */
describe('http helpers', () => {
  const refusal = async (fn: () => Promise<unknown>): Promise<GoopError> => {
    try { await fn() } catch (err) { assert.ok(isGoopError(err)); return err }
    return assert.fail('expected a GoopError')
  }
  /** A streamed body (no Content-Length), in chunks. */
  const streamed = (...chunks: string[]): Request => new Request('http://x/', {
    method: 'POST',
    body: new ReadableStream({ start (c) { for (const s of chunks) c.enqueue(new TextEncoder().encode(s)); c.close() } }),
    duplex: 'half'
  } as RequestInit)

  it('reads a JSON body up to the bound, streamed or not', async () => {
    assert.deepEqual(await readJsonBody(new Request('http://x/', { method: 'POST', body: '{"a":[1,"é"]}' }), 100), { a: [1, 'é'] })
    assert.deepEqual(await readJsonBody(streamed('{"a":', '"\u00e9', '"}'), 100), { a: 'é' })
  })

  it('refuses an oversize body by its Content-Length or while reading, an empty one and one that is not JSON', async () => {
    let err = await refusal(async () => await readJsonBody(new Request('http://x/', { method: 'POST', body: '"' + 'x'.repeat(200) + '"' }), 100))
    assert.deepEqual([err.code, err.status], ['too_large', 413])
    assert.match(err.message, /over 100 bytes/)
    err = await refusal(async () => await readJsonBody(streamed('"' + 'x'.repeat(60), 'x'.repeat(60) + '"'), 100))
    assert.deepEqual([err.code, err.status], ['too_large', 413])
    err = await refusal(async () => await readJsonBody(new Request('http://x/', { method: 'POST' }), 100))
    assert.deepEqual([err.code, err.status], ['bad_request', 400])
    assert.match(err.message, /empty/)
    err = await refusal(async () => await readJsonBody(new Request('http://x/', { method: 'POST', body: '{"a":' }), 100))
    assert.deepEqual([err.code, err.status], ['bad_request', 400])
    assert.match(err.message, /not JSON/)
  })

  it('derives the status from the code (a remote error has none), with a plugin\'s own codes on top', () => {
    // As it arrives from another peer: a code and a message, the default status.
    const remote = (code: string): GoopError => new GoopError(code, 'm')
    assert.equal(httpStatusOf(remote('forbidden')), 403)
    assert.equal(httpStatusOf(remote('unreachable')), 502)
    assert.equal(httpStatusOf(remote('timeout')), 504)
    assert.equal(httpStatusOf(remote('internal')), 500)
    assert.equal(httpStatusOf(remote('internal'), { internal: 502 }), 502, 'extra wins over the shared table')
    assert.equal(httpStatusOf(remote('busy'), { busy: 503 }), 503)
    // A code no table knows: the error's own status if it is an HTTP error status, else 400.
    assert.equal(httpStatusOf(new GoopError('odd', 'm', 418)), 418)
    assert.equal(httpStatusOf(new GoopError('odd', 'm', 200)), 400)
    for (const code of ['bad_request', 'unknown_table', 'unknown_column', 'bad_value', 'forbidden', 'not_found', 'too_large', 'rate_limited', 'conflict']) {
      assert.ok(ERROR_STATUS[code] != null, `${code} (a data code) has a status`)
    }
  })

  it('answers { error: { code, message } } with the status, no-store and Retry-After; anything else is internal with no details', async () => {
    let res = errorResponse(new GoopError('rate_limited', 'slow down; retry after 1500 ms', 429))
    assert.equal(res.status, 429)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    assert.equal(res.headers.get('retry-after'), '2')
    assert.deepEqual(await res.json(), { error: { code: 'rate_limited', message: 'slow down; retry after 1500 ms' } })
    assert.equal(errorResponse(new GoopError('rate_limited', 'retry after 3 ms')).headers.get('retry-after'), '1')
    assert.equal(errorResponse(new GoopError('rate_limited', 'later')).headers.get('retry-after'), null)
    res = errorResponse(new GoopError('internal', 'the owner failed'), { internal: 502 })
    assert.equal(res.status, 502)
    res = errorResponse(new Error('secret path /home/x'))
    assert.equal(res.status, 500)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    assert.deepEqual(await res.json(), { error: { code: 'internal', message: 'internal error' } })
  })
})
