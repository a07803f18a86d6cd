// The folder that holds the bundled templates (one sub-folder each). Found from this file, so it is
// right wherever the package is installed; the templates plugin lists and applies what is in it.
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

export const templatesDir = dirname(fileURLToPath(import.meta.url))
export default templatesDir
