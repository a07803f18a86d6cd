import { readFile, stat } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { GoopError, isGoopPlugin, type GoopPlugin } from '@goop/sdk'

/** Running from TypeScript sources (tests, `npm run bench`): prefer a package's `development` export. */
const developmentMode = process.execArgv.some(a => a.includes('development')) ||
  (process.env.NODE_OPTIONS ?? '').includes('conditions=development')

function pickExport (exp: unknown): string | undefined {
  if (typeof exp === 'string') return exp
  if (typeof exp !== 'object' || exp === null) return undefined
  const map = exp as Record<string, unknown>
  if ('.' in map) return pickExport(map['.'])
  for (const cond of [...(developmentMode ? ['development'] : []), 'import', 'node', 'default']) {
    if (cond in map) {
      const picked = pickExport(map[cond])
      if (picked != null) return picked
    }
  }
  return undefined
}

/** The entry file of a package folder, by its package.json `exports` (or `main`). */
export async function packageEntry (dir: string): Promise<string> {
  let pkg: Record<string, unknown>
  try {
    pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'))
  } catch (err: any) {
    throw new GoopError('plugin_not_found', `no readable package.json in ${dir} (${err?.code ?? err?.message})`)
  }
  const rel = pickExport(pkg.exports) ?? (typeof pkg.main === 'string' ? pkg.main : 'index.js')
  const entry = resolve(dir, rel)
  if (!entry.startsWith(resolve(dir))) throw new GoopError('plugin_invalid', `${dir}/package.json points outside its folder`)
  return entry
}

/** Where a configured plugin's package lives: a path (relative to the peer folder) or an installed package. */
export function pluginDir (peerDir: string, from: string): string {
  if (from.startsWith('.') || isAbsolute(from)) return resolve(peerDir, from)
  return join(peerDir, 'plugins', 'node_modules', from)
}

export async function importPlugin (dir: string): Promise<GoopPlugin> {
  const s = await stat(dir).catch(() => undefined)
  if (s == null || !s.isDirectory()) throw new GoopError('plugin_not_found', `plugin folder ${dir} does not exist (install it with goop plugins add)`)
  const entry = await packageEntry(dir)
  let mod: Record<string, unknown>
  try {
    mod = await import(pathToFileURL(entry).href)
  } catch (err: any) {
    throw new GoopError('plugin_load_failed', `cannot load ${entry}: ${err?.message ?? err}`)
  }
  const plugin = mod.default
  if (!isGoopPlugin(plugin)) throw new GoopError('plugin_invalid', `${entry} does not export (as default) a plugin made with definePlugin`)
  return plugin
}
