import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Browser, Page } from 'playwright-core'
import type { DataRequest, DataResults, Row } from '@goop/sdk'
import { siteLabel } from '@goop/core'
import { connect, startTestPeer, type TestPeer } from '@goop/core/testing'
import { launchBrowser, shots, waitText, watchedPage } from './helpers/browser.js'

/**
 * The bundled blog template (templates/blog), end to end. First its Markdown renderer alone (the
 * site's own module, in Node): HTML in the source stays text, links and images only where allowed,
 * no input makes it slow. Then two real peers and a real chromium: ada applies the blog by name and
 * publishes a post through the page's editor on her own viewer; bo, on his viewer at ada's site
 * origin, reads it and comments, posts a comment full of script that is rendered inert, edits and
 * deletes his own comments, is refused (forbidden, through goop.data directly) changing the post or
 * ada's comment and is not offered it; ada sees his comments arrive live, moderates one, edits the
 * post and bo sees that live. Screenshots: test-artifacts/template-blog-*.png.
 */

const SITE_JS = new URL('../../templates/blog/site/js/', import.meta.url)
const WIDE = { width: 1100, height: 900 }
const NARROW = { width: 390, height: 844 }

type MdTree = unknown[]
interface MarkdownModule {
  parse: (source: string, opts?: { minHeading?: number }) => MdTree
  toHtml: (nodes: MdTree) => string
  textOf: (nodes: MdTree) => string
}
interface SafeUrlModule {
  safeHref: (url: string) => string | null
  safeImageSrc: (url: string) => string | null
}

/** The part of goop.js the test calls in the page. */
interface PageGoop {
  me: string
  peer: string
  data: { table: (name: string) => {
    insert: (values: Record<string, unknown>) => Promise<unknown>
    update: (id: number, values: Record<string, unknown>) => Promise<unknown>
    delete: (id: number) => Promise<unknown>
  } }
}

/** The script a hostile comment tries to run: each sets this flag to say which one got through. */
const FLAG = '__pwned'

const HOSTILE_COMMENT = [
  'Nice post! <script>window.__pwned = "script"</script>',
  '',
  '<img src=x onerror="window.__pwned = \'img\'">',
  '',
  '<a href="javascript:window.__pwned = \'a\'">raw html link</a>',
  '',
  "[a markdown link](javascript:window.__pwned='md') and [another](JaVaScRiPt:window.__pwned='case')",
  '',
  "[a tab](java\tscript:window.__pwned='tab') [data](data:text/html;base64,PHNjcmlwdD4=) <javascript:window.__pwned='auto'>",
  '',
  "![an image](javascript:window.__pwned='imgmd') ![far away](https://evil.example/x.png) <svg onload=\"window.__pwned='svg'\">"
].join('\n')
const HOSTILE_NAME = '<img src=x onerror="window.__pwned=\'name\'">'

