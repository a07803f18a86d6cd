import { mkdir, stat, writeFile } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { GoopError } from '@goop/sdk'
import { SCHEMA_REF, writeConfigFile, writeSchemaFile } from '../config/load.js'
import { loadOrCreateIdentity, peerIdOf } from '../identity.js'

const STARTER_SITE = (name: string): string => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${name.replace(/[<>&"]/g, '')}</title>
  <style>
    body { font: 17px/1.6 system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; color: #1d2230; }
    h1 { font-size: 2.2rem; margin-bottom: .2rem; }
    p.lead { color: #5b6275; }
  </style>
</head>
<body>
  <h1>${name.replace(/[<>&"]/g, '')}</h1>
  <p class="lead">This site lives on my own machine and exists while I am online.</p>
  <p>Edit <code>site/index.html</code> in the peer folder (or from the viewer) to make it yours.</p>
</body>
</html>
`

/** Create a peer folder: goop.json, identity.key and a starter site. Refuses a folder that already is a peer. */
export async function initPeer (dirArg: string, name?: string): Promise<{ dir: string, peerId: string }> {
  const dir = resolve(dirArg)
  if (await stat(join(dir, 'goop.json')).catch(() => undefined) != null) {
    throw new GoopError('already_initialised', `${dir} is already a goop peer (it has a goop.json)`)
  }
  const peerName = name ?? (basename(dir) === 'default' ? 'goop peer' : basename(dir))
  if (peerName.length < 1 || peerName.length > 64) throw new GoopError('bad_name', 'the name must have 1 to 64 characters')
  await mkdir(join(dir, 'site'), { recursive: true })
  const { key } = await loadOrCreateIdentity(join(dir, 'identity.key'))
  await writeConfigFile(join(dir, 'goop.json'), { $schema: SCHEMA_REF, name: peerName, plugins: {} })
  await writeSchemaFile(dir)
  if (await stat(join(dir, 'site', 'index.html')).catch(() => undefined) == null) {
    await writeFile(join(dir, 'site', 'index.html'), STARTER_SITE(peerName))
  }
  return { dir, peerId: peerIdOf(key) }
}
