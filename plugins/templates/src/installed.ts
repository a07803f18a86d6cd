import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { TemplateManifest } from '@goop/sdk'
import { isDir } from './files.js'
import { loadFolder, type LoadedTemplate } from './load.js'
import { MANIFEST_FILE } from './manifest.js'

/**
 * The applied template as the peer keeps it: `<peer>/template/` holds its goop-template.json (as it
 * came), its logic/ files and `applied.json` (when and from where), so the peer loads the logic again
 * on restart without the template's source. The site is `<peer>/site/` itself; the tables live in
 * data.db, marked with the source `template:<name>`.
 */
export const INSTALLED_DIR = 'template'
const APPLIED_FILE = 'applied.json'

export interface AppliedInfo {
  /** ISO time of the apply. */
  appliedAt: string
  /** Where the template came from (a bundled name, a folder or an archive). */
  source: string
}

export interface Installed {
  manifest: TemplateManifest
  template: LoadedTemplate
  applied: AppliedInfo
}

/** The applied template, or null; a damaged copy is an error the caller logs (the peer still runs). */
export async function readInstalled (peerDir: string): Promise<Installed | null> {
  const dir = join(peerDir, INSTALLED_DIR)
  if (!await isDir(dir)) return null
  const template = await loadFolder(dir, dir, { site: false })
  let applied: AppliedInfo = { appliedAt: '', source: '' }
  try {
    const raw = JSON.parse(await readFile(join(dir, APPLIED_FILE), 'utf8')) as Partial<AppliedInfo>
    applied = { appliedAt: typeof raw.appliedAt === 'string' ? raw.appliedAt : '', source: typeof raw.source === 'string' ? raw.source : '' }
  } catch { /* no applied.json (a copy made by hand): the manifest is all that is needed */ }
  return { manifest: template.manifest, template, applied }
}

/** Write the copy of a template (manifest, logic, applied.json) into `dir`, a new folder. */
export async function writeInstalled (dir: string, t: LoadedTemplate, applied: AppliedInfo): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, MANIFEST_FILE), t.manifestText)
  for (const [path, text] of Object.entries(t.logic?.files ?? {})) {
    const file = join(dir, 'logic', path)
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, text)
  }
  await writeFile(join(dir, APPLIED_FILE), JSON.stringify(applied, null, 2) + '\n')
}
