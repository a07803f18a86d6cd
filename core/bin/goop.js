#!/usr/bin/env node
// The `goop` command. A committed shim (npm links bins at install time, before the TypeScript build
// has made dist/), which loads the built CLI.
import { existsSync } from 'node:fs'

const cli = new URL('../dist/cli/main.js', import.meta.url)
if (!existsSync(cli)) {
  process.stderr.write('goop: the CLI is not built yet: run npm run build at the repository root\n')
  process.exit(1)
}
await import(cli.href)
