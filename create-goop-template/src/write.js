// @ts-check
// The project folder: may it be written (missing, or empty), and writing it.
import { lstatSync, readdirSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/** What a folder holding only these counts as: empty (a fresh `git init` is a fine place to start). */
const IGNORED = new Set(['.git'])

/**
 * @param {string} dir
 * @returns {'missing' | 'empty' | 'not-empty' | 'not-a-folder'}
 */
export function folderState (dir) {
  let st
  try { st = lstatSync(dir) } catch { return 'missing' }
  if (!st.isDirectory()) return 'not-a-folder'
  return readdirSync(dir).every(name => IGNORED.has(name)) ? 'empty' : 'not-empty'
}

/**
 * Why the project cannot go to `dir`, or null.
 * @param {string} dir
 * @param {boolean} overwrite
 * @param {string} shown  the folder as the person wrote it
 * @returns {string | null}
 */
export function folderProblem (dir, overwrite, shown) {
  const state = folderState(dir)
  if (state === 'not-a-folder') return `${shown} exists and is not a folder`
  if (state === 'not-empty' && !overwrite) return `${shown} is not empty: choose another folder, or add --overwrite to replace what is in it`
  return null
}

/**
 * Write the project. With `overwrite`, what the folder held is removed first (but .git).
 * @param {string} dir
 * @param {Map<string, Buffer>} files
 * @param {boolean} overwrite
 */
export async function writeProject (dir, files, overwrite) {
  if (overwrite && folderState(dir) === 'not-empty') {
    for (const name of readdirSync(dir)) {
      if (!IGNORED.has(name)) await rm(join(dir, name), { recursive: true, force: true })
    }
  }
  await mkdir(dir, { recursive: true })
  for (const [path, data] of files) {
    const file = join(dir, ...path.split('/'))
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, data, { flag: 'wx' })
  }
}
