import { resolve } from 'node:path'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { definePlugin, GoopError, isGoopError, type GoopPlugin, type PluginCommand, type PluginContext, type ServiceOf } from '@goop/sdk'
import { adminCall } from './admin.js'
import { initPeer } from './init.js'
import { addPlugin, listPlugins, printPlugins, setPluginEnabled } from './plugins.js'

const DEFAULT_PEER = '.goop/default'
const print = (line: string): void => { process.stdout.write(line + '\n') }

/** Usage errors exit 2 with one line; failures of the work itself exit 1. */
class UsageError extends Error {}

const portArg = (what: string) => (value: string): number => {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError(`${what} must be a port number from 0 to 65535`)
  return n
}

/** A command's peer folder: its positional argument, else --peer, else the default. */
function peerDirOf (positional: string | undefined, opts: { peer?: string }): string {
  if (positional != null && opts.peer != null && resolve(positional) !== resolve(opts.peer)) {
    throw new UsageError(`give the peer folder once (got ${positional} and --peer ${opts.peer})`)
  }
  return resolve(positional ?? opts.peer ?? DEFAULT_PEER)
}

function peerOption (): Option {
  return new Option('--peer <dir>', `the peer folder (default: ${DEFAULT_PEER})`)
}

/** Enabled plugins' CLI subcommands, so the kernel's CLI names no plugin. */
async function pluginCommands (peerDir: string): Promise<Array<{ word: string, plugin: GoopPlugin, command: PluginCommand }>> {
  try {
    const { loadConfig } = await import('../config/load.js')
    const { builtinPlugins } = await import('../plugins/builtins.js')
    const { importPlugin, pluginDir } = await import('../plugins/loader.js')
    const { config } = await loadConfig(peerDir).catch(() => ({ config: undefined }))
    const defs: GoopPlugin[] = []
    // Built-ins ship with goop: their commands are always there (`goop rendezvous DIR` on a new
    // folder); a third-party plugin's only once its owner enabled and trusted it.
    for (const [name, b] of Object.entries(builtinPlugins)) {
      if (config?.plugins[name]?.from == null) defs.push(await b.load())
    }
    for (const [, entry] of Object.entries(config?.plugins ?? {})) {
      if (entry.from != null && entry.enabled && entry.trusted === true) {
        defs.push(await importPlugin(pluginDir(peerDir, entry.from)).catch(() => undefined as never))
      }
    }
    return defs.filter(Boolean).flatMap(plugin => Object.entries(plugin.commands ?? {}).map(([word, command]) => ({ word, plugin, command })))
  } catch {
    return []
  }
}

function scanPeerDir (argv: string[]): string {
  const i = argv.indexOf('--peer')
  if (i >= 0 && argv[i + 1] != null) return resolve(argv[i + 1])
  const eq = argv.find(a => a.startsWith('--peer='))
  return resolve(eq?.slice('--peer='.length) ?? DEFAULT_PEER)
}

/**
 * Run a peer in this process until SIGINT/SIGTERM. Signals are taken from the first moment: one that
 * arrives while the peer is still starting stops it cleanly as soon as it is up.
 */
