// Bundle the CLI and the kernel into one file, dist/goop.mjs. Node 20 spends ~450 ms loading the
// ~680 ES modules of libp2p, hono and zod one by one; from one bundle it takes ~190 ms, and start-up
// is most of what a person waits for. The modules in dist/ stay as they are (the package's exports,
// the test kit). Plugins still import @goop/sdk themselves; the kernel recognises their objects by
// Symbol.for brands and error names, never by instanceof, so two copies of the SDK work together.
import * as esbuild from 'esbuild'
import { fileURLToPath } from 'node:url'

const core = fileURLToPath(new URL('..', import.meta.url))
await esbuild.build({
  entryPoints: [`${core}/dist/cli/main.js`],
  outfile: `${core}/dist/goop.mjs`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  // Native addons, and packages that find files next to themselves (the Lua runtime's worker and
  // wasm, esbuild's binary, the bundled templates), load from node_modules as they are.
  external: ['better-sqlite3', 'isolated-vm', 'wasmoon', 'esbuild', '@goop/plugin-lua', '@goop/plugin-js', '@goop/templates'],
  // Some dependencies are CommonJS and call require(); give the ES module bundle one.
  banner: { js: "import { createRequire as __goopCreateRequire } from 'node:module'; const require = __goopCreateRequire(import.meta.url);" }
})
