// @ts-check
// The starting point's goop-template.json, made the project's own: its `name` becomes the project's
// and its `$schema` points at the SDK the project installs (so an editor checks every key). The text
// is edited in place, so the template author's layout and comments-by-description stay as they were;
// the result is parsed and compared, and rewritten whole only if an edit went anywhere unexpected.

/** Where the manifest's JSON Schema is once the project is installed. */
export const SCHEMA_REF = './node_modules/@goop/sdk/schemas/goop-template.json'

/**
 * @param {string} text  the starting point's manifest
 * @param {string} name  the project's template name
 * @returns {{ text: string, version: string, title: string, description: string, entry: string | null }}
 */
export function projectManifest (text, name) {
  const original = /** @type {Record<string, unknown>} */ (JSON.parse(text))
  const wanted = { $schema: SCHEMA_REF, ...original, name }
  wanted.$schema = SCHEMA_REF
  let edited = text
  // The first "name": "…" is the top-level one in every manifest written key by key (it comes
  // before "tables"); the comparison below catches any manifest where it is not.
  edited = edited.replace(/("name"\s*:\s*)"(?:[^"\\]|\\.)*"/, (_m, key) => `${key}${JSON.stringify(name)}`)
  if (/"\$schema"\s*:/.test(edited)) {
    edited = edited.replace(/("\$schema"\s*:\s*)"(?:[^"\\]|\\.)*"/, (_m, key) => `${key}${JSON.stringify(SCHEMA_REF)}`)
  } else {
    edited = edited.replace(/^(\s*)\{(\s*)/, (_m, lead, space) => `${lead}{${space}${JSON.stringify('$schema')}: ${JSON.stringify(SCHEMA_REF)},${space.includes('\n') ? space : ' '}`)
  }
  const out = sameJson(edited, wanted) ? edited : `${JSON.stringify(wanted, null, 2)}\n`
  return {
    text: out,
    version: typeof original.version === 'string' ? original.version : '0.1.0',
    title: typeof original.title === 'string' ? original.title : name,
    description: typeof original.description === 'string' ? original.description : '',
    entry: entryOf(original.logic)
  }
}

/**
 * The logic's entry file, if the manifest names one.
 * @param {unknown} logic
 * @returns {string | null}
 */
function entryOf (logic) {
  if (typeof logic !== 'object' || logic === null || !('entry' in logic)) return null
  return typeof logic.entry === 'string' ? logic.entry : null
}

/**
 * @param {string} text
 * @param {unknown} value
 */
function sameJson (text, value) {
  try {
    return canonical(JSON.parse(text)) === canonical(value)
  } catch {
    return false
  }
}

/**
 * JSON with object keys sorted, to compare two values whatever their key order.
 * @param {unknown} value
 * @returns {string}
 */
function canonical (value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).toSorted(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}
