import { lstatSync, readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { GoopError } from '@goop/sdk'

export interface BackupEntry {
  /** The file's name inside `<peer>/backups/`: what `restore` takes. */
  file: string
  size: number
  /** Epoch ms. */
  mtime: number
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/

/**
 * The path of backup `file` inside `dir`. Only a plain file name is accepted, never a path (`../`,
 * `/etc/…`, a folder, a link), so a restore can only ever read what the data plugin itself wrote.
 */
export function backupPath (dir: string, file: unknown): string {
  if (typeof file !== 'string' || !NAME.test(file) || file !== basename(file) || file.includes('..')) {
    throw new GoopError('bad_request', 'give the name of a file in backups/ (a plain name such as the one a drop or a forced apply reported; no folders or paths)', 400)
  }
  const path = join(dir, file)
  let st
  try { st = lstatSync(path) } catch { throw new GoopError('not_found', `there is no backup named ${file}`, 404) }
  if (!st.isFile()) throw new GoopError('not_found', `${file} is not a backup file`, 404)
  return path
}

/** The backups in `dir`, newest first. */
export function listBackups (dir: string): BackupEntry[] {
  let names: string[]
  try { names = readdirSync(dir) } catch { return [] }
  const out: BackupEntry[] = []
  for (const file of names) {
    if (!NAME.test(file) || file.endsWith('.tmp')) continue // .tmp: a backup being written (or one that never finished)
    try {
      const st = lstatSync(join(dir, file))
      if (st.isFile()) out.push({ file, size: st.size, mtime: Math.round(st.mtimeMs) })
    } catch { /* gone meanwhile */ }
  }
  return out.toSorted((a, b) => b.mtime - a.mtime || (a.file < b.file ? 1 : -1))
}

/** What the engine reports as a path, named as the user gives it back: the file name inside backups/. */
export const backupName = (path: string): string => basename(path)
