import { readFile, rename, writeFile, mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { GoopError } from '@goop/sdk'
import { ConfigSchema, configJsonSchema, type GoopConfig } from './schema.js'

export const SCHEMA_REF = './state/goop.schema.json'

/** Turn zod's issues into one message per problem, naming the file, the key and what was expected. */
export function describeIssues (file: string, issues: z.core.$ZodIssue[], prefix: string[] = []): string {
  const lines = issues.map((issue) => {
    const path = [...prefix, ...issue.path.map(String)]
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map(k => `"${[...path, k].join('.')}"`).join(', ')
      return `${file}: unknown key ${keys}${allowedHint(issue)}`
    }
    const key = path.length > 0 ? `"${path.join('.')}"` : 'the top level'
    return `${file}: ${key}: ${issue.message}`
  })
  return lines.join('\n')
}

function allowedHint (issue: z.core.$ZodIssue): string {
  // zod does not say which keys were allowed; we know our own shape, so walk it.
  let schema: any = ConfigSchema
  for (const part of issue.path) {
    schema = unwrap(schema)?.shape?.[part as string]
    if (schema == null) return ''
  }
  const shape = unwrap(schema)?.shape
  return shape != null ? ` (expected one of: ${Object.keys(shape).filter(k => k !== '$schema').join(', ')})` : ''
}

function unwrap (schema: any): any {
  let s = schema
  for (let i = 0; i < 5 && s != null && s.shape == null; i++) s = s.def?.innerType ?? s.def?.in ?? s._zod?.def?.innerType
  return s
}

export function parseConfig (file: string, raw: unknown): GoopConfig {
  const result = ConfigSchema.safeParse(raw)
  if (!result.success) throw new GoopError('config_invalid', describeIssues(file, result.error.issues))
  return result.data
}

export async function readConfigFile (file: string): Promise<Record<string, unknown> | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err: any) {
    if (err?.code === 'ENOENT') return undefined
    throw new GoopError('config_unreadable', `cannot read ${file}: ${err?.message ?? err}`)
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err: any) {
    throw new GoopError('config_invalid', `${file} is not valid JSON: ${err?.message ?? err}`)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new GoopError('config_invalid', `${file}: the top level must be a JSON object`)
  }
  return raw as Record<string, unknown>
}

/** Load and validate `<dir>/goop.json`; a missing file means every default. */
export async function loadConfig (dir: string): Promise<{ config: GoopConfig, raw: Record<string, unknown>, file: string }> {
  const file = join(dir, 'goop.json')
  const raw = (await readConfigFile(file)) ?? {}
  return { config: parseConfig(file, raw), raw, file }
}

/** Write goop.json atomically (temp file, then rename), so a crash never leaves half a file. */
export async function writeConfigFile (file: string, raw: Record<string, unknown>): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(raw, null, 2) + '\n')
  await rename(tmp, file)
}

/** Change goop.json by a function of its raw JSON; validates the result before writing it. */
export async function updateConfigFile (dir: string, change: (raw: Record<string, unknown>) => void): Promise<GoopConfig> {
  const file = join(dir, 'goop.json')
  const raw = (await readConfigFile(file)) ?? { $schema: SCHEMA_REF }
  change(raw)
  const config = parseConfig(file, raw)
  await writeConfigFile(file, raw)
  return config
}

export async function writeSchemaFile (dir: string, extra?: (schema: Record<string, unknown>) => void): Promise<void> {
  const schema = configJsonSchema()
  extra?.(schema)
  await mkdir(join(dir, 'state'), { recursive: true })
  await writeFile(join(dir, 'state', 'goop.schema.json'), JSON.stringify(schema, null, 2) + '\n')
}
