import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { siteLabel } from '@goop/core'
import { connect, startTestPeer, type TestPeer } from '@goop/core/testing'
import { launchBrowser, shots, watchedPage } from '../../core/test/helpers/browser.js'
import { generate } from '../src/generate.js'
import { starters } from '../src/starters.js'
import { writeProject } from '../src/write.js'

/**
 * The empty apps' pages work, in a real chromium: each starting point applied to an owner peer, its
 * page opened by a visitor (on the visitor's viewer, at the owner's site origin, through goop.js):
 * the seeded note shows, a new note is added from the form and appears (live, through onChange), an
 * empty one is refused with the logic's message (lua, js), and nothing breaks the site's
 * Content-Security-Policy or throws. Screenshots: test-artifacts/create-empty-*.png.
 */

/** A project generated from the empty starting point of `runtime` (what `npm create goop-template` writes), in a temporary folder. */
async function project (runtime: string): Promise<string> {
  const starter = starters().find(s => s.name === `empty-${runtime}`)
  assert.ok(starter != null, `the empty-${runtime} starting point`)
  const dir = join(await mkdtemp(join(tmpdir(), 'goop-create-page-')), 'notes')
  await writeProject(dir, generate({ starter, name: 'notes', workspace: null }).files, false)
  return dir
}
const shot = shots('create', { fullPage: false })

describe('the empty apps\' pages in a browser', () => {
  let browser: Browser | undefined
  before(async () => { browser = await launchBrowser() })
  after(async () => { await browser?.close() })

  for (const runtime of ['static', 'lua', 'js'] as const) {
    it(`empty-${runtime}: a visitor reads, adds a note, and sees it`, async () => {
      let owner: TestPeer | undefined
      let visitor: TestPeer | undefined
      let dir: string | undefined
      try {
        ;[owner, visitor] = await Promise.all([startTestPeer(), startTestPeer()])
        await connect(visitor, owner)
        dir = await project(runtime)
        const res = await owner.api('POST', '/api/x/templates/apply', { path: dir })
        assert.equal(res.status, 200, await res.text())

        const { page, context, problems } = await watchedPage(browser!, { viewport: { width: 720, height: 640 } })
        const opened = await page.goto(`http://${siteLabel(owner.id)}.localhost:${visitor.viewer!.port}/`)
        assert.equal(opened?.status(), 200)
        await page.locator('#notes li', { hasText: 'Welcome! Leave a note below.' }).waitFor()
        assert.match(await page.locator('#notes li').first().innerText(), /by the owner/)

        await page.getByLabel('Your note').fill('hello from the browser')
        await page.getByRole('button', { name: 'Add note' }).click()
        await page.locator('#notes li', { hasText: 'hello from the browser' }).waitFor()
        assert.match(await page.locator('#notes li').first().innerText(), /hello from the browser\s+by you/)
        assert.equal(await page.getByLabel('Your note').inputValue(), '', 'the form is cleared')

        if (runtime === 'static') {
          // The policy lets a visitor delete its own notes: the page offers it on those only.
          assert.equal(await page.locator('#notes li', { hasText: 'Welcome!' }).getByRole('button', { name: 'Delete' }).count(), 0, 'not on the owner\'s note')
          await shot(page, `empty-${runtime}`)
          await page.locator('#notes li', { hasText: 'hello from the browser' }).getByRole('button', { name: 'Delete' }).click()
          await page.locator('#notes li', { hasText: 'hello from the browser' }).waitFor({ state: 'detached' })
        } else {
          // The textarea's own `required` would stop an empty note before the logic sees it: send spaces.
          await page.getByLabel('Your note').fill('   ')
          await page.getByRole('button', { name: 'Add note' }).click()
          await page.locator('#status', { hasText: 'a note is 1 to 280 characters' }).waitFor()
          assert.equal(await page.locator('#status').innerText(), 'a note is 1 to 280 characters', 'the logic\'s message, without its source position')
          await shot(page, `empty-${runtime}`)
        }
        assert.deepEqual(problems, [])
        await context.close()
      } finally {
        await Promise.all([owner?.cleanup(), visitor?.cleanup()])
        if (dir != null) await rm(join(dir, '..'), { recursive: true, force: true })
      }
    })
  }
})
