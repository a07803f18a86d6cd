import { randomBytes } from 'node:crypto'
import { rename, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fail } from './errors.js'
import { walk } from './files.js'
import { loadFolder, TEMPLATE_LIMITS } from './load.js'
import { MANIFEST_FILE } from './manifest.js'
import { packEntries, templateEntries } from './pack.js'

export interface BuiltArchive {
  /** The archive written (absolute). */
  file: string
  name: string
  version: string
  /** Files in it (the manifest included). */
  files: number
  bytes: number
}

/** The archive's default name: `NAME-VERSION.goop.tgz`, the name `goop template apply` and the catalog expect. */
export const archiveName = (name: string, version: string): string => `${name}-${version}.goop.tgz`

/**
 * Write a template folder as `NAME-VERSION.goop.tgz` (in the folder, or at `out`): its manifest,
 * `site/` and, for lua and js, `logic/`. The folder is read with the same checks and limits as an
 * apply (manifest schema, no links, sizes), so an archive that is written is one the reader takes.
 * Compiling the logic is the runtime's job: `goop template build` checks through a peer first.
 */
export async function buildArchive (dir: string, out?: string): Promise<BuiltArchive> {
  const t = await loadFolder(resolve(dir))
  const parts = [{ folder: 'site', ...t.site }]
  if (t.manifest.logic != null) {
    const logic = await walk(join(t.dir, 'logic'), `${t.source}/logic`, { files: TEMPLATE_LIMITS.logicFiles, bytes: TEMPLATE_LIMITS.logicBytes })
    parts.push({ folder: 'logic', ...logic })
  }
  const entries = templateEntries(t.dir, MANIFEST_FILE, parts)
  const bytes = await packEntries(entries)
  if (bytes.length > TEMPLATE_LIMITS.archiveBytes) fail('bad_template', `${t.source} packs to more than ${TEMPLATE_LIMITS.archiveBytes / 1024 / 1024} MiB`)
  const file = resolve(out ?? join(t.dir, archiveName(t.manifest.name, t.manifest.version)))
  // Written next to its place and renamed: a build that fails half-way never leaves half an archive.
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(tmp, bytes)
    await rename(tmp, file)
  } catch (err) {
    await rm(tmp, { force: true })
    fail('bad_request', `cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  return { file, name: t.manifest.name, version: t.manifest.version, files: entries.filter(e => e.kind === 'file').length, bytes: bytes.length }
}
