// Which view the address shows (#/, #/post/12, #/new, #/edit/12, #/settings), the header with the
// blog's name (live), the owner's menu, and the live-updates indicator.

import { follow, followStatus, isOwner, loadSettings } from './store.js'
import { h, refreshTimes, setBlogName, setPageTitle } from './dom.js'
import { showList } from './list.js'
import { showPost } from './post.js'
import { showEditor } from './editor.js'
import { showSettings } from './settings.js'

/** A post ID from the address: a positive whole number, else no match. */
const postId = s => {
  const n = Number(s)
  return Number.isSafeInteger(n) && n > 0 ? n : null
}

const ROUTES = [
  [/^#?\/?$/, main => showList(main)],
  [/^#\/post\/(\d{1,16})$/, (main, m) => postId(m[1]) == null ? null : showPost(main, postId(m[1]))],
  [/^#\/new$/, main => showEditor(main, null)],
  [/^#\/edit\/(\d{1,16})$/, (main, m) => postId(m[1]) == null ? null : showEditor(main, postId(m[1]))],
  [/^#\/settings$/, main => showSettings(main)]
]

function notFound (main) {
  setPageTitle('Not found')
  main.replaceChildren(h('div', { class: 'notice' },
    h('h1', { text: 'Nothing here' }),
    h('p', { text: 'This address does not lead to a page of this blog.' }),
    h('a', { class: 'button', href: '#/', text: 'See all posts' })))
  return () => {}
}

async function showHeader () {
  const title = document.getElementById('blog-title')
  const tagline = document.getElementById('blog-tagline')
  try {
    const s = await loadSettings()
    title.textContent = s.title || 'Blog'
    tagline.textContent = s.tagline ?? ''
    tagline.hidden = !s.tagline
    setBlogName(title.textContent)
  } catch {
    title.textContent = title.textContent || 'Blog'
  }
}

function showStatus () {
  const status = document.getElementById('live-status')
  followStatus((on) => {
    status.dataset.on = String(on)
    status.textContent = on ? 'Live' : 'Connecting…'
    status.title = on ? 'New posts and comments appear as they are written.' : 'Waiting for the blog\'s peer; changes show once it answers.'
  })
}

/** @param {HTMLElement} main */
export function start (main) {
  if (isOwner) {
    document.body.dataset.role = 'owner'
    document.getElementById('owner-nav').hidden = false
  } else {
    document.body.dataset.role = 'visitor'
  }
  void showHeader()
  follow('settings', () => { void showHeader() })
  showStatus()
  setInterval(() => { refreshTimes() }, 30_000)

  let cleanup = () => {}
  let first = true
  const route = () => {
    cleanup()
    const hash = location.hash
    let next = null
    for (const [pattern, view] of ROUTES) {
      const m = pattern.exec(hash)
      if (m != null) { next = view(main, m); break }
    }
    cleanup = next ?? notFound(main)
    for (const link of document.querySelectorAll('#owner-nav a')) {
      if (link.getAttribute('href') === hash) link.setAttribute('aria-current', 'page')
      else link.removeAttribute('aria-current')
    }
    // Moving to another view: start reading (and tabbing) from its top, as after a page load.
    if (!first) {
      window.scrollTo(0, 0)
      main.focus({ preventScroll: true })
    }
    first = false
  }
  window.addEventListener('hashchange', route)
  route()
}
