// For the pages' type-check only (tsconfig.site.json): the global `goop` that /.goop/goop.js defines.
import type { Goop } from '../../../sdk/src/browser/goop.js'

declare global {
  const goop: Goop
}
export {}
