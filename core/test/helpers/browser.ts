import assert from 'node:assert/strict'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core'

/** How long a browser test waits for the page to show something. */
export const WAIT_MS = 10_000

/** Where the browser tests leave their screenshots, to look at (git-ignored). */
export const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url))

/**
 * The system's chromium, headless, as every browser test runs it: no sandbox (containers), no GPU,
 * no QUIC, and nothing in the background (first-run, networking, updates, sync). Makes ARTIFACTS too.
 */
export async function launchBrowser (): Promise<Browser> {
  await mkdir(ARTIFACTS, { recursive: true })
  return await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
}

/** A new browser context (its own cookies and storage) whose pages wait WAIT_MS by default. */
export async function newContext (browser: Browser, opts: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext(opts)
  context.setDefaultTimeout(WAIT_MS)
  return context
}

/**
 * Note in `problems` what a page should never do: break its Content-Security-Policy (chromium says so
 * on the console), throw an uncaught error, or open a native dialog (dismissed: the UI has its own).
 * `label` (e.g. whose page it is) starts each note.
 */
export function watch (page: Page, problems: string[], label?: string): void {
  const say = (what: string): void => { problems.push(label == null ? what : `${label} ${what}`) }
  page.on('console', m => { if (/Content.Security.Policy/i.test(m.text())) say(`CSP: ${m.text()}`) })
  page.on('pageerror', e => { say(`page error: ${e.message}`) })
  page.on('dialog', d => { say(`native ${d.type()} dialog: ${d.message()}`); void d.dismiss() })
}

export interface WatchedPageOptions extends BrowserContextOptions {
  /** The test's list of problems, shared by its pages (a new list when left out). */
  problems?: string[]
  /** Starts each problem noted for this page. */
  label?: string
}

/**
 * A page in a new context (`viewport`, `colorScheme`… as given), waiting WAIT_MS by default and
 * watched (`watch`): assert `problems` empty when the test is done. Closing the browser closes it.
 */
export async function watchedPage (browser: Browser, opts: WatchedPageOptions = {}): Promise<{ page: Page, context: BrowserContext, problems: string[] }> {
  const { problems = [], label, ...contextOptions } = opts
  const context = await newContext(browser, contextOptions)
  const page = await context.newPage()
  watch(page, problems, label)
  return { page, context, problems }
}

export interface ShotOptions {
  /** The whole page rather than the window (the default). */
  fullPage?: boolean
  /** Scroll to the top first: a full-page shot of a scrolled page draws a sticky top bar halfway down. */
  fromTop?: boolean
  /** `disabled`: finished animations, so that a shot does not catch one half-way. */
  animations?: 'disabled' | 'allow'
}

/** A screenshot in ARTIFACTS, `<name>.png`. */
export async function shot (page: Page, name: string, opts: ShotOptions = {}): Promise<void> {
  const { fullPage = true, fromTop = false, animations } = opts
  if (fullPage && fromTop) await page.evaluate(() => { window.scrollTo(0, 0) })
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage, animations })
}

/** `shot` for one test's screenshots: `<prefix>-<name>.png`, with these defaults (`fullPage` also per call). */
export function shots (prefix: string, defaults: ShotOptions = {}): (page: Page, name: string, fullPage?: boolean) => Promise<void> {
  return async (page, name, fullPage) => { await shot(page, `${prefix}-${name}`, { ...defaults, ...(fullPage != null ? { fullPage } : {}) }) }
}

/** The viewer shows no error toast (its own way of saying something failed). */
export async function assertNoErrorShown (page: Page): Promise<void> {
  assert.deepEqual(await page.locator('.toast.error').allInnerTexts(), [], 'no error was shown')
}

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
