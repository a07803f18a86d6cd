import { GoopError } from '@goop/sdk'

/**
 * The request's body as JSON, read up to `maxBytes` (a bigger one is refused as soon as it is known
 * to be: by its Content-Length, else while reading).
 */
export async function readJson (req: Request, maxBytes: number): Promise<unknown> {
  const tooLarge = (): GoopError => new GoopError('too_large', `the request body is over ${maxBytes} bytes`, 413)
  const declared = req.headers.get('content-length')
  if (declared != null && Number(declared) > maxBytes) throw tooLarge()
  const parts: Uint8Array[] = []
  let size = 0
  const reader = req.body?.getReader()
  if (reader != null) {
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        size += value.byteLength
        if (size > maxBytes) throw tooLarge()
        parts.push(value)
      }
    } finally {
      await reader.cancel().catch(() => {})
    }
  }
  if (size === 0) throw new GoopError('bad_request', 'the request body is empty: send JSON', 400)
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8'))
  } catch (err) {
    throw new GoopError('bad_request', `the request body is not JSON: ${(err as Error).message}`, 400)
  }
}