describe('the blog\'s Markdown renderer', () => {
  let md!: MarkdownModule
  let urls!: SafeUrlModule
  const html = (source: string, opts?: { minHeading?: number }): string => md.toHtml(md.parse(source, opts))

  before(async () => {
    md = await import(new URL('markdown.js', SITE_JS).href) as MarkdownModule
    urls = await import(new URL('safe-url.js', SITE_JS).href) as SafeUrlModule
  })

  it('renders the subset: headings, emphasis, code, lists, quotes, rules, breaks, links and images', () => {
    assert.equal(html('# Title ##\n\nSome **bold**, *em*, ***both***, ~~gone~~ and `a <b> c`.'),
      '<h1>Title</h1><p>Some <strong>bold</strong>, <em>em</em>, <strong><em>both</em></strong>, <del>gone</del> and <code>a &lt;b&gt; c</code>.</p>')
    assert.equal(html('# Top\n\n### Sub', { minHeading: 2 }), '<h2>Top</h2><h3>Sub</h3>')
    assert.equal(html('Setext\n===\n\nTwo\n---'), '<h1>Setext</h1><h2>Two</h2>')
    assert.equal(html('- a\n- b\n  - c\n- d\n\n3. x\n4. y'),
      '<ul><li>a</li><li>b<ul><li>c</li></ul></li><li>d</li></ul><ol start="3"><li>x</li><li>y</li></ol>')
    assert.equal(html('- one\n\n- two'), '<ul><li><p>one</p></li><li><p>two</p></li></ul>')
    assert.equal(html('> quoted\n> **still**\n>\n> > deeper'), '<blockquote><p>quoted\n<strong>still</strong></p><blockquote><p>deeper</p></blockquote></blockquote>')
    assert.equal(html('```js\nif (a < b) {}\n```\n\n    indented\n\n***'), '<pre><code>if (a &lt; b) {}</code></pre><pre><code>indented</code></pre><hr>')
    assert.equal(html('line one  \nline two\\\nline three\nsoft'), '<p>line one<br>line two<br>line three\nsoft</p>')
    assert.equal(html('[site](https://example.org/a_(b) "T") [here](#/post/3) [mail](mailto:a@b.c) <https://x.org> see https://y.org/p.'),
      '<p><a href="https://example.org/a_(b)" title="T" rel="noopener noreferrer" target="_blank">site</a> ' +
      '<a href="#/post/3" rel="noopener noreferrer">here</a> <a href="mailto:a@b.c" rel="noopener noreferrer">mail</a> ' +
      '<a href="https://x.org" rel="noopener noreferrer" target="_blank">https://x.org</a> see <a href="https://y.org/p" rel="noopener noreferrer" target="_blank">https://y.org/p</a>.</p>')
    assert.equal(html('![a *cat*](/cat.png "Cat") ![dot](data:image/png;base64,iVBORw0KGgo=)'),
      '<p><img src="/cat.png" alt="a cat" title="Cat" loading="lazy"> <img src="data:image/png;base64,iVBORw0KGgo=" alt="dot" loading="lazy"></p>')
    assert.equal(html('snake_case_name and 2 * 3 * 4 and \\*not em\\*'), '<p>snake_case_name and 2 * 3 * 4 and *not em*</p>')
    assert.equal(md.textOf(md.parse('# Hi\n\nSome **text** ![pic](/a.png)')), 'Hi\nSome text pic\n')
  })

  it('shows HTML as text and keeps only safe link targets and image sources', () => {
    const out = html(HOSTILE_COMMENT)
    assert.doesNotMatch(out, /<(?:script|svg|iframe|object)/i, out)
    assert.doesNotMatch(out, /<[a-z]+[^>]*\son[a-z]+=/i, 'no element has an event handler attribute')
    assert.doesNotMatch(out, /href="(?!https?:|mailto:|#|\/)/i, 'every href is http(s), mailto or relative')
    assert.doesNotMatch(out, /<img/, 'no image from a refused source')
    assert.match(out, /&lt;script&gt;window\.__pwned = &quot;script&quot;&lt;\/script&gt;/, 'the script is shown as text')
    assert.match(out, /a markdown link and another/, 'a refused link keeps its text')

    for (const bad of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', ' javascript:alert(1)', 'java\nscript:alert(1)', 'java\tscript:x',
      '\u0001javascript:x', 'vbscript:x', 'data:text/html,<b>', 'file:///etc/passwd', 'javascript\u200b:x', 'jav&#x09;ascript:x'.replace('&#x09;', '\t')]) {
      assert.equal(urls.safeHref(bad), null, `href ${JSON.stringify(bad)} is refused`)
    }
    for (const good of ['https://example.org/', 'http://a.b/c?d=e#f', 'mailto:a@b.c', '/about.html', 'notes.html', '#/post/2', '../up', '?q=1']) {
      assert.equal(urls.safeHref(good), good, `href ${JSON.stringify(good)} is allowed`)
    }
    for (const bad of ['https://evil.example/x.png', '//evil.example/x.png', '/\\evil.example/x.png', 'javascript:x', '/.goop/events?topics=x', '/a/../.goop/goop.js', 'data:image/svg+xml;base64,PHN2Zz4=',
      'data:text/html;base64,PHNjcmlwdD4=', 'data:image/png,notbase64', 'http:/x.png']) {
      assert.equal(urls.safeImageSrc(bad), null, `src ${JSON.stringify(bad)} is refused`)
    }
    for (const good of ['/photo.jpg', 'img/a.png', './b.webp', 'data:image/gif;base64,R0lGODlhAQABAAAAACw=']) {
      assert.equal(urls.safeImageSrc(good), good, `src ${JSON.stringify(good)} is allowed`)
    }
    // What the tree says is checked again on the way out: a forged node does not get through either.
    assert.equal(md.toHtml([{ tag: 'a', attrs: { href: 'javascript:x', onclick: 'x' }, children: ['t'] }, { tag: 'script', children: ['x'] }, { tag: 'img', attrs: { src: '//e/x' } }]), 'tx')
  })

  it('stays fast on hostile input (no quadratic corner)', () => {
    const bombs = ['['.repeat(60_000), '[]('.repeat(20_000), '*a '.repeat(20_000), '**a '.repeat(15_000), '_a'.repeat(30_000), '`a'.repeat(30_000),
      '<'.repeat(60_000), '> '.repeat(30_000), '- '.repeat(30_000), '  - a\n'.repeat(8_000), '#'.repeat(60_000), `# ${' '.repeat(60_000)}x`,
      'a  \n'.repeat(16_000), 'http://'.repeat(9_000), '![x]('.repeat(12_000)]
    for (const bomb of bombs) {
      const t = performance.now()
      html(bomb)
      const ms = performance.now() - t
      assert.ok(ms < 1500, `${JSON.stringify(bomb.slice(0, 12))}… (${bomb.length} characters) took ${Math.round(ms)} ms`)
    }
  })
})

