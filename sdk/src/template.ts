import { z } from 'zod'
import { DataSchema, NAME_PATTERN } from './data.js'

/**
 * The template format (since SDK 1.3.0). A template is a folder:
 *
 *   goop-template.json   this manifest
 *   site/                the static files served as the peer's site
 *   logic/               the server-side code (runtime `lua` or `js`), run on the owner's peer
 *
 * A peer has one template applied at a time. Its tables use the data schema format
 * (sdk/src/data.ts); its logic gets the host API of sdk/src/logic.ts.
 */

export const TEMPLATE_MANIFEST = 'goop-template.json'
export const TEMPLATE_RUNTIMES = ['static', 'lua', 'js'] as const
export type TemplateRuntime = typeof TEMPLATE_RUNTIMES[number]

/** A template's name: lower-case letters, digits and dashes (it names folders and archives). */
export const TEMPLATE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/

export const TemplateManifestSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().regex(TEMPLATE_NAME_PATTERN, 'a template name is 1–63 characters of a–z, 0–9 and -, starting with a letter'),
  title: z.string().min(1).max(100),
  description: z.string().max(1000).default(''),
  version: z.string().regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/, 'a semver version such as 1.0.0'),
  /** The @goop/sdk range the template was written for, e.g. `^1.3.0`. */
  sdk: z.string().min(1).max(100),
  runtime: z.enum(TEMPLATE_RUNTIMES),
  /** The tables the template needs, in the data schema format, with their policies. */
  tables: DataSchema.shape.tables.default({}),
  /** Rows inserted (as the owner) when a table is created by applying the template. */
  seed: z.record(z.string().regex(NAME_PATTERN), z.array(z.record(z.string(), z.json())).max(10_000)).default({}),
  /** The logic entry file inside `logic/` (required for `lua` and `js`; none for `static`). */
  logic: z.strictObject({
    entry: z.string().min(1).max(200),
    /** The sandbox's heap, at most (MiB). */
    memoryMb: z.number().int().min(8).max(1024).optional(),
    /** One call's deadline (ms). */
    callTimeoutMs: z.number().int().min(10).max(60_000).optional()
  }).optional()
}).superRefine((m, ctx) => {
  if (m.runtime === 'static' && m.logic != null) ctx.addIssue({ code: 'custom', path: ['logic'], message: 'a static template has no logic' })
  if (m.runtime !== 'static' && m.logic == null) ctx.addIssue({ code: 'custom', path: ['logic'], message: `a ${m.runtime} template needs logic.entry` })
  for (const table of Object.keys(m.seed)) {
    if (m.tables[table] == null) ctx.addIssue({ code: 'custom', path: ['seed', table], message: `seed rows for ${table}, which the template does not declare` })
  }
})
export type TemplateManifest = z.output<typeof TemplateManifestSchema>
export type TemplateManifestInput = z.input<typeof TemplateManifestSchema>

/** The JSON Schema of goop-template.json, for editors. */
export function templateJsonSchema (): unknown {
  return z.toJSONSchema(TemplateManifestSchema, { io: 'input', unrepresentable: 'any' })
}
