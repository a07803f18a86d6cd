// The front page: posts, newest first, each with its date, reading time, comment count and the
// start of its text; "Older posts" loads the next page. Follows changes live.

import { countComments, follow, isOwner, listPosts, reloader } from './store.js'
import { dateEl, errorBox, h, setPageTitle } from './dom.js'
import { excerpt, readingTime } from './summary.js'

function card (post) {
  const comments = h('span', { class: 'comment-count', text: '' })
  const count = () => countComments(post._id).then((n) => {
    comments.textContent = n === 0 ? 'No comments yet' : n === 1 ? '1 comment' : `${n} comments`
  }).catch(() => {})
  void count()
  const href = `#/post/${post._id}`
  const node = h('article', { class: 'post-card', 'data-id': post._id },
    h('h2', {}, h('a', { href, text: post.title })),
    h('p', { class: 'meta' }, dateEl(post._created), h('span', { 'aria-hidden': 'true', text: ' · ' }), readingTime(post.body),
      h('span', { 'aria-hidden': 'true', text: ' · ' }), comments),
    h('p', { class: 'excerpt', text: excerpt(post.body) }),
    h('a', { class: 'read-more', href, 'aria-label': `Read “${post.title}”`, text: 'Read more →' }))
  return { node, count }
}

/**
 * @param {HTMLElement} main
 * @returns {() => void} cleanup
 */
export function showList (main) {
  setPageTitle('')
  const section = h('section', { class: 'post-list', 'aria-labelledby': 'posts-heading' },
    h('h1', { id: 'posts-heading', class: 'visually-hidden', text: 'Posts' }))
  const body = h('div', { 'aria-busy': 'true' }, h('p', { class: 'loading', text: 'Loading posts…' }))
  section.append(body)
  main.replaceChildren(section)

  /** How many pages are shown: a live reload keeps them all. */
  let pages = 1
  let cards = []

  async function load () {
    try {
      const next = []
      let cursor
      for (let page = 0; page < pages; page++) {
        const result = await listPosts(cursor)
        next.push(...result.rows.map(card))
        cursor = result.cursor
        if (cursor == null) break
      }
      cards = next
      if (cards.length === 0) {
        body.replaceChildren(h('div', { class: 'empty' },
          h('p', { text: isOwner ? 'You have not written anything yet.' : 'No posts yet. Come back soon!' }),
          isOwner ? h('a', { class: 'button primary', href: '#/new', text: 'Write your first post' }) : null))
      } else {
        const more = cursor == null
          ? ''
          : h('button', { type: 'button', class: 'button more', text: 'Older posts', on: { click: () => { pages++; reload() } } })
        body.replaceChildren(...cards.map(c => c.node), more)
      }
    } catch (err) {
      body.replaceChildren(errorBox('Could not load the posts.', err, () => { reload() }))
    } finally {
      body.setAttribute('aria-busy', 'false')
    }
  }

  const reload = reloader(load)
  reload()
  const offPosts = follow('posts', reload)
  // A comment changes only the counts.
  const offComments = follow('comments', (change) => {
    if (change.op === 'resync') reload()
    else for (const c of cards) void c.count()
  })
  return () => { offPosts(); offComments() }
}
