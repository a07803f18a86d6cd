import { readdir } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isGoopError, TEMPLATE_NAME_PATTERN } from '@goop/sdk'
import { fail } from './errors.js'
import { isDir, isFile } from './files.js'
import { isArchive, loadTemplate, type LoadedTemplate } from './load.js'
import { MANIFEST_FILE } from './manifest.js'
import type { Listed, TemplateSummary } from './api-types.js'

/** Entries of a templates folder looked at, at most. */
const MAX_LISTED = 200

export function summaryOf (t: LoadedTemplate): TemplateSummary {
  const m = t.manifest
  return { name: m.name, title: m.title, description: m.description, runtime: m.runtime, version: m.version, path: t.source }
}

/**
 * The folder of the bundled templates: the `@goop/templates` package, found through module
 * resolution (so it is right from the sources, from dist/ and from core's one-file bundle alike).
 */
export function bundledDir (): string | undefined {
  try {
    return dirname(fileURLToPath(import.meta.resolve('@goop/templates')))
  } catch {
    return undefined
  }
}

/** The owner's own templates: folders (or .goop.tgz archives) in `<peer>/templates/`. */
export const localDir = (peerDir: string): string => join(peerDir, 'templates')

/** The templates in `dir` (each a folder with a manifest, or an archive), read and checked; broken ones with their error. */
export async function listDir (dir: string | undefined, scratch: string): Promise<Listed[]> {
  if (dir == null || !await isDir(dir)) return []
  const names = (await readdir(dir)).toSorted().slice(0, MAX_LISTED)
  const out: Listed[] = []
  for (const name of names) {
    const path = join(dir, name)
    // A folder with a manifest (the folder may be a link to one), or an archive.
    const candidate = await isFile(join(path, MANIFEST_FILE)) || (isArchive(name) && await isFile(path))
    if (!candidate) continue
    try {
      const t = await loadTemplate(path, scratch)
      await t.cleanup()
      out.push(summaryOf(t))
    } catch (err) {
      out.push({ path, error: isGoopError(err) ? err.message : (err as Error).message })
    }
  }
  return out
}

/**
 * Where a template named by the owner is: a bare name (`blog`: letters, digits, dashes) is looked up
 * in `<peer>/templates/` first (a folder or `NAME.goop.tgz`), then among the bundled ones; anything
 * else is a path (a folder or an archive; a relative one is taken from `cwd`). To apply a folder that
 * happens to be named like a template, write it as a path (`./blog`).
 */
export async function locate (nameOrPath: string, peerDir: string, cwd = process.cwd()): Promise<string> {
  if (typeof nameOrPath !== 'string' || nameOrPath === '' || nameOrPath.length > 4096 || nameOrPath.includes('\0')) {
    fail('bad_request', 'give a template name (e.g. blog) or the path of a template folder or .goop.tgz archive')
  }
  if (!TEMPLATE_NAME_PATTERN.test(nameOrPath)) return resolve(cwd, nameOrPath)
  const candidates = [join(localDir(peerDir), nameOrPath), join(localDir(peerDir), `${nameOrPath}.goop.tgz`)]
  const bundled = bundledDir()
  if (bundled != null) candidates.push(join(bundled, nameOrPath))
  for (const c of candidates) {
    if (await isFile(join(c, MANIFEST_FILE)) || (isArchive(c) && await isFile(c))) return c
  }
  fail('not_found', `there is no template named ${nameOrPath} (neither in ${localDir(peerDir)} nor among the bundled ones; goop template list shows them)`)
}
