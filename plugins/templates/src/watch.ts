import { watch, type FSWatcher } from 'node:fs'
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * Watch a folder and every folder under it, one plain (non-recursive) `fs.watch` per folder.
 *
 * Not `fs.watch(root, { recursive: true })`: on Linux, Node 20 implements that by watching each file,
 * and a file an editor saves by writing a new file and renaming it over the old one (vim, sed -i,
 * "safe write" editors) is not watched any more after that first save — later edits went unseen. A
 * folder's own watch reports changes to whatever file holds the name now.
 *
 * New folders are picked up by `rescan()` (the dev loop calls it before each apply); a folder that is
 * gone has its watch closed then, and one replaced by another of the same name (a different inode:
 * the old watch follows the old folder) is watched afresh.
 */

export interface TreeWatcher {
  /** Watch the folders there are now (new ones added, gone ones dropped). */
  rescan(): Promise<void>
  close(): void
}

/** Folders watched per tree, at most (a template's site holds at most 5,000 files). */
const MAX_DIRS = 2_000

/** The folders under `root` (itself included), each with its inode. Links are not followed. */
async function folders (root: string): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  const queue = [root]
  while (queue.length > 0 && out.size < MAX_DIRS) {
    const dir = queue.shift() as string
    try {
      const st = await lstat(dir)
      if (!st.isDirectory()) continue
      const entries = await readdir(dir, { withFileTypes: true })
      out.set(dir, st.ino)
      for (const e of entries) if (e.isDirectory()) queue.push(join(dir, e.name))
    } catch { /* gone meanwhile */ }
  }
  return out
}

export function watchTree (root: string, onChange: () => void): TreeWatcher {
  const watched = new Map<string, { w: FSWatcher, ino: number }>()
  let closed = false
  return {
    async rescan () {
      const now = await folders(root)
      if (closed) return
      for (const [dir, x] of watched) {
        if (now.get(dir) !== x.ino) { x.w.close(); watched.delete(dir) }
      }
      for (const [dir, ino] of now) {
        if (watched.has(dir)) continue
        try {
          const w = watch(dir, onChange)
          // A folder removed under its watch errors on some systems: the next rescan drops it.
          w.on('error', () => { w.close(); if (watched.get(dir)?.w === w) watched.delete(dir); onChange() })
          watched.set(dir, { w, ino })
        } catch { /* gone between the scan and the watch: the next rescan sees it */ }
      }
    },
    close () {
      closed = true
      for (const x of watched.values()) x.w.close()
      watched.clear()
    }
  }
}
