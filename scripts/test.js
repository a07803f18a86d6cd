// Runs every package's tests with Node's test runner, from TypeScript sources (tsx, the `development`
// export condition). Node 20's --test does not find .ts files by itself, so we list them.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const roots = ['sdk', 'core', 'plugins', 'templates', 'create-goop-template', 'examples']
const files = []
function walk (dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p)
    else if (name.endsWith('.test.ts') && p.split('/').includes('test')) files.push(p)
  }
}
for (const r of roots) if (existsSync(r)) walk(r)
const only = process.argv.slice(2)
const selected = only.length > 0 ? files.filter(f => only.some(o => f.includes(o))) : files
if (selected.length === 0) { console.error('no test files matched'); process.exit(1) }
const result = spawnSync(process.execPath, [
  '--no-node-snapshot', '--import', 'tsx', '--conditions=development',
  '--test', '--test-concurrency=2', '--test-timeout=120000', ...selected
], { stdio: 'inherit', env: { ...process.env, GOOP_TEST: '1' } })
process.exit(result.status ?? 1)
