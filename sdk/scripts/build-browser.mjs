// Build goop.js, the browser client of sites (src/browser/goop.ts), into dist/browser/goop.js. The
// kernel serves it at /.goop/goop.js on every site origin, wrapped in a function that hands it the
// site's owner and visitor (`__goop_boot`). Types are checked apart (`tsc -p sdk/src/browser`, with
// the DOM and no Node types); esbuild only strips them.
import * as esbuild from 'esbuild'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const sdk = fileURLToPath(new URL('..', import.meta.url))
const { version } = JSON.parse(readFileSync(`${sdk}/package.json`, 'utf8'))
await esbuild.build({
  entryPoints: [`${sdk}/src/browser/goop.ts`],
  outfile: `${sdk}/dist/browser/goop.js`,
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['chrome110', 'firefox115', 'safari16'],
  define: { __GOOP_SDK_VERSION__: JSON.stringify(version) },
  minify: true,
  legalComments: 'none',
  banner: { js: `/* goop.js ${version}: the goop site client (@goop/sdk) */` },
  logLevel: 'warning'
})
