// The global `goop` in template logic run by the js runtime. Add this file to a template's tsconfig
// ("types" or "files") to type-check logic/ against the host API.
import type { GoopLogicApi } from './dist/api.js'

declare global {
  const goop: GoopLogicApi
}
export {}