describe('the blog template with two peers in a real browser', () => {
  let browser: Browser | undefined
  let ada: TestPeer | undefined
  let bo: TestPeer | undefined
  /** What any page reported that it should not: CSP violations, uncaught errors, native dialogs. */
  const problems: string[] = []
  let adaPage!: Page
  let boPage!: Page
  let postId = 0

  /** One data operation as ada (the owner), through her admin API: what is really stored. */
  async function op<R extends DataRequest> (req: R): Promise<DataResults[R['op']]> {
    const res = await ada!.api('POST', '/api/x/data/op', req)
    const body = await res.json() as DataResults[R['op']]
    assert.equal(res.status, 200, `${req.op}: ${JSON.stringify(body)}`)
    return body
  }
  const commentRows = async (): Promise<Row[]> => (await op({ op: 'query', table: 'comments', where: { column: 'post', op: 'eq', value: postId } })).rows

  async function openPage (viewer: TestPeer): Promise<Page> {
    const { page: p } = await watchedPage(browser!, { viewport: WIDE, problems })
    // ada's site on this viewer: its own origin, http://<ada as base36>.localhost:<port>/.
    const res = await p.goto(`http://${siteLabel(ada!.id)}.localhost:${viewer.viewer!.port}/`)
    assert.equal(res?.status(), 200)
    await p.locator('#live-status[data-on="true"]').waitFor()
    return p
  }

  const shot = shots('template-blog', { fromTop: true })

  /** Nothing a visitor wrote ran or became markup, on this page. */
  async function assertInert (p: Page, who: string): Promise<void> {
    const found = await p.evaluate((flag) => {
      const main = document.getElementById('main')!
      const all = [...main.querySelectorAll('*')]
      return {
        flag: (window as unknown as Record<string, unknown>)[flag] ?? null,
        scripts: main.querySelectorAll('script, svg, iframe, object, embed').length,
        handlers: all.flatMap(el => [...el.attributes].filter(a => a.name.startsWith('on')).map(a => `${el.tagName} ${a.name}`)),
        hrefs: [...main.querySelectorAll('[href]')].map(el => el.getAttribute('href')!).filter(h => !/^(?:https?:|mailto:|#|\/)/i.test(h)),
        images: [...main.querySelectorAll('img')].map(img => img.getAttribute('src'))
      }
    }, FLAG)
    assert.deepEqual(found, { flag: null, scripts: 0, handlers: [], hrefs: [], images: [] }, `nothing ran or became markup on ${who}'s page`)
  }

  before(async () => {
    ;[browser, ada, bo] = await Promise.all([
      launchBrowser(),
      startTestPeer({ config: { name: 'ada' } }),
      startTestPeer({ config: { name: 'bo' } })
    ])
    await connect(bo, ada)
  })

  after(async () => {
    await browser?.close()
    await Promise.all([ada?.cleanup(), bo?.cleanup()])
    assert.deepEqual(problems, [], 'no CSP violations, page errors or native dialogs')
  })

  it('applies by name: the tables with their policies, the seed and the site', async () => {
    const res = await ada!.api('POST', '/api/x/templates/apply', { name: 'blog' })
    const body = await res.json() as { template: { name: string }, kind: string, seeded: Record<string, number> }
    assert.equal(res.status, 200, JSON.stringify(body))
    assert.equal(body.template.name, 'blog')
    assert.deepEqual(body.seeded, { settings: 1, posts: 1 })
    const { tables } = await op({ op: 'describe' })
    const policies = Object.fromEntries(tables.map(t => [t.name, t.policy]))
    assert.deepEqual(policies, {
      comments: { read: 'open', insert: 'open', update: 'author', delete: 'author' },
      posts: { read: 'open', insert: 'owner', update: 'owner', delete: 'owner' },
      settings: { read: 'open', insert: 'owner', update: 'owner', delete: 'owner' }
    })
  })

  it('the owner publishes a post through the page\'s editor, with a preview', async () => {
    adaPage = await openPage(ada!)
    await waitText(adaPage, '#blog-title', 'My goop blog')
    await adaPage.locator('.post-card h2', { hasText: 'Hello, world' }).waitFor()
    assert.equal(await adaPage.locator('#owner-nav').isVisible(), true, 'the owner sees her menu')
    await shot(adaPage, '01-owner-home')

    await adaPage.getByRole('link', { name: 'New post' }).click()
    await adaPage.getByLabel('Title').fill('Notes from the garden')
    await adaPage.locator('#post-body').fill([
      'The tomatoes are **finally** ripe, and the *basil* is taking over.',
      '',
      '## What grew',
      '',
      '- tomatoes',
      '- basil',
      '- one very determined `zucchini`',
      '',
      '> Gardening is cheaper than therapy, and you get tomatoes.',
      '',
      'More on [growing tomatoes](https://example.org/tomatoes).'
    ].join('\n'))
    await adaPage.getByRole('tab', { name: 'Preview' }).click()
    await waitText(adaPage, '#post-preview h2', 'What grew')
    assert.equal(await adaPage.locator('#post-preview strong').first().innerText(), 'finally')
    await shot(adaPage, '02-owner-editor-preview')

    await adaPage.getByRole('button', { name: 'Publish' }).click()
    await waitText(adaPage, '.post-title', 'Notes from the garden')
    postId = Number(/#\/post\/(\d+)$/.exec(adaPage.url())?.[1])
    assert.ok(postId > 0, `the page went to the new post: ${adaPage.url()}`)
    const { row } = await op({ op: 'get', table: 'posts', id: postId })
    assert.equal(row?.title, 'Notes from the garden')
    assert.equal(row?._author, ada!.id)
    await adaPage.locator('.comments .empty').waitFor()
  })

  it('the visitor reads it (no editor offered) and comments; the owner sees the comment live', async () => {
    boPage = await openPage(bo!)
    const cards = boPage.locator('.post-card h2')
    await cards.first().waitFor()
    assert.deepEqual(await cards.allInnerTexts(), ['Notes from the garden', 'Hello, world'], 'newest first')
    assert.equal(await boPage.locator('#owner-nav').isVisible(), false, 'no New post or Settings for a visitor')
    await shot(boPage, '03-visitor-home')

    await boPage.getByRole('link', { name: 'Notes from the garden', exact: true }).click()
    await waitText(boPage, '.post-title', 'Notes from the garden')
    assert.equal(await boPage.locator('.post-body h2').innerText(), 'What grew')
    assert.deepEqual(await boPage.locator('.post-body li').allInnerTexts(), ['tomatoes', 'basil', 'one very determined zucchini'])
    const link = boPage.locator('.post-body a', { hasText: 'growing tomatoes' })
    assert.equal(await link.getAttribute('href'), 'https://example.org/tomatoes')
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer')
    assert.equal(await boPage.locator('.post-actions').count(), 0, 'no Edit or Delete for a visitor')
    assert.equal(await boPage.getByRole('button', { name: /delete post/i }).count(), 0)

    await adaPage.evaluate(() => { (window as unknown as { stayed: boolean }).stayed = true })
    await boPage.getByLabel('Your name').fill('Bo')
    await boPage.getByLabel('Comment', { exact: true }).fill('What a **lovely** garden!')
    await boPage.getByRole('button', { name: 'Post comment' }).click()
    const mine = boPage.locator('li.comment', { hasText: 'lovely' })
    await mine.waitFor()
    assert.equal(await mine.locator('.comment-body strong').innerText(), 'lovely')
    assert.equal(await mine.getAttribute('data-by'), 'me')
    assert.equal(await boPage.locator('#comment-body').inputValue(), '', 'the form is cleared')

    // ada's page follows data.changed: the comment arrives without a reload.
    const arrived = adaPage.locator('li.comment', { hasText: 'lovely' })
    await arrived.waitFor()
    assert.equal(await arrived.locator('.comment-name').innerText(), 'Bo')
    assert.equal(await adaPage.evaluate(() => (window as unknown as { stayed?: boolean }).stayed), true, 'the owner\'s page was not reloaded')
    const rows = await commentRows()
    assert.equal(rows.length, 1)
    assert.equal(rows[0]._author, bo!.id, 'the comment is bo\'s, as his connection says')
    assert.equal(rows[0].name, 'Bo')
    await shot(boPage, '04-visitor-post-commented')
  })

  it('a comment carrying script is rendered inert for the visitor and for the owner', async () => {
    await boPage.getByLabel('Your name').fill(HOSTILE_NAME)
    await boPage.getByLabel('Comment', { exact: true }).fill(HOSTILE_COMMENT)
    await boPage.getByRole('button', { name: 'Post comment' }).click()
    for (const [p, who] of [[boPage, 'bo'], [adaPage, 'ada']] as const) {
      const hostile = p.locator('li.comment', { hasText: 'Nice post!' })
      await hostile.waitFor()
      // Shown, as text: the markup is visible to read, the name too.
      assert.match(await hostile.locator('.comment-body').innerText(), /<script>window\.__pwned = "script"<\/script>/)
      assert.equal(await hostile.locator('.comment-name').innerText(), HOSTILE_NAME)
      assert.match(await hostile.locator('.comment-body').innerText(), /a markdown link and another/)
      // The refused markdown link is text, not a link: clicking it does nothing.
      await hostile.getByText('a markdown link').click()
      await assertInert(p, who)
    }
    assert.match(boPage.url(), new RegExp(`#/post/${postId}$`), 'clicking the refused link went nowhere')
    await shot(boPage, '05-visitor-hostile-comment-inert')
    await shot(adaPage, '06-owner-sees-comments-live')
  })

  it('the visitor edits and deletes its own comment; the owner\'s page follows', async () => {
    // By its ID: while it is edited, its text is in a textarea (a value, not text on the page).
    const mineId = await boPage.locator('li.comment', { hasText: 'lovely' }).getAttribute('data-id')
    const mine = boPage.locator(`li.comment[data-id="${mineId}"]`)
    await mine.getByRole('button', { name: 'Edit your comment' }).click()
    const field = mine.getByRole('textbox', { name: 'Edit your comment' })
    assert.equal(await field.inputValue(), 'What a **lovely** garden!')
    await field.fill('What a **lovely** garden! The basil looks _amazing_.')
    await mine.getByRole('button', { name: 'Save' }).click()
    await mine.locator('.comment-body em', { hasText: 'amazing' }).waitFor()
    await mine.locator('.edited').waitFor()
    await adaPage.locator('li.comment .comment-body em', { hasText: 'amazing' }).waitFor()

    const hostile = boPage.locator('li.comment', { hasText: 'Nice post!' })
    await hostile.getByRole('button', { name: 'Delete your comment' }).click()
    await boPage.locator('#confirm[open]').waitFor()
    await shot(boPage, '07-visitor-confirm-delete')
    await boPage.locator('#confirm .confirm-yes').click()
    await hostile.waitFor({ state: 'detached' })
    await adaPage.locator('li.comment', { hasText: 'Nice post!' }).waitFor({ state: 'detached' })
    const rows = await commentRows()
    assert.deepEqual(rows.map(r => r.body), ['What a **lovely** garden! The basil looks _amazing_.'])
  })

  it('the visitor cannot change the post or another\'s comment: forbidden through goop.data, and not offered', async () => {
    // ada answers bo's comment from her page: a comment that is hers.
    await adaPage.getByLabel('Comment', { exact: true }).fill('Thank you, Bo! Come by for **tomatoes**.')
    await adaPage.getByRole('button', { name: 'Post comment' }).click()
    const reply = boPage.locator('li.comment', { hasText: 'Thank you, Bo!' })
    await reply.waitFor()
    assert.equal(await reply.getAttribute('data-by'), 'owner')
    assert.equal(await reply.locator('.badge').innerText(), 'AUTHOR')
    assert.equal(await reply.getByRole('button').count(), 0, 'no Edit or Delete on someone else\'s comment')
    const adaComment = (await commentRows()).find(r => r._author === ada!.id)!
    assert.ok(adaComment != null, 'ada\'s comment is stored as hers')

    // Straight through goop.data in bo's page, past anything the page offers. (No named functions in
    // here: the test's compiler would wrap them in a helper the page does not have.)
    const attempts = ['updatePost', 'deletePost', 'insertPost', 'updateComment', 'deleteComment', 'updateSettings', 'longComment', 'longName', 'noBody']
    const codes = await boPage.evaluate(async ({ post, comment }) => {
      const goop = (window as unknown as { goop: PageGoop }).goop
      const posts = goop.data.table('posts')
      const comments = goop.data.table('comments')
      const results = await Promise.allSettled([
        posts.update(post, { title: 'Hacked' }),
        posts.delete(post),
        posts.insert({ title: 'Spam', body: 'spam' }),
        comments.update(comment, { body: 'I did not write this' }),
        comments.delete(comment),
        goop.data.table('settings').update(1, { title: 'Bo\'s blog now' }),
        comments.insert({ post, body: 'x'.repeat(4001) }),
        comments.insert({ post, body: 'hi', name: 'n'.repeat(81) }),
        comments.insert({ post })
      ])
      return results.map(r => r.status === 'fulfilled' ? 'allowed' : (r.reason as { code: string }).code)
    }, { post: postId, comment: adaComment._id })
    assert.deepEqual(Object.fromEntries(attempts.map((name, i) => [name, codes[i]])), {
      updatePost: 'forbidden',
      deletePost: 'forbidden',
      insertPost: 'forbidden',
      updateComment: 'forbidden',
      deleteComment: 'forbidden',
      updateSettings: 'forbidden',
      longComment: 'bad_value',
      longName: 'bad_value',
      noBody: 'bad_value'
    })
    assert.equal((await op({ op: 'get', table: 'posts', id: postId })).row?.title, 'Notes from the garden')
    assert.equal((await op({ op: 'get', table: 'comments', id: adaComment._id })).row?.body, 'Thank you, Bo! Come by for **tomatoes**.')

    // The editor's address, typed in by a visitor: a sentence, no form.
    await boPage.goto(boPage.url().replace(/#.*$/, `#/edit/${postId}`))
    await waitText(boPage, '#main h1', 'Only the blog\'s author writes here')
    assert.equal(await boPage.locator('#main form').count(), 0)
    await boPage.goBack()
    await reply.waitFor()
    await shot(boPage, '08-visitor-with-owner-reply')
    await boPage.setViewportSize(NARROW)
    await shot(boPage, '09-visitor-narrow')
    await boPage.setViewportSize(WIDE)
  })

  it('the owner moderates a comment and edits the post; the visitor sees both live', async () => {
    const theirs = adaPage.locator('li.comment', { hasText: 'lovely' })
    assert.equal(await theirs.getByRole('button', { name: 'Edit your comment' }).count(), 0, 'the owner edits no one else\'s words')
    await theirs.getByRole('button', { name: 'Delete the comment by Bo' }).click()
    await adaPage.locator('#confirm .confirm-yes').click()
    await boPage.locator('li.comment', { hasText: 'lovely' }).waitFor({ state: 'detached' })
    assert.deepEqual((await commentRows()).map(r => r._author), [ada!.id])

    await adaPage.getByRole('link', { name: 'Edit post' }).click()
    const title = adaPage.getByLabel('Title')
    assert.equal(await title.inputValue(), 'Notes from the garden')
    await title.fill('Notes from the garden, in August')
    await adaPage.getByRole('button', { name: 'Save changes' }).click()
    await waitText(adaPage, '.post-title', 'Notes from the garden, in August')
    await waitText(boPage, '.post-title', 'Notes from the garden, in August')
    assert.equal(await boPage.evaluate(() => document.title), 'Notes from the garden, in August — My goop blog')
    await shot(adaPage, '10-owner-after-moderation')
  })

  it('the owner renames the blog and deletes a post with its comments; the visitor\'s front page follows', async () => {
    const hello = (await op({ op: 'query', table: 'posts', where: { column: 'title', op: 'eq', value: 'Hello, world' } })).rows[0]
    await op({ op: 'insert', table: 'comments', values: { post: hello._id, body: 'First!' } })
    await boPage.getByRole('link', { name: '← All posts' }).click()
    await boPage.locator('.post-card', { hasText: 'Hello, world' }).locator('.comment-count', { hasText: '1 comment' }).waitFor()

    await adaPage.getByRole('link', { name: 'Settings' }).click()
    await adaPage.getByLabel('Name of the blog').fill('Ada\'s garden')
    await adaPage.getByLabel('Tagline').fill('Tomatoes, basil and the odd zucchini')
    await adaPage.getByRole('button', { name: 'Save' }).click()
    await waitText(adaPage, '.draft-state', 'Saved.')
    await waitText(boPage, '#blog-title', 'Ada\'s garden')
    await waitText(boPage, '#blog-tagline', 'Tomatoes, basil and the odd zucchini')
    await shot(adaPage, '11-owner-settings')

    await adaPage.goto(adaPage.url().replace(/#.*$/, `#/post/${hello._id}`))
    await adaPage.getByRole('button', { name: 'Delete post' }).click()
    await adaPage.locator('#confirm .confirm-yes').click()
    await adaPage.locator('.post-card').first().waitFor()
    assert.equal(new URL(adaPage.url()).hash, '#/')
    await boPage.locator('.post-card', { hasText: 'Hello, world' }).waitFor({ state: 'detached' })
    assert.deepEqual(await boPage.locator('.post-card h2').allInnerTexts(), ['Notes from the garden, in August'])
    assert.equal((await op({ op: 'count', table: 'comments', where: { column: 'post', op: 'eq', value: hello._id } })).count, 0, 'its comments went with it')
    await shot(boPage, '12-visitor-front-page-live')
  })
})