async function runPeer (peerDir: string, opts: { overrides: Record<string, unknown>, viewerPortIsExplicit: boolean }): Promise<void> {
  let stopRequested: string | undefined
  let onStop: ((signal: string) => void) | undefined
  let forced = false
  const onSignal = (signal: string): void => {
    if (stopRequested != null) {
      if (!forced) { forced = true; process.stderr.write('goop: stopping anyway\n'); process.exit(1) }
      return
    }
    stopRequested = signal
    onStop?.(signal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const { Peer } = await import('../peer.js')
  const peer = await Peer.start({ dir: peerDir, viewerPortIsExplicit: opts.viewerPortIsExplicit, overrides: opts.overrides })
  print(`goop peer "${peer.config.name}" is running`)
  print(`  peer id   ${peer.id}`)
  for (const a of peer.addrs()) print(`  listening ${a}`)
  print(`  viewer    ${peer.viewer?.url ?? '(off)'}`)
  print('press Ctrl+C to stop')
  await new Promise<void>((resolveStop, rejectStop) => {
    onStop = (signal) => {
      print(`${signal}: stopping…`)
      peer.stop().then(() => { print('stopped'); resolveStop() }, rejectStop)
    }
    if (stopRequested != null) onStop(stopRequested)
  })
}

/**
 * A plugin command's `tools.withPeer`: the peer started in this process for one piece of work (no
 * viewer, loopback only, no mDNS or rendezvous), with a bridge plugin that requires the services the
 * command asked for and hands them over; stopped afterwards.
 */
async function withPeer<T> (peerDir: string, requires: string[], fn: (use: <K extends string>(name: K) => ServiceOf<K>) => Promise<T>): Promise<T> {
  const { existsSync } = await import('node:fs')
  if (!existsSync(`${peerDir}/goop.json`)) throw new GoopError('bad_request', `${peerDir} is not a goop peer (no goop.json): give its folder with --peer DIR`)
  let ctx: PluginContext | undefined
  const bridge = definePlugin({ name: 'goop-cli', version: '1.0.0', sdk: '^1.3.0', requires, setup (c) { ctx = c } })
  const problems: string[] = []
  const { Peer } = await import('../peer.js')
  const peer = await Peer.start({
    dir: peerDir,
    viewer: false,
    plugins: [bridge],
    log: { level: 'error', write: (line) => { problems.push(line) } },
    overrides: {
      network: { host: '127.0.0.1', port: 0, mdns: false, autonat: false, dcutr: false, relayClient: false },
      presence: { rendezvous: [], lan: false }
    }
  })
  try {
    const got = ctx
    if (got == null) {
      throw new GoopError('unavailable', `the peer in ${peerDir} cannot give ${requires.join(', ')}${problems.length > 0 ? `: ${problems.join('; ')}` : ' (are their plugins enabled?)'}`)
    }
    return await fn(name => got.use(name))
  } finally {
    await peer.stop()
  }
}

export async function main (argv: string[]): Promise<number> {
  const program = new Command('goop')
    .description('goop — a peer-to-peer platform for the ephemeral web')
    .version((await import('@goop/sdk')).SDK_VERSION, '-v, --version', 'print the SDK version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: (s) => { process.stderr.write(s) }, outputError: (s, write) => { write(s.replace(/^error: /, 'goop: ')) } })
  let exitCode = 0

  program.command('init')
    .description('create a peer folder: goop.json, identity.key and a starter site/')
    .argument('[dir]', 'the peer folder')
    .addOption(peerOption())
    .option('--name <name>', 'display name shown to other peers')
    .action(async (dir: string | undefined, opts: { peer?: string, name?: string }) => {
      const created = await initPeer(peerDirOf(dir, opts), opts.name)
      print(`created peer ${created.peerId} in ${created.dir}`)
      print(`start it with: goop start ${created.dir}`)
    })

  program.command('start')
    .description('run a peer: its libp2p node, plugins and viewer')
    .argument('[dir]', 'the peer folder')
    .addOption(peerOption())
    .addOption(new Option('--port <n>', 'libp2p TCP listen port (0 = any)').argParser(portArg('--port')))
    .addOption(new Option('--viewer-port <n>', 'viewer HTTP port (default 8080)').argParser(portArg('--viewer-port')))
    .option('--no-mdns', 'do not look for peers on the LAN with mDNS')
    .option('--rendezvous <url>', 'a rendezvous server URL (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--init', 'create the peer folder first if it is not one yet')
    .action(async (dir: string | undefined, opts: { peer?: string, port?: number, viewerPort?: number, mdns: boolean, rendezvous: string[], init?: boolean }) => {
      const peerDir = peerDirOf(dir, opts)
      const { stat } = await import('node:fs/promises')
      if (await stat(`${peerDir}/goop.json`).catch(() => undefined) == null) {
        if (opts.init !== true) throw new UsageError(`${peerDir} is not a goop peer (no goop.json): run goop init ${peerDir}, or add --init`)
        const created = await initPeer(peerDir)
        print(`created a new peer in ${created.dir}`)
      }
      await runPeer(peerDir, {
        viewerPortIsExplicit: opts.viewerPort != null,
        overrides: {
          network: { ...(opts.port != null ? { port: opts.port } : {}), ...(opts.mdns ? {} : { mdns: false }) },
          viewer: opts.viewerPort != null ? { port: opts.viewerPort } : undefined,
          presence: opts.rendezvous.length > 0 ? { rendezvous: opts.rendezvous } : undefined
        }
      })
    })

  program.command('id')
    .description('print the peer ID of a peer folder')
    .argument('[dir]', 'the peer folder')
    .addOption(peerOption())
    .action(async (dir: string | undefined, opts: { peer?: string }) => {
      const peerDir = peerDirOf(dir, opts)
      const { stat } = await import('node:fs/promises')
      if (await stat(`${peerDir}/identity.key`).catch(() => undefined) == null) {
        throw new UsageError(`${peerDir} has no identity.key: run goop init ${peerDir}`)
      }
      const { loadOrCreateIdentity, peerIdOf } = await import('../identity.js')
      print(peerIdOf((await loadOrCreateIdentity(`${peerDir}/identity.key`)).key))
    })

  const plugins = program.command('plugins').description('list, add, enable and disable plugins of a peer (live if it runs)')
  plugins.command('list')
    .description('the plugins of a peer and their state')
    .addOption(peerOption())
    .option('--json', 'print JSON')
    .action(async (opts: { peer?: string, json?: boolean }) => {
      const list = await listPlugins(peerDirOf(undefined, opts))
      if (opts.json === true) print(JSON.stringify(list.plugins, null, 2))
      else printPlugins(list, print)
    })
  for (const action of ['enable', 'disable'] as const) {
    const cmd = plugins.command(action)
      .description(`${action} a plugin (on a running peer: at once, without a restart)`)
      .argument('<name>', 'the plugin')
      .addOption(peerOption())
    if (action === 'enable') cmd.option('-y, --yes', 'trust a third-party plugin without asking')
    cmd.action(async (name: string, opts: { peer?: string, yes?: boolean }) => {
      exitCode = await setPluginEnabled(peerDirOf(undefined, opts), name, action === 'enable', opts.yes === true, print)
    })
  }
  plugins.command('add')
    .description('install a third-party plugin into <peer>/plugins/ (added disabled)')
    .argument('<name-or-path>', 'an npm package name or a plugin folder')
    .addOption(peerOption())
    .action(async (what: string, opts: { peer?: string }) => {
      await addPlugin(peerDirOf(undefined, opts), what, print)
    })

  const first = argv[0]
  const kernelWords = new Set(['init', 'start', 'id', 'plugins'])
  if (first == null || !kernelWords.has(first)) {
    const peerDir = scanPeerDir(argv)
    const contributed = await pluginCommands(peerDir)
    for (const { word, plugin, command } of contributed) {
      if (kernelWords.has(word) || program.commands.some(c => c.name() === word)) continue
      program.command(word)
        .description(`${command.summary} (plugin ${plugin.name})`)
        .usage(command.usage?.replace(/^goop \S+ ?/, '') ?? '[args...]')
        .allowUnknownOption(true)
        .allowExcessArguments(true)
        .helpOption(false)
        .argument('[args...]')
        .action(async (args: string[]) => {
          if (args.includes('--help') || args.includes('-h')) { print(`Usage: ${command.usage ?? `goop ${word} [args...]`}\n\n${command.summary}`); return }
          const rest = [...args]
          const i = rest.indexOf('--peer')
          if (i >= 0) rest.splice(i, 2)
          const code = await command.run(rest.filter(a => !a.startsWith('--peer=')), {
            peerDir,
            admin: async (method, path, body) => await adminCall(peerDir, method, path, body),
            print,
            withPeer: async (requires, fn) => await withPeer(peerDir, requires, fn),
            runPeer: async ({ dir, enable = {}, port, mdns }) => {
              const runDir = resolve(dir ?? peerDir)
              const { stat } = await import('node:fs/promises')
              if (await stat(`${runDir}/goop.json`).catch(() => undefined) == null) await initPeer(runDir)
              await runPeer(runDir, {
                viewerPortIsExplicit: false,
                overrides: {
                  network: { ...(port != null ? { port } : {}), ...(mdns === false ? { mdns: false } : {}) },
                  plugins: Object.fromEntries(Object.entries(enable).map(([name, e]) => [name, { enabled: true, ...(e.config != null ? { config: e.config } : {}) }]))
                }
              })
            }
          })
          if (typeof code === 'number') exitCode = code
        })
    }
  }
  if (first == null) { program.outputHelp(); return 2 }

  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2
    }
    if (err instanceof UsageError) { process.stderr.write(`goop: ${err.message}\n`); return 2 }
    if (isGoopError(err)) {
      process.stderr.write(`goop: ${err.message}\n`)
      return err.code === 'bad_request' || err.code === 'bad_name' ? 2 : 1
    }
    process.stderr.write(`goop: ${(err as Error)?.stack ?? String(err)}\n`)
    return 1
  }
  return exitCode
}

main(process.argv.slice(2)).then((code) => { process.exit(code) }, (err: unknown) => {
  process.stderr.write(`goop: ${(err as Error)?.message ?? String(err)}\n`)
  process.exit(1)
})
