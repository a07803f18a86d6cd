// Type-checks every bundled template that carries tsconfig files of its own (its logic against the
// runtime's host API, its pages against goop.js): `tsc -p templates/<name>/<tsconfig*.json>`.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

const tsc = join('node_modules', '.bin', 'tsc')
let failed = false
for (const name of readdirSync('templates', { withFileTypes: true })) {
  if (!name.isDirectory() || !existsSync(join('templates', name.name, 'goop-template.json'))) continue
  for (const file of readdirSync(join('templates', name.name))) {
    if (!/^tsconfig(\..+)?\.json$/.test(file)) continue
    const project = join('templates', name.name, file)
    const r = spawnSync(tsc, ['-p', project], { stdio: 'inherit' })
    if (r.status !== 0) { failed = true; process.stderr.write(`check-templates: ${project} does not type-check\n`) }
  }
}
process.exit(failed ? 1 : 0)
