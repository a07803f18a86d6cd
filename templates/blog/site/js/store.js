// The blog's data, through goop.data: the owner's `settings`, `posts` and `comments` tables (see the
// template's goop-template.json for their columns and policies). The owner's peer checks every
// request against those policies; what this page shows or hides is only for convenience.

const goop = window.goop

const settings = goop.data.table('settings')
const posts = goop.data.table('posts')
const comments = goop.data.table('comments')

/** Whose blog this is, and who is reading it. */
export const owner = goop.peer
export const me = goop.me
/** The owner is reading their own blog: the page offers writing, editing and moderation. */
export const isOwner = goop.me === goop.peer

export const LIMITS = Object.freeze({ title: 200, body: 65_536, comment: 4000, name: 80, blogTitle: 100, tagline: 300 })

export const POSTS_PER_PAGE = 10
const COMMENTS_PER_PAGE = 200

// ---------------------------------------------------------------------------------------------
// Settings

/** The blog's name and tagline (the first row of `settings`), or defaults when there is none. */
export async function loadSettings () {
  const { rows } = await settings.query({ order: [{ column: '_id', dir: 'asc' }], limit: 1 })
  return rows[0] ?? { _id: null, title: 'Blog', tagline: '' }
}

export async function saveSettings (id, values) {
  if (id == null) return (await settings.insert(values)).row
  return (await settings.update(id, values)).row
}

// ---------------------------------------------------------------------------------------------
// Posts

/** A page of posts, newest first; `cursor` for the next page. */
export async function listPosts (cursor) {
  return await posts.query({ order: [{ column: '_id', dir: 'desc' }], limit: POSTS_PER_PAGE, ...(cursor != null ? { cursor } : {}) })
}

/** The post, or null if there is none with that ID. */
export async function getPost (id) {
  return (await posts.get(id)).row
}

export async function savePost (id, values) {
  if (id == null) return (await posts.insert(values)).row
  return (await posts.update(id, values)).row
}

/** Delete a post and its comments (the owner may delete any comment). */
export async function deletePost (id) {
  await posts.delete(id)
  // The post goes first: if removing its comments fails half-way, what is left is unreachable, not wrong.
  for (;;) {
    const { rows } = await comments.query({ where: { column: 'post', op: 'eq', value: id }, columns: ['post'], limit: 500 })
    if (rows.length === 0) break
    // A comment its author removed meanwhile is not_found: gone either way.
    await Promise.all(rows.map(r => comments.delete(r._id).catch((err) => { if (err?.code !== 'not_found') throw err })))
  }
}

// ---------------------------------------------------------------------------------------------
// Comments

/** Every comment on a post, oldest first (pages of 200, fetched one after the other). */
export async function listComments (postId) {
  const all = []
  let cursor
  do {
    const page = await comments.query({ where: { column: 'post', op: 'eq', value: postId }, order: [{ column: '_id', dir: 'asc' }], limit: COMMENTS_PER_PAGE, ...(cursor != null ? { cursor } : {}) })
    all.push(...page.rows)
    cursor = page.cursor
  } while (cursor != null && all.length < 5000)
  return all
}

export async function countComments (postId) {
  return (await comments.count({ column: 'post', op: 'eq', value: postId })).count
}

export async function addComment (postId, body, name) {
  return (await comments.insert({ post: postId, body, name: name === '' ? null : name })).row
}

export async function editComment (id, body) {
  return (await comments.update(id, { body })).row
}

export async function deleteComment (id) {
  await comments.delete(id)
}

// ---------------------------------------------------------------------------------------------
// Live changes

/** Listeners per table; `data.changed` is followed once, for the page's whole life. */
const listeners = new Map()
const statusListeners = new Set()
let connected = false
let openedBefore = false

/**
 * Follow changes to a table: `fn({ table, op, _id })`, and `fn({ table, op: 'resync' })` after the
 * event stream came back from a break (changes may have been missed: load again).
 * @returns {() => void} stops following
 */
export function follow (table, fn) {
  let set = listeners.get(table)
  if (set == null) listeners.set(table, set = new Set())
  set.add(fn)
  return () => { set.delete(fn) }
}

/** Follow whether live updates are on: `fn(true | false)` now and on every change. */
export function followStatus (fn) {
  statusListeners.add(fn)
  fn(connected)
  return () => { statusListeners.delete(fn) }
}

function setConnected (on) {
  if (on === connected) return
  connected = on
  for (const fn of statusListeners) fn(on)
}

goop.events.on('data.changed', (change) => {
  for (const fn of listeners.get(change?.table) ?? []) fn(change)
})
goop.events.on('goop.ready', () => {
  setConnected(true)
  if (openedBefore) {
    for (const [table, set] of listeners) for (const fn of set) fn({ table, op: 'resync' })
  }
  openedBefore = true
})
goop.events.on('goop.error', () => { setConnected(false) })

/**
 * `load` run at most once at a time: asked again while it runs, it runs once more afterwards (so a
 * change that arrives during a load is never missed, and a burst of changes costs two loads).
 * @param {() => Promise<void>} load
 * @returns {() => void}
 */
export function reloader (load) {
  let running = false
  let again = false
  const run = async () => {
    if (running) { again = true; return }
    running = true
    try {
      do {
        again = false
        await load()
      } while (again)
    } finally {
      running = false
    }
  }
  return () => { void run() }
}
