import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import type { Page } from 'playwright-core'

/** How long a browser test waits for the page to show something. */
export const WAIT_MS = 10_000

/** Wait until the element's visible text is exactly `text` (pages re-render from the API and SSE). */
export async function waitText (page: Page, selector: string, text: string): Promise<void> {
  try {
    await page.waitForFunction(([sel, want]) => (document.querySelector(sel) as HTMLElement | null)?.innerText.trim() === want,
      [selector, text] as const, { timeout: WAIT_MS })
  } catch (err) {
    const got = await page.locator(selector).first().innerText({ timeout: 1000 }).catch(() => '(missing)')
    throw new Error(`${selector} should read ${JSON.stringify(text)}, reads ${JSON.stringify(got)}`, { cause: err })
  }
}

/** Wait until a file on disk has exactly this content (`null`: until it is gone). */
export async function waitFile (path: string, want: string | Buffer | null): Promise<void> {
  const end = Date.now() + WAIT_MS
  let got: Buffer | null = null
  while (Date.now() < end) {
    got = await readFile(path).catch(() => null)
    if (want == null ? got == null : got != null && got.equals(Buffer.from(want))) return
    await new Promise(resolve => setTimeout(resolve, 25))
  }
  assert.fail(`${path} should ${want == null ? 'be gone' : `hold ${JSON.stringify(String(want))}`}, holds ${got == null ? '(nothing)' : JSON.stringify(got.toString())}`)
}
