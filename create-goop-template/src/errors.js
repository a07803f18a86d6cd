// @ts-check

/**
 * What the person asked for cannot be done as asked (a bad flag, an unknown template, a folder that
 * is not empty): one line on stderr and exit code 2, and nothing is written. Anything else that
 * fails (a disk that is full) is exit code 1.
 */
export class UsageError extends Error {
  /** @param {string} message */
  constructor (message) {
    super(message)
    this.name = 'UsageError'
  }
}
