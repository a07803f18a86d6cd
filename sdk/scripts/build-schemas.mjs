// Write the JSON Schemas of the formats people edit by hand, for their editors: a data schema file
// (`goop data apply FILE`), a template manifest (goop-template.json), and a data request. They are
// generated from the same zod definitions that validate them (src/data.ts, src/template.ts), so the
// two cannot drift. Point a file at one with "$schema": "./node_modules/@goop/sdk/schemas/<name>.json".
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const sdk = fileURLToPath(new URL('..', import.meta.url))
const { dataJsonSchemas, templateJsonSchema } = await import(`${sdk}/dist/index.js`)
const { schema, request } = dataJsonSchemas()
mkdirSync(`${sdk}/schemas`, { recursive: true })
const write = (name, value) => { writeFileSync(`${sdk}/schemas/${name}.json`, JSON.stringify(value, null, 2) + '\n') }
write('data-schema', schema)
write('data-request', request)
write('goop-template', templateJsonSchema())
