import { spawnSync } from 'node:child_process'
import { cp, mkdir, readFile, rm, stat, symlink } from 'node:fs/promises'
import { createInterface } from 'node:readline/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { GoopError } from '@goop/sdk'
import { loadConfig, updateConfigFile } from '../config/load.js'
import { builtinPlugins } from '../plugins/builtins.js'
import type { PluginInfo } from '../plugins/host.js'
import { importPlugin, pluginDir } from '../plugins/loader.js'
import { adminCall, runningViewer } from './admin.js'

type Print = (line: string) => void

/** The list from the running peer, or else what goop.json and the built-ins say. */
export async function listPlugins (peerDir: string): Promise<{ running: boolean, plugins: Array<Partial<PluginInfo> & { name: string, enabled: boolean }> }> {
  if (await runningViewer(peerDir) != null) {
    return { running: true, plugins: await adminCall<PluginInfo[]>(peerDir, 'GET', '/plugins') }
  }
  const { config } = await loadConfig(peerDir)
  const names = new Set([...Object.keys(builtinPlugins), ...Object.keys(config.plugins)])
  return {
    running: false,
    plugins: [...names].map(name => ({
      name,
      enabled: config.plugins[name]?.enabled ?? builtinPlugins[name]?.enabledByDefault ?? false,
      source: config.plugins[name]?.from != null ? 'installed' as const : 'builtin' as const
    }))
  }
}

export function printPlugins (list: Awaited<ReturnType<typeof listPlugins>>, print: Print): void {
  if (list.plugins.length === 0) { print('no plugins (goop plugins add NAME|PATH installs one)'); return }
  for (const p of list.plugins) {
    const state = p.state ?? (p.enabled ? 'enabled' : 'disabled')
    print(`${p.name.padEnd(20)} ${(p.version ?? '').padEnd(10)} ${state.padEnd(8)} ${p.source ?? ''}${p.error != null ? `  — ${p.error}` : ''}`)
  }
  if (!list.running) print('(the peer is not running: this is what goop.json says)')
}

async function confirmTrust (name: string, yes: boolean): Promise<boolean> {
  if (yes) return true
  const warning = `plugin ${name} is third-party: it will run with this peer's full rights (its files, its key, its network).`
  if (!process.stdin.isTTY) throw new GoopError('needs_trust', `${warning} Re-run with --yes if you trust its author`)
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await rl.question(`${warning}\nEnable it? [y/N] `)
    return /^y(es)?$/i.test(answer.trim())
  } finally { rl.close() }
}

export async function setPluginEnabled (peerDir: string, name: string, enabled: boolean, yes: boolean, print: Print): Promise<number> {
  const { config } = await loadConfig(peerDir)
  const entry = config.plugins[name]
  if (entry == null && builtinPlugins[name] == null) {
    throw new GoopError('plugin_unknown', `no plugin named ${name} in ${peerDir} (goop plugins list shows them; goop plugins add installs one)`)
  }
  const thirdParty = entry?.from != null
  let trust = false
  if (enabled && thirdParty && entry?.trusted !== true) {
    trust = await confirmTrust(name, yes)
    if (!trust) { print('not enabled'); return 1 }
  }
  if (await runningViewer(peerDir) != null) {
    const info = await adminCall<PluginInfo>(peerDir, 'POST', `/plugins/${encodeURIComponent(name)}/${enabled ? 'enable' : 'disable'}`, enabled ? { trust } : undefined)
    print(`${name}: ${info.state}${info.error != null ? ` — ${info.error}` : ''}`)
    return info.state === 'failed' ? 1 : 0
  }
  await updateConfigFile(peerDir, (raw) => {
    const plugins = (raw.plugins ?? {}) as Record<string, Record<string, unknown>>
    plugins[name] = { ...plugins[name], enabled, ...(trust ? { trusted: true } : {}) }
    raw.plugins = plugins
  })
  print(`${name}: ${enabled ? 'enabled' : 'disabled'} (takes effect when the peer starts)`)
  return 0
}

/** The folder of the @goop/sdk this kernel runs with: installed plugins resolve `@goop/sdk` to it. */
function sdkPackageDir (): string {
  let dir = dirname(fileURLToPath(import.meta.resolve('@goop/sdk')))
  while (!dir.endsWith('sdk') && dirname(dir) !== dir) dir = dirname(dir)
  return dir
}

/**
 * Install a plugin into `<peer>/plugins/`: a folder is copied (without node_modules), a package name
 * is installed with npm. Either way `@goop/sdk` resolves to this kernel's SDK, so the `sdk` range a
 * plugin declares is checked against the SDK it really runs with. The plugin is added disabled.
 */
export async function addPlugin (peerDir: string, what: string, print: Print): Promise<string> {
  await loadConfig(peerDir) // a broken goop.json is reported before anything is copied
  const pluginsDir = join(peerDir, 'plugins')
  await mkdir(join(pluginsDir, 'node_modules', '@goop'), { recursive: true })
  const sdkLink = join(pluginsDir, 'node_modules', '@goop', 'sdk')
  await rm(sdkLink, { force: true, recursive: true })
  await symlink(sdkPackageDir(), sdkLink, 'dir')

  const local = what.startsWith('.') || what.startsWith('/') || (await stat(what).catch(() => undefined))?.isDirectory() === true
  let from: string
  let target: string
  if (local) {
    const source = resolve(what)
    let pkg: { name?: string, dependencies?: Record<string, string> }
    try { pkg = JSON.parse(await readFile(join(source, 'package.json'), 'utf8')) } catch {
      throw new GoopError('plugin_not_found', `${source} is not a plugin package (no readable package.json)`)
    }
    const def = await importPlugin(source)
    target = join(pluginsDir, def.name)
    print(`copying ${source} to ${target}`)
    await rm(target, { recursive: true, force: true })
    await cp(source, target, { recursive: true, filter: (src) => !/[/\\](node_modules|\.git)([/\\]|$)/.test(src.slice(source.length)) })
    const deps = Object.keys(pkg.dependencies ?? {}).filter(d => d !== '@goop/sdk')
    if (deps.length > 0) {
      print(`installing its dependencies: ${deps.join(', ')}`)
      const r = spawnSync('npm', ['install', '--omit=dev', '--omit=peer', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: target, stdio: 'inherit' })
      if (r.status !== 0) throw new GoopError('install_failed', `npm install in ${target} failed`)
    }
    from = `./plugins/${def.name}`
  } else {
    if (!/^(@[a-z0-9._-]+\/)?[a-z0-9._-]+(@[\w.^~<>=*-]+)?$/i.test(what)) throw new GoopError('bad_name', `${what} is neither a folder nor an npm package name`)
    print(`installing ${what} with npm`)
    const r = spawnSync('npm', ['install', '--prefix', pluginsDir, '--omit=peer', '--ignore-scripts', '--no-audit', '--no-fund', what], { stdio: 'inherit' })
    if (r.status !== 0) throw new GoopError('install_failed', `npm install ${what} failed`)
    const pkgName = what.replace(/(?<=.)@.*$/, '')
    from = pkgName
    target = pluginDir(peerDir, pkgName)
  }
  const def = await importPlugin(target)
  await updateConfigFile(peerDir, (raw) => {
    const plugins = (raw.plugins ?? {}) as Record<string, Record<string, unknown>>
    plugins[def.name] = { enabled: false, from }
    raw.plugins = plugins
  })
  print(`added ${def.name}@${def.version} (disabled). Enable it with: goop plugins enable ${def.name} --peer ${peerDir}`)
  print(`note: a plugin runs with this peer's full rights; enable only plugins whose author you trust.`)
  return def.name
}
