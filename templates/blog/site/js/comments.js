// A post's comments: the list (live: new, edited and removed comments show for everyone reading),
// the form to add one, and editing or deleting. A commenter may edit and delete its own comments;
// the blog's owner may delete any (moderation). The owner's peer enforces exactly that (the
// comments table's policy); the buttons here only follow it.

import { addComment, deleteComment, editComment, follow, isOwner, LIMITS, listComments, me, owner, reloader } from './store.js'
import { agoEl, announce, confirmDialog, counter, errorBox, explain, h, peerHue, shortPeer, submitOnCtrlEnter } from './dom.js'
import { renderInto } from './markdown.js'

const NAME_KEY = 'goop-blog-name'
/** Comments sit under the h2 "Comments": their headings are h4 and below. */
const COMMENT_MARKDOWN = { minHeading: 4 }

/** Who wrote a comment, as shown: its name, else the owner or the end of the peer ID. */
function authorName (row) {
  const name = typeof row.name === 'string' ? row.name.trim() : ''
  if (name !== '') return name
  return row._author === owner ? 'The author' : `Peer ${shortPeer(row._author)}`
}

function badge (row) {
  if (row._author === owner) return h('span', { class: 'badge owner', text: 'Author' })
  if (row._author === me) return h('span', { class: 'badge you', text: 'You' })
  return null
}

const wasEdited = row => row._updated !== row._created

/**
 * The comments of post `postId`, in `section`.
 * @param {HTMLElement} section
 * @param {number} postId
 * @returns {() => void} cleanup
 */
export function mountComments (section, postId) {
  const count = h('span', { class: 'count' })
  const heading = h('h2', { id: 'comments-heading' }, 'Comments ', count)
  const list = h('ol', { class: 'comment-list', 'aria-labelledby': 'comments-heading' })
  const status = h('div', { class: 'comments-status' }, h('p', { class: 'loading', text: 'Loading comments…' }))
  section.replaceChildren(heading, status, list, commentForm(postId, () => reload()))

  /** @type {Map<number, { li: HTMLElement, row: object, editing: boolean }>} */
  const items = new Map()
  let loaded = false

  function fill (item) {
    const { row } = item
    const mine = row._author === me
    const name = authorName(row)
    const body = h('div', { class: 'comment-body prose' })
    renderInto(body, row.body ?? '', COMMENT_MARKDOWN)
    const actions = h('div', { class: 'comment-actions' },
      mine ? h('button', { type: 'button', class: 'link-button', text: 'Edit', 'aria-label': 'Edit your comment', on: { click: () => { startEdit(item) } } }) : null,
      mine || isOwner
        ? h('button', { type: 'button', class: 'link-button danger', text: 'Delete', 'aria-label': mine ? 'Delete your comment' : `Delete the comment by ${name}`, on: { click: () => { void remove(item) } } })
        : null)
    item.li.dataset.by = row._author === owner ? 'owner' : mine ? 'me' : 'other'
    item.li.replaceChildren(
      h('span', { class: 'avatar', style: `--hue: ${peerHue(row._author)}`, 'aria-hidden': 'true', text: [...name][0]?.toUpperCase() ?? '?' }),
      h('div', { class: 'comment-main' },
        h('p', { class: 'comment-head' },
          h('strong', { class: 'comment-name', title: `Peer ${row._author}`, text: name }), ' ', badge(row), ' ',
          agoEl(row._created), wasEdited(row) ? h('span', { class: 'edited', title: `Edited ${new Date(row._updated).toLocaleString()}`, text: ' · edited' }) : null),
        body,
        actions.childElementCount > 0 ? actions : null))
  }

  function startEdit (item) {
    item.editing = true
    const field = h('textarea', { class: 'field', rows: '4', maxlength: String(LIMITS.comment), 'aria-label': 'Edit your comment', required: true })
    field.value = item.row.body ?? ''
    submitOnCtrlEnter(field)
    const error = h('p', { class: 'form-error', role: 'alert' })
    const save = h('button', { type: 'submit', class: 'button primary small', text: 'Save' })
    const cancel = h('button', { type: 'button', class: 'button small', text: 'Cancel', on: { click: () => { stopEdit(item) } } })
    const form = h('form', { class: 'comment-edit' }, field, h('div', { class: 'form-foot' }, counter(field, LIMITS.comment), h('span', { class: 'spacer' }), cancel, save), error)
    form.addEventListener('submit', async (e) => {
      e.preventDefault()
      const text = field.value.trim()
      if (text === '') { error.textContent = 'A comment cannot be empty. To remove it, use Delete.'; return }
      save.disabled = true
      try {
        item.row = await editComment(item.row._id, text)
        stopEdit(item)
        announce('Your comment was saved.')
      } catch (err) {
        error.textContent = explain(err)
        save.disabled = false
      }
    })
    item.li.querySelector('.comment-body').replaceWith(form)
    item.li.querySelector('.comment-actions')?.remove()
    field.focus()
  }

  function stopEdit (item) {
    item.editing = false
    fill(item)
    item.li.querySelector('.comment-actions button')?.focus()
  }

  async function remove (item) {
    const mine = item.row._author === me
    if (!await confirmDialog(mine ? 'Delete your comment? This cannot be undone.' : `Delete the comment by ${authorName(item.row)}? This cannot be undone.`)) return
    try {
      await deleteComment(item.row._id)
      announce('The comment was deleted.')
      reload()
    } catch (err) {
      status.replaceChildren(errorBox('Could not delete the comment.', err, null))
    }
  }

  /** Bring the list in line with `rows`, keeping the elements (and any open edit) of comments that stay. */
  function show (rows) {
    const seen = new Set()
    let prev = null
    const fresh = []
    for (const row of rows) {
      seen.add(row._id)
      let item = items.get(row._id)
      if (item == null) {
        item = { li: h('li', { class: 'comment', id: `comment-${row._id}`, 'data-id': row._id }), row, editing: false }
        fill(item)
        items.set(row._id, item)
        if (loaded) fresh.push(item)
      } else if (row._updated !== item.row._updated && !item.editing) {
        item.row = row
        fill(item)
      }
      const at = prev == null ? list.firstChild : prev.nextSibling
      if (item.li !== at) list.insertBefore(item.li, at)
      prev = item.li
    }
    for (const [id, item] of items) {
      if (!seen.has(id)) { item.li.remove(); items.delete(id) }
    }
    for (const item of fresh) {
      item.li.classList.add('fresh')
      if (item.row._author !== me) announce(`New comment from ${authorName(item.row)}.`)
    }
    count.textContent = rows.length === 0 ? '' : `(${rows.length})`
    status.replaceChildren(rows.length === 0 ? h('p', { class: 'empty', text: 'No comments yet. Start the conversation!' }) : '')
    loaded = true
  }

  const reload = reloader(async () => {
    try {
      show(await listComments(postId))
    } catch (err) {
      status.replaceChildren(errorBox('Could not load the comments.', err, () => { reload() }))
    }
  })
  reload()
  return follow('comments', reload)
}

