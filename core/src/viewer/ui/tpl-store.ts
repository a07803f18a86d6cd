import { ApiError } from './api.js'
import { onTemplatesChanged } from './data.js'
import { createStore } from './store.js'
import { listTemplates, type ApplyResult, type RemoveResult, type TemplateList } from './tpl-api.js'

/**
 * What the Templates page shows: the lists, the applied template, what is being done and how the
 * last action ended. It lives outside the screen, so the report of an apply is still there after a
 * look at the Database page.
 */

/** How the last apply or removal ended; it stays until dismissed or replaced. */
export type Outcome =
  | { kind: 'applied', result: ApplyResult }
  | { kind: 'removed', result: RemoveResult, title: string }
  | { kind: 'failed', what: string, message: string, code?: string }

export interface TplState {
  list: TemplateList | null
  /** Why the list could not be read. */
  error: { code?: string, message: string } | null
  /** The template being applied (its path or name), or 'remove' while the applied one is removed. */
  busy: string | null
  outcome: Outcome | null
}

export const tpl = createStore<TplState>({ list: null, error: null, busy: null, outcome: null })

let loadSeq = 0

export async function refreshTemplates (): Promise<void> {
  const seq = ++loadSeq
  try {
    const list = await listTemplates()
    if (seq === loadSeq) tpl.set({ list, error: null })
  } catch (err) {
    if (seq !== loadSeq) return
    const e = err as ApiError
    tpl.set({ list: null, error: { code: e.code, message: e.message } })
  }
}

// Live: an apply or removal from the CLI (or another tab), or the plugin switched on or off. Only
// once the page has loaded the list (no calls for a page never opened).
let timer: ReturnType<typeof setTimeout> | undefined
onTemplatesChanged(() => {
  const s = tpl.get()
  if (s.list == null && s.error == null) return
  clearTimeout(timer)
  timer = setTimeout(() => { void refreshTemplates() }, 80)
})
