import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { cleanEnv, npmCreate, REPO, remove, shown, tempDir, tree, type Ran } from './helpers.js'

/**
 * The questions give what the flags give. A person at a terminal (a pseudo-terminal made by
 * script(1)), answering each question as it appears, and a script piping its answers (--interactive),
 * end up with the same files, byte for byte, as `--no-interactive` with the equivalent flags.
 */

/**
 * `npm create goop-template ARGS` on a pseudo-terminal: each answer is typed (with Enter) once its
 * question — the text `prompt` — is on the screen.
 */
async function onTerminal (args: string, answers: Array<[prompt: string, answer: string]>): Promise<Ran> {
  const started = performance.now()
  return await new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', `npm create goop-template ${args}`, '/dev/null'], { cwd: REPO, env: cleanEnv({ TERM: 'dumb' }), stdio: ['pipe', 'pipe', 'pipe'], detached: true })
    let stdout = ''
    let screen = ''
    let stderr = ''
    const todo = [...answers]
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8')
      screen += d.toString('utf8')
      const next = todo[0]
      if (next != null && screen.includes(next[0])) {
        todo.shift()
        screen = ''
        child.stdin.write(`${next[1]}\r`)
      }
    })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8') })
    const timer = setTimeout(() => {
      try { process.kill(-(child.pid ?? 0), 'SIGKILL') } catch { /* gone */ }
      reject(new Error(`no end on the terminal; unanswered: ${JSON.stringify(todo)}\n${stdout}`))
    }, 60_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      child.stdin.destroy()
      if (todo.length > 0) reject(new Error(`questions not asked: ${JSON.stringify(todo)}\n${stdout}`))
      else resolve({ code, stdout, stderr, ms: performance.now() - started })
    })
  })
}

describe('interactive mode makes what the flags make', () => {
  let base: string
  before(async () => { base = await tempDir() })
  after(async () => { await remove(base) })

  /** The project's name comes from its folder's: the same folder name under one parent per way. */
  const dirOf = (way: string, name = 'my-quiz'): string => join(base, way, name)

  it('a terminal answered by number, piped answers by name, and the flags: the same files', async () => {
    const flags = await npmCreate(dirOf('flags'), ['--no-interactive', '--runtime', 'lua', '--template', 'quiz'])
    assert.equal(flags.code, 0, shown(flags))
    const expected = await tree(dirOf('flags'))
    assert.ok(expected.some(f => f.startsWith('logic/main.lua ')), 'the quiz\'s logic is there')

    const tty = await onTerminal('', [['Project folder (goop-app): ', dirOf('tty')], ['(js): ', '2'], ['(empty-lua): ', '2']])
    assert.equal(tty.code, 0, shown(tty))
    assert.match(tty.stdout, /Runtime of the logic:/)
    assert.deepEqual(await tree(dirOf('tty')), expected)

    const piped = await npmCreate(null, ['--interactive'], { input: `${dirOf('piped')}\nlua\nquiz\n` })
    assert.equal(piped.code, 0, shown(piped))
    assert.match(piped.stdout, /Starting point:/)
    assert.deepEqual(await tree(dirOf('piped')), expected)
  })

  it('only what the flags leave open is asked; an empty answer, or the end of the input, takes the default', async () => {
    const flags = await npmCreate(dirOf('flags', 'my-app'), ['--no-interactive'])
    assert.equal(flags.code, 0, shown(flags))
    const expected = await tree(dirOf('flags', 'my-app'))

    const tty = await onTerminal(dirOf('tty', 'my-app'), [['(js): ', ''], ['(empty-js): ', '']])
    assert.equal(tty.code, 0, shown(tty))
    assert.doesNotMatch(tty.stdout, /Project folder/)
    assert.deepEqual(await tree(dirOf('tty', 'my-app')), expected)

    const piped = await npmCreate(dirOf('piped', 'my-app'), ['--interactive'], { input: '' })
    assert.equal(piped.code, 0, shown(piped))
    assert.deepEqual(await tree(dirOf('piped', 'my-app')), expected)
  })

  it('an answer that is not a choice is asked again; three are refused with exit code 2 and nothing written', async () => {
    const again = await npmCreate(dirOf('again', 'my-app'), ['--interactive'], { input: 'cobol\n3\n' })
    assert.equal(again.code, 0, shown(again))
    assert.match(again.stdout, /"cobol" is not one of the choices/)
    assert.match(again.stdout, /an empty static app/)

    const refused = await npmCreate(dirOf('refused', 'my-app'), ['--interactive'], { input: 'a\nb\nc\n' })
    assert.equal(refused.code, 2, shown(refused))
    // (npm adds its own "npm error" lines after the scaffolder's one line.)
    assert.equal(refused.stderr.split('\n')[0], 'create-goop-template: no usable answer to "Runtime of the logic": nothing was written')
    assert.deepEqual(await tree(join(base, 'refused')), [])
  })
})
