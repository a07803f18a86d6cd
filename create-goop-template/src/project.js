// @ts-check
// The files every project gets beside its template: package.json (the scripts), .gitignore and, for
// js, logic/tsconfig.json (the type check of the logic).

/** @typedef {import('./args.js').Runtime} Runtime */

/** The test runner: Node's, with tsx for TypeScript; --no-node-snapshot because the js runtime (isolated-vm) needs it in every process that loads it. */
export const TEST_SCRIPT = 'node --no-node-snapshot --import tsx --test test/*.test.ts'

/**
 * The scripts. `goop template build` checks the template through the project's dev peer (.goop/dev,
 * made if missing): a peer's runtimes are what compile the logic. For js the types are checked first.
 * @param {Runtime} runtime
 * @returns {Record<string, string>}
 */
export function scripts (runtime) {
  const build = 'goop template build . --peer .goop/dev'
  return {
    dev: 'goop template dev .',
    test: TEST_SCRIPT,
    build: runtime === 'js' ? `tsc -p logic && ${build}` : build
  }
}

/**
 * @param {{ name: string, version: string, description: string, runtime: Runtime, devDependencies: Record<string, string> }} p
 * @returns {string}
 */
export function packageJson (p) {
  const pkg = {
    name: p.name,
    version: p.version,
    private: true,
    description: p.description,
    type: 'module',
    scripts: scripts(p.runtime),
    engines: { node: '>=20.19' },
    devDependencies: p.devDependencies
  }
  return `${JSON.stringify(pkg, null, 2)}\n`
}

export const GITIGNORE = `node_modules/
# the dev peer (npm run dev): its identity, database and copy of the site
.goop/
# built archives (npm run build)
*.goop.tgz
`

/**
 * logic/tsconfig.json: the logic is bundled by the js runtime (esbuild, which only strips types), so
 * this is what checks them — against the host API (the global \`goop\`, @goop/plugin-js/logic) and
 * the SDK's types. Module resolution as a bundler's: \`./board.js\` finds board.ts, as the runtime does.
 */
export const LOGIC_TSCONFIG = `${JSON.stringify({
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023'],
    module: 'ESNext',
    moduleResolution: 'Bundler',
    types: ['@goop/plugin-js/logic'],
    // Logic written in JavaScript is part of the program (imports resolve) but is not type-checked.
    allowJs: true,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    isolatedModules: true,
    verbatimModuleSyntax: true,
    forceConsistentCasingInFileNames: true
  },
  include: ['**/*.ts', '**/*.mts', '**/*.js', '**/*.mjs']
}, null, 2)}\n`
