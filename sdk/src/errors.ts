/**
 * An error with a stable machine-readable code. Thrown by handlers, it crosses the wire as an error
 * frame with the same code and message; any other error is answered with code `internal` and a
 * generic message, so a handler's internals never leak to a remote peer.
 */
export class GoopError extends Error {
  readonly code: string
  readonly status: number
  constructor (code: string, message: string, status = 400) {
    super(message)
    this.name = 'GoopError'
    this.code = code
    this.status = status
  }
}

export function isGoopError (err: unknown): err is GoopError {
  return err instanceof Error && typeof (err as GoopError).code === 'string' && (err as Error).name === 'GoopError'
}
