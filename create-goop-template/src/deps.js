// @ts-check
// Where a generated project's packages come from.
//
// Run from a clone of the goop repository (create-goop-template/ inside its workspace), as now,
// before the packages are published: every one is a `file:` link to the workspace — @goop/core,
// @goop/sdk, @goop/plugin-js, and tsx and typescript from the workspace's own node_modules. npm then
// links them (no download, no compile: better-sqlite3 and isolated-vm were built when the workspace
// was installed, and Node finds them from the links' real paths), and `npm install` in the new
// project takes well under a second. Run from npm (published), the same packages at these versions.
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** @typedef {import('./args.js').Runtime} Runtime */

/**
 * The versions a project made by this release of the scaffolder asks for. A test keeps them equal
 * to the workspace's packages (and the workspace's tsx and typescript).
 */
export const PUBLISHED = Object.freeze({
  '@goop/core': '^0.1.0',
  '@goop/sdk': '^1.3.0',
  '@goop/plugin-js': '^1.0.0',
  tsx: '^4.23.15',
  typescript: '^7.0.2'
})

/** @typedef {keyof typeof PUBLISHED} Dependency */

/** Each package's folder inside the workspace. */
const IN_WORKSPACE = /** @type {Record<Dependency, string>} */ ({
  '@goop/core': 'core',
  '@goop/sdk': 'sdk',
  '@goop/plugin-js': 'plugins/js',
  tsx: 'node_modules/tsx',
  typescript: 'node_modules/typescript'
})

/**
 * The goop workspace this scaffolder runs from, or null when it was installed from npm.
 * @returns {string | null}
 */
export function workspaceRoot () {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  try {
    const pkg = /** @type {{ name?: unknown, workspaces?: unknown }} */ (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')))
    if (pkg.name !== 'goop' || !Array.isArray(pkg.workspaces) || !existsSync(join(root, 'core', 'package.json'))) return null
    return realpathSync(root)
  } catch {
    return null
  }
}

/**
 * The packages a project of this runtime needs (all of them development tools: a template's code runs
 * inside a peer, never from node_modules): the goop CLI and test kit, the SDK (types, the manifest's
 * JSON Schema), tsx for the tests, and for js the logic's types and the type checker.
 * @param {Runtime} runtime
 * @param {string | null} root  the workspace to link to, or null for the published versions
 * @returns {Record<string, string>}
 */
export function devDependencies (runtime, root) {
  /** @type {Dependency[]} */
  const names = ['@goop/core', '@goop/sdk', 'tsx']
  if (runtime === 'js') names.push('@goop/plugin-js', 'typescript')
  /** @type {Record<string, string>} */
  const out = {}
  for (const name of names.toSorted()) {
    const local = root != null ? join(root, IN_WORKSPACE[name]) : null
    // A workspace whose tsx or typescript was hoisted elsewhere: that one comes from the registry.
    out[name] = local != null && existsSync(join(local, 'package.json')) ? `file:${realpathSync(local)}` : PUBLISHED[name]
  }
  return out
}

/**
 * Is the workspace built? Its packages are used from dist/ (the goop command, the test kit), which
 * the workspace's `npm install` (its prepare script) or `npm run build` makes.
 * @param {string} root
 */
export function workspaceBuilt (root) {
  return existsSync(join(root, 'core', 'dist', 'testing', 'index.js')) && existsSync(join(root, 'plugins', 'templates', 'dist', 'index.js'))
}
