#!/usr/bin/env -S node --no-node-snapshot
// The `goop` command. A committed shim (npm links bins at install time, before the build has made
// dist/): it runs the bundled CLI (dist/goop.mjs, fast to load), or the compiled modules without it.
import { existsSync } from 'node:fs'

const bundle = new URL('../dist/goop.mjs', import.meta.url)
const modules = new URL('../dist/cli/main.js', import.meta.url)
const cli = existsSync(bundle) ? bundle : modules
if (!existsSync(cli)) {
  process.stderr.write('goop: the CLI is not built yet: run npm run build at the repository root\n')
  process.exit(1)
}
await import(cli.href)