/** The form to add a comment. `added()` is called after one was stored. */
function commentForm (postId, added) {
  const nameField = h('input', { class: 'field', id: 'comment-name', name: 'name', maxlength: String(LIMITS.name), autocomplete: 'nickname', placeholder: isOwner ? 'The author' : 'Anonymous' })
  nameField.value = localStorage.getItem(NAME_KEY) ?? ''
  const body = h('textarea', { class: 'field', id: 'comment-body', name: 'body', rows: '5', maxlength: String(LIMITS.comment), required: true, placeholder: 'Say something nice…' })
  submitOnCtrlEnter(body)
  const error = h('p', { class: 'form-error', role: 'alert' })
  const submit = h('button', { type: 'submit', class: 'button primary', text: 'Post comment' })
  const form = h('form', { class: 'comment-form', 'aria-labelledby': 'comment-form-heading' },
    h('h3', { id: 'comment-form-heading', text: 'Leave a comment' }),
    h('div', { class: 'field-row' }, h('label', { for: 'comment-name', text: 'Your name ' }, h('span', { class: 'optional', text: '(optional)' })), nameField),
    h('div', { class: 'field-row' }, h('label', { for: 'comment-body', text: 'Comment' }), body),
    h('div', { class: 'form-foot' },
      h('span', { class: 'hint', text: 'Markdown works: **bold**, *italic*, `code`, [link](https://…)' }),
      counter(body, LIMITS.comment), h('span', { class: 'spacer' }), submit),
    error,
    h('p', { class: 'identity', text: isOwner
      ? 'You are commenting as the blog\'s author.'
      : `You are commenting as peer ${shortPeer(me)}. Only you can edit your comment; you and the blog's owner can delete it.` }))
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const text = body.value.trim()
    const name = nameField.value.trim()
    if (text === '') { error.textContent = 'Write something first.'; body.focus(); return }
    submit.disabled = true
    error.textContent = ''
    try {
      await addComment(postId, text, name)
      localStorage.setItem(NAME_KEY, name)
      body.value = ''
      body.dispatchEvent(new Event('input'))
      announce('Your comment was posted.')
      added()
    } catch (err) {
      error.textContent = explain(err)
    } finally {
      submit.disabled = false
    }
  })
  return form
}
