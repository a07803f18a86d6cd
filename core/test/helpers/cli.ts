import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The real `goop` command, as built (the test runner builds first): what `npx goop` runs. */
export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'goop.js')

export interface Run { code: number | null, stdout: string, stderr: string }

/**
 * Run a CLI command to its end, with no TTY on stdin. Killed after `ms`, so a command that should
 * have failed fails the test instead of stalling the suite.
 */
export function goop (args: string[], cwd: string, ms = 30_000, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => { child.kill('SIGKILL') }, ms)
    child.on('error', reject)
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}
