// @ts-check
// Questions on a terminal, or answers piped in one per line (--interactive): node's readline, no
// prompt library — the scaffolder installs nothing and starts at once. Lines are read through
// readline's async iterator, which buffers them: answers that arrive before their question (a pipe
// writes them all at once) are not lost, as they would be with rl.question().
import { createInterface } from 'node:readline'

/** Ctrl+C at a question: nothing has been written yet, and nothing will be. */
export class Cancelled extends Error {
  constructor () {
    super('cancelled: nothing was written')
    this.name = 'Cancelled'
  }
}

/**
 * @typedef {object} Asker
 * @property {(question: string) => Promise<string | null>} ask  one answer, trimmed; null when the input has ended
 * @property {(line: string) => void} say
 * @property {() => void} close
 */

/**
 * @param {NodeJS.ReadableStream & { isTTY?: boolean }} input
 * @param {NodeJS.WritableStream & { isTTY?: boolean }} output
 * @returns {Asker}
 */
export function createAsker (input, output) {
  const terminal = input.isTTY === true && output.isTTY === true
  const rl = createInterface({ input, output, terminal })
  const lines = rl[Symbol.asyncIterator]()
  /** @type {(err: Error) => void} */
  let cancel = () => {}
  const cancelled = new Promise((_resolve, reject) => { cancel = reject })
  cancelled.catch(() => {})
  rl.on('SIGINT', () => { output.write('\n'); cancel(new Cancelled()) })
  return {
    async ask (question) {
      rl.setPrompt(question)
      rl.prompt()
      const next = await Promise.race([lines.next(), cancelled])
      if (next.done === true) { output.write('\n'); return null }
      const answer = String(next.value).trim()
      // Piped answers are not echoed by a terminal: show them, so the transcript reads as a dialogue.
      if (!terminal) output.write(`${answer}\n`)
      return answer
    },
    say (line) { output.write(`${line}\n`) },
    close () {
      rl.close()
      // Let the process end: a piped stdin that is still open would keep it waiting.
      if ('pause' in input && typeof input.pause === 'function') input.pause()
    }
  }
}

/**
 * @template {string} T
 * @typedef {{ value: T, label: string }} Choice
 */

/** How many times a question is asked again after an answer that is not one of its choices. */
const TRIES = 3

/**
 * One of `choices`, by number or by value; an empty answer (or the end of the input) is `def`.
 * @template {string} T
 * @param {Asker} asker
 * @param {string} title
 * @param {Choice<T>[]} choices
 * @param {T} def
 * @returns {Promise<T>}
 */
export async function choose (asker, title, choices, def) {
  const width = Math.max(...choices.map(c => c.value.length))
  asker.say(title)
  choices.forEach((c, i) => { asker.say(`  ${String(i + 1).padStart(2)}) ${c.value.padEnd(width)}  ${c.label}`) })
  for (let n = 0; n < TRIES; n++) {
    const answer = await asker.ask(`Your choice [1-${choices.length} or a name] (${def}): `)
    if (answer == null || answer === '') return def
    const byNumber = /^\d+$/.test(answer) ? choices[Number(answer) - 1] : undefined
    const found = byNumber ?? choices.find(c => c.value === answer)
    if (found != null) return found.value
    asker.say(`  ${JSON.stringify(answer)} is not one of the choices`)
  }
  throw new NoAnswer(title)
}

/**
 * A line of text; an empty answer (or the end of the input) is `def`. `check` returns why an answer
 * will not do (it is asked again), or null.
 * @param {Asker} asker
 * @param {string} question
 * @param {string} def
 * @param {(answer: string) => string | null} check
 * @returns {Promise<string>}
 */
export async function text (asker, question, def, check) {
  for (let n = 0; n < TRIES; n++) {
    const got = await asker.ask(`${question} (${def}): `)
    const answer = got == null || got === '' ? def : got
    const problem = check(answer)
    if (problem == null) return answer
    asker.say(`  ${problem}`)
    if (got == null) break // the input has ended: asking again would get the same default
  }
  throw new NoAnswer(question)
}

/** The question got no usable answer after a few tries. */
export class NoAnswer extends Error {
  /** @param {string} question */
  constructor (question) {
    super(`no usable answer to "${question.replace(/:$/, '')}": nothing was written`)
    this.name = 'NoAnswer'
  }
}
