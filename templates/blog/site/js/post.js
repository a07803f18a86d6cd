// One post: its title, date and Markdown body, the owner's Edit and Delete, and its comments.
// Follows changes live: an edit shows at once, a deletion says so.

import { deletePost, follow, getPost, isOwner } from './store.js'
import { announce, confirmDialog, dateEl, errorBox, h, setPageTitle } from './dom.js'
import { renderInto } from './markdown.js'
import { readingTime } from './summary.js'
import { mountComments } from './comments.js'

/** The page's h1 is the post's title: the body's headings are h2 and below. */
const POST_MARKDOWN = { minHeading: 2 }

const edited = post => new Date(post._updated).getTime() - new Date(post._created).getTime() > 60_000

function article (post) {
  const body = h('div', { class: 'prose post-body' })
  renderInto(body, post.body, POST_MARKDOWN)
  const actions = isOwner
    ? h('div', { class: 'post-actions' },
      h('a', { class: 'button', href: `#/edit/${post._id}`, text: 'Edit post' }),
      h('button', { type: 'button', class: 'button danger', text: 'Delete post', on: { click: () => { void remove(post) } } }))
    : null
  return h('article', { class: 'post', 'data-id': post._id },
    h('header', { class: 'post-header' },
      h('h1', { class: 'post-title', text: post.title }),
      h('p', { class: 'meta' }, dateEl(post._created),
        edited(post) ? h('span', {}, h('span', { 'aria-hidden': 'true', text: ' · ' }), 'updated ', dateEl(post._updated)) : null,
        h('span', { 'aria-hidden': 'true', text: ' · ' }), readingTime(post.body)),
      actions),
    body)
}

async function remove (post) {
  if (!await confirmDialog(`Delete “${post.title}” and its comments? This cannot be undone.`, 'Delete post')) return
  try {
    await deletePost(post._id)
    announce('The post was deleted.')
    location.hash = '#/'
  } catch (err) {
    document.querySelector('.post-header')?.append(errorBox('Could not delete the post.', err, null))
  }
}

/**
 * @param {HTMLElement} main
 * @param {number} id
 * @returns {() => void} cleanup
 */
export function showPost (main, id) {
  const holder = h('div', { 'aria-busy': 'true' }, h('p', { class: 'loading', text: 'Loading the post…' }))
  const back = h('nav', { class: 'back', 'aria-label': 'Back' }, h('a', { href: '#/', text: '← All posts' }))
  main.replaceChildren(holder)
  let stopComments = () => {}
  let shown = null

  async function load () {
    try {
      const post = await getPost(id)
      if (post == null) {
        setPageTitle(shown == null ? 'Not found' : 'Deleted')
        holder.replaceChildren(h('div', { class: 'notice' },
          h('h1', { text: shown == null ? 'There is no such post' : 'This post was deleted' }),
          h('p', { text: shown == null ? 'It may have been deleted, or the link is wrong.' : 'Its author removed it while you were reading.' }),
          h('a', { class: 'button', href: '#/', text: 'See all posts' })))
        stopComments()
        stopComments = () => {}
        shown = null
        return
      }
      setPageTitle(post.title)
      const node = article(post)
      if (shown == null) {
        const comments = h('section', { class: 'comments', 'aria-labelledby': 'comments-heading' })
        holder.replaceChildren(node, back, comments)
        stopComments = mountComments(comments, id)
      } else {
        shown.replaceWith(node)
      }
      shown = node
    } catch (err) {
      if (shown == null) holder.replaceChildren(errorBox('Could not load the post.', err, () => { void load() }), back)
    } finally {
      holder.setAttribute('aria-busy', 'false')
    }
  }

  void load()
  const off = follow('posts', (change) => {
    if (change.op === 'resync' || change._id === id) void load()
  })
  return () => { off(); stopComments() }
}
