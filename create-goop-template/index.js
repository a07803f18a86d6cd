#!/usr/bin/env node
// The `create-goop-template` command, which `npm create goop-template` runs. Plain ES modules with
// JSDoc types (checked by tsc): nothing to build, so it starts at once from a clone or from npm.
import { main } from './src/main.js'

process.exitCode = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() })
