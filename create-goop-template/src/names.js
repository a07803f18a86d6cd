// @ts-check
// The project's name, from its folder: it becomes the template's `name` (goop-template.json: a–z,
// 0–9 and -, starting with a letter, at most 63) and the package's name, so the two always agree.

export const DEFAULT_DIR = 'goop-app'

/** The same rule as the SDK's TEMPLATE_NAME_PATTERN (sdk/src/template.ts); a test keeps them equal. */
export const TEMPLATE_NAME = /^[a-z][a-z0-9-]{0,62}$/

/**
 * A template name made from a folder's name: `My App!` → `my-app`, `2048` → `app-2048`.
 * @param {string} folder the folder's last path segment
 * @returns {string}
 */
export function nameFromFolder (folder) {
  let name = folder.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
  if (name === '') return DEFAULT_DIR
  if (!/^[a-z]/.test(name)) name = `app-${name}`
  return name.slice(0, 63).replace(/-+$/, '')
}
