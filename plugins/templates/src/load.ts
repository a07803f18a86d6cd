import { randomBytes } from 'node:crypto'
import { mkdir, readFile, realpath, rm, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { GoopError, isGoopError, type LogicLimits, type LogicModule, type LogicRuntime, type LogicSource, type TemplateManifest } from '@goop/sdk'
import { fail } from './errors.js'
import { isDir, isFile, walk, type Walked } from './files.js'
import { isLogicPath, MANIFEST_FILE, MAX_MANIFEST_BYTES, parseManifest } from './manifest.js'
import { unpackTemplate } from './tar.js'

/** What one template may hold. */
export const TEMPLATE_LIMITS = Object.freeze({
  siteFiles: 5_000,
  siteBytes: 100 * 1024 * 1024,
  logicFiles: 500,
  logicBytes: 8 * 1024 * 1024,
  /** An archive: its compressed size, and what it unpacks to. */
  archiveBytes: 50 * 1024 * 1024,
  unpackedBytes: 200 * 1024 * 1024
})

/** A template read from a folder or an archive and checked, not yet applied. */
export interface LoadedTemplate {
  /** Where it came from, as given (a folder, an archive, or a bundled template's folder). */
  source: string
  /** The folder its files are read from (an archive's is a temporary one). */
  dir: string
  manifest: TemplateManifest
  /** The manifest's text as it was (copied into `<peer>/template/`). */
  manifestText: string
  /** The logic as a runtime takes it (none for `static`). */
  logic?: LogicSource
  site: Walked
  /** Remove what loading made (an unpacked archive). */
  cleanup(): Promise<void>
}

export const isArchive = (path: string): boolean => /\.(?:goop\.)?tgz$|\.tar\.gz$/.test(path)

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The logic/ files as text, by path relative to logic/. */
async function readLogic (dir: string, label: string, entry: string): Promise<LogicSource> {
  const logicDir = join(dir, 'logic')
  if (!await isDir(logicDir)) fail('bad_template', `${label}: the manifest names logic.entry ${JSON.stringify(entry)} but there is no logic/ folder`)
  const walked = await walk(logicDir, `${label}/logic`, { files: TEMPLATE_LIMITS.logicFiles, bytes: TEMPLATE_LIMITS.logicBytes })
  const files: Record<string, string> = Object.create(null) as Record<string, string>
  for (const path of walked.files) {
    if (!isLogicPath(path)) fail('bad_template', `${label}/logic/${path}: logic file names are letters, digits, . _ and - (rename it)`)
    try {
      files[path] = utf8.decode(await readFile(join(logicDir, path)))
    } catch {
      fail('bad_template', `${label}/logic/${path} is not UTF-8 text: logic/ holds source code only`)
    }
  }
  if (files[entry] == null) fail('bad_template', `${label}/${MANIFEST_FILE}: logic.entry names logic/${entry}, which does not exist`)
  return { files: { ...files }, entry }
}

/**
 * Read and check a template folder: the manifest (JSON with line and column, the schema with the
 * field's path and line, the sdk range), `site/`, the logic files and their entry. Nothing here
 * touches a peer.
 */
export async function loadFolder (folder: string, source = folder, opts: { site?: boolean } = {}): Promise<LoadedTemplate> {
  const label = source
  // The folder itself may be a link (e.g. <peer>/templates/blog → the author's working copy); nothing inside it may.
  let dir: string
  try { dir = await realpath(folder) } catch { fail('bad_template', `${source} is not a template folder (or a .goop.tgz archive)`) }
  const manifestPath = join(dir, MANIFEST_FILE)
  if (!await isDir(dir)) fail('bad_template', `${source} is not a template folder (or a .goop.tgz archive)`)
  if (!await isFile(manifestPath)) fail('bad_template', `${label} has no ${MANIFEST_FILE}: it is not a template folder`)
  if ((await stat(manifestPath)).size > MAX_MANIFEST_BYTES) fail('bad_template', `${label}/${MANIFEST_FILE} is over ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB`)
  const manifestText = await readFile(manifestPath, 'utf8')
  const manifest = parseManifest(manifestText, `${label}/${MANIFEST_FILE}`)
  let site: Walked = { files: [], dirs: [], bytes: 0 }
  // The copy a peer keeps in <peer>/template/ has no site/: the site is <peer>/site/ itself.
  if (opts.site !== false) {
    if (!await isDir(join(dir, 'site'))) fail('bad_template', `${label} has no site/ folder: a template's pages go there`)
    site = await walk(join(dir, 'site'), `${label}/site`, { files: TEMPLATE_LIMITS.siteFiles, bytes: TEMPLATE_LIMITS.siteBytes })
  }
  const logic = manifest.logic != null ? await readLogic(dir, label, manifest.logic.entry) : undefined
  return { source, dir, manifest, manifestText, logic, site, cleanup: async () => {} }
}

/** Unpack an archive into `scratch` (a folder of the plugin's own) and read it as a folder. */
export async function loadArchive (file: string, scratch: string): Promise<LoadedTemplate> {
  let size: number
  try { size = (await stat(file)).size } catch { fail('not_found', `there is no file ${file}`) }
  if (size > TEMPLATE_LIMITS.archiveBytes) fail('bad_template', `${file} is over ${TEMPLATE_LIMITS.archiveBytes / 1024 / 1024} MiB`)
  const dest = join(scratch, `unpack-${randomBytes(6).toString('hex')}`)
  await mkdir(dest, { recursive: true })
  const cleanup = async (): Promise<void> => { await rm(dest, { recursive: true, force: true }) }
  try {
    const root = await unpackTemplate(await readFile(file), basename(file), dest, { bytes: TEMPLATE_LIMITS.unpackedBytes, files: TEMPLATE_LIMITS.siteFiles + TEMPLATE_LIMITS.logicFiles + 16 })
    const loaded = await loadFolder(root, file)
    return { ...loaded, cleanup }
  } catch (err) {
    await cleanup()
    throw err
  }
}

/** A folder or an archive. */
export async function loadTemplate (path: string, scratch: string): Promise<LoadedTemplate> {
  return isArchive(path) && await isFile(path) ? await loadArchive(path, scratch) : await loadFolder(path)
}

export interface LimitDefaults { memoryMb: number, callTimeoutMs: number, maxMemoryMb: number, maxCallTimeoutMs: number }

/** The sandbox limits: what the manifest asks for, within what the owner's config allows. */
export function limitsOf (manifest: TemplateManifest, d: LimitDefaults): LogicLimits {
  const mb = Math.min(manifest.logic?.memoryMb ?? d.memoryMb, d.maxMemoryMb)
  return { memoryBytes: mb * 1024 * 1024, callTimeoutMs: Math.min(manifest.logic?.callTimeoutMs ?? d.callTimeoutMs, d.maxCallTimeoutMs) }
}

/**
 * Compile the logic in its runtime (Lua syntax, JS/TS through esbuild): a template whose code does
 * not build is refused here, with the runtime's file and line, before the peer is touched.
 */
export async function loadLogic (t: { manifest: TemplateManifest, logic?: LogicSource, source: string }, runtime: LogicRuntime | undefined, limits: LogicLimits): Promise<LogicModule | undefined> {
  if (t.logic == null) return undefined
  if (runtime == null) fail('bad_template', `${t.source}: runtime ${t.manifest.runtime} is not available on this peer (enable the ${t.manifest.runtime} plugin)`)
  try {
    return await runtime.load(t.logic, limits)
  } catch (err) {
    if (!isGoopError(err)) throw err
    // The runtime names the file inside logic/ ("main.lua:5: …"): make it the path the author opens.
    const message = /^[\w./-]+:\d+/.test(err.message) ? `${t.source}/logic/${err.message}` : `${t.source}/logic: ${err.message}`
    throw new GoopError(err.code, message, err.code === 'bad_logic' ? 400 : err.status)
  }
}
