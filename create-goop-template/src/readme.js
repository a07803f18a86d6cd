// @ts-check
// The generated project's README.md: what the project is, the commands (the only steps there are
// from here to a tested, shareable app), and what each file is.

/** @typedef {import('./args.js').Runtime} Runtime */

const RUNTIME_TEXT = /** @type {Record<Runtime, string>} */ ({
  js: 'TypeScript logic, run in a sandboxed isolate on the owner\'s peer',
  lua: 'Lua logic, run in a sandboxed Lua VM on the owner\'s peer',
  static: 'no server-side logic: pages and tables with their access policies'
})

/** What the files of the empty apps are; other files are described by where they are. */
const KNOWN = /** @type {Record<string, string>} */ ({
  'site/index.html': 'the page: it loads `/.goop/goop.js` (the goop client every site gets) and `app.js`',
  'site/app.js': 'the page\'s script: lists the notes (`goop.data`), adds one, follows changes live (`onChange`)',
  'site/style.css': 'the look (light and dark); a site may load files of its own only',
  'logic/main.lua': 'the logic: `addNote`, callable from the page with `goop.call(\'addNote\', { text })`; it checks the note and stores it as the owner',
  'logic/main.ts': 'the logic: `addNote`, callable from the page with `goop.call(\'addNote\', { text })`; it checks the note and stores it as the owner'
})

/**
 * @param {string} path
 * @param {Runtime} runtime
 * @param {boolean} empty  one of the empty apps (whose files are described one by one)
 */
function describe (path, runtime, empty) {
  if (empty && KNOWN[path] != null) return KNOWN[path]
  if (path === 'goop-template.json') return 'the manifest: name, version, runtime, the tables with their columns and access policies, seed rows, the logic\'s entry and limits. Editors check it against `node_modules/@goop/sdk/schemas/goop-template.json` (its `$schema`)'
  if (path === 'logic/tsconfig.json') return 'the logic\'s type check (`tsc -p logic`, in `npm run build`): the `goop` global from `@goop/plugin-js/logic`, the SDK\'s types'
  if (path === 'test/peers.ts') return 'starts a real owner peer with this folder applied and a real visitor peer, and calls the app as the visitor\'s page would (`goop.call`, `goop.data`)'
  if (path === 'test/app.test.ts') return 'the app\'s tests (`npm test`)'
  if (path === 'package.json') return 'the scripts below, and the goop packages as development dependencies'
  if (path === '.gitignore') return '`node_modules/`, the dev peer (`.goop/`) and built archives'
  if (path === 'README.md') return 'this file'
  if (path.startsWith('site/')) return /\.html?$/.test(path) ? 'a page' : /\.m?js$/.test(path) ? 'a page\'s script' : path.endsWith('.css') ? 'styles' : 'a site file'
  if (path.startsWith('logic/')) return runtime === 'lua' ? 'logic (Lua): `include(\'name\')` loads another file' : 'logic (TypeScript/JavaScript): imported with relative paths'
  return ''
}

/**
 * @param {object} p
 * @param {string} p.name
 * @param {string} p.title
 * @param {string} p.description
 * @param {string} p.version
 * @param {string | null} p.entry  the logic's entry file (in logic/)
 * @param {Runtime} p.runtime
 * @param {{ name: string, bundled: boolean }} p.starter
 * @param {string[]} p.files   every file of the project (relative, `/`)
 * @param {string | null} p.workspace  the goop workspace the packages are linked from, or null (npm)
 * @returns {string}
 */
export function readme (p) {
  const archive = `${p.name}-${p.version}.goop.tgz`
  const from = p.starter.bundled ? `the bundled template \`${p.starter.name}\`` : `the empty ${p.runtime} app (\`${p.starter.name}\`)`
  const rows = p.files.filter(f => !f.endsWith('/')).map(f => `| \`${f}\` | ${describe(f, p.runtime, !p.starter.bundled)} |`)
  const logic = p.runtime === 'static'
    ? ''
    : `
## The logic

Every function the entry file (\`logic/${p.entry ?? (p.runtime === 'lua' ? 'main.lua' : 'main.ts')}\`, \`logic.entry\` in the manifest)
${p.runtime === 'lua' ? 'returns in its table' : 'exports'} can be called by a page with \`goop.call(name, args)\`: one JSON argument
in, JSON out. It runs on the site owner's peer, in a sandbox with a memory cap and a deadline per call,
and sees the visitor as \`goop.caller\` — the peer ID its connection proved, which nothing a page sends
can change. \`goop.db\` acts for the caller, so the tables' policies hold; \`goop.db.owner\` acts as the
owner, only where the logic asks for it by name. \`goop.kv\` keeps small state, \`goop.mq.publish\`
tells the site's visitors (\`app.*\` topics, followed with \`goop.events.on\`), \`goop.log\` writes to
the owner's log. Nothing else survives between calls.
`
  const deps = p.workspace != null
    ? `The goop packages (and tsx${p.runtime === 'js' ? ', typescript' : ''}) are \`file:\` links into the goop workspace this project was made
from (\`${p.workspace}\`), until they are published: \`npm install\` links them, downloading and compiling
nothing. That workspace must stay where it is, built (\`npm run build\` there).`
    : 'The goop packages come from npm (package.json).'
  return `# ${p.title}

${p.description}

A goop site template (${RUNTIME_TEXT[p.runtime]}), started with \`npm create goop-template\` from
${from}. Applied to a goop peer, its pages are the peer's site and its tables live in the peer's
database, served to other peers straight from the owner's machine. How to write one — the manifest,
tables and policies, goop.js, the logic's host API, the runtimes' limits, tests — is the guide in
\`node_modules/@goop/sdk/docs/templates.md\`.

## Commands

\`\`\`sh
npm install      # once
npm test         # a real owner peer with this template applied and a real visitor peer, using it as a visitor would
npm run dev      # a dev peer (.goop/dev) with this template applied; open the viewer URL it prints. Every change
                 # to site/, logic/ or goop-template.json is applied at once, without a restart, the data kept
npm run build    # checks the manifest, tables${p.runtime === 'js' ? ', types' : ''} and logic, then writes ${archive}
\`\`\`

Whoever runs a goop peer applies the archive (or this folder) with:

\`\`\`sh
npx goop template apply ${archive} --peer PEER_FOLDER
\`\`\`

## Files

| file | what |
|---|---|
${rows.join('\n')}

## Tables and policies

\`tables\` in \`goop-template.json\` declares each table's columns (type, \`required\`, \`maxLength\`, \`min\`/\`max\`,
\`enum\`, \`unique\`, \`index\`, \`default\`) and a policy per operation: \`read\` is \`open\`, \`author\` (each
visitor its own rows) or \`owner\`; \`insert\` \`open\` or \`owner\`; \`update\` and \`delete\` \`author\`, \`open\` or
\`owner\`. What a table leaves out is \`owner\`; the owner may always do everything. Every row has \`_id\`,
\`_author\` (the writer's peer ID), \`_created\` and \`_updated\`. Pages reach the tables with
\`goop.data.table(name)\` (\`query\`, \`get\`, \`count\`, \`insert\`, \`update\`, \`delete\`, \`onChange\`), as the
visitor: the owner's peer applies the policies. \`seed\` rows are inserted when a table is created.
${logic}
## Packages

${deps}
`
}
