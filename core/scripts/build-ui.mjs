// Build the viewer's UI (src/viewer/ui, Preact + TypeScript) into dist/viewer/app.js and app.css.
// The viewer reads both once at start and serves them at /app.js and /app.css (src/viewer/assets.ts).
// Types are checked apart (`tsc -p core/src/viewer/ui`, in the root build); esbuild only strips them.
import * as esbuild from 'esbuild'
import { fileURLToPath } from 'node:url'

const core = fileURLToPath(new URL('..', import.meta.url))
await esbuild.build({
  entryPoints: [`${core}/src/viewer/ui/main.tsx`],
  outfile: `${core}/dist/viewer/app.js`,
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning'
})
