// The owner's post editor: title and Markdown body, Write / Preview tabs, publish or save. A new
// post's draft is kept in this browser while it is written, so a closed tab loses nothing.
// Visitors who open #/new get a sentence, not a form: only the owner can write here (and the owner's
// peer refuses anyone else's writes to the posts table whatever a page does).

import { getPost, isOwner, LIMITS, savePost } from './store.js'
import { counter, errorBox, explain, h, setPageTitle, submitOnCtrlEnter } from './dom.js'
import { renderInto } from './markdown.js'

const DRAFT_KEY = 'goop-blog-draft'

function readDraft () {
  try {
    const d = JSON.parse(localStorage.getItem(DRAFT_KEY) ?? 'null')
    return d != null && typeof d.title === 'string' && typeof d.body === 'string' ? d : null
  } catch {
    return null
  }
}

/**
 * @param {HTMLElement} main
 * @param {number | null} id the post to edit, or null for a new one
 * @returns {() => void} cleanup
 */
export function showEditor (main, id) {
  if (!isOwner) {
    setPageTitle('Only the author writes here')
    main.replaceChildren(h('div', { class: 'notice' },
      h('h1', { text: 'Only the blog\'s author writes here' }),
      h('p', { text: 'You can read every post and leave comments.' }),
      h('a', { class: 'button', href: '#/', text: 'Read the posts' })))
    return () => {}
  }
  const holder = h('div', { 'aria-busy': 'true' }, h('p', { class: 'loading', text: 'Loading the post…' }))
  main.replaceChildren(holder)
  let alive = true

  async function start () {
    try {
      const post = id == null ? null : await getPost(id)
      if (!alive) return
      if (id != null && post == null) {
        holder.replaceChildren(h('div', { class: 'notice' }, h('h1', { text: 'There is no such post' }), h('a', { class: 'button', href: '#/', text: 'See all posts' })))
        return
      }
      holder.replaceChildren(form(post))
      holder.querySelector(post == null ? '#post-title' : '#post-body')?.focus()
    } catch (err) {
      holder.replaceChildren(errorBox('Could not load the post.', err, () => { void start() }))
    } finally {
      holder.setAttribute('aria-busy', 'false')
    }
  }
  void start()
  return () => { alive = false }
}

function form (post) {
  const isNew = post == null
  const draft = isNew ? readDraft() : null
  setPageTitle(isNew ? 'New post' : `Editing “${post.title}”`)

  const title = h('input', { class: 'field title-field', id: 'post-title', name: 'title', maxlength: String(LIMITS.title), required: true, autocomplete: 'off', placeholder: 'A title' })
  title.value = post?.title ?? draft?.title ?? ''
  const body = h('textarea', { class: 'field body-field', id: 'post-body', name: 'body', maxlength: String(LIMITS.body), required: true, rows: '18', placeholder: 'Write in Markdown…' })
  body.value = post?.body ?? draft?.body ?? ''
  submitOnCtrlEnter(body)
  submitOnCtrlEnter(title)

  const preview = h('div', { class: 'prose preview', id: 'post-preview', role: 'tabpanel', 'aria-labelledby': 'tab-preview', hidden: true })
  const writePanel = h('div', { id: 'post-write', role: 'tabpanel', 'aria-labelledby': 'tab-write' }, body)
  const writeTab = h('button', { type: 'button', role: 'tab', id: 'tab-write', 'aria-controls': 'post-write', 'aria-selected': 'true', class: 'tab', text: 'Write' })
  const previewTab = h('button', { type: 'button', role: 'tab', id: 'tab-preview', 'aria-controls': 'post-preview', 'aria-selected': 'false', tabindex: '-1', class: 'tab', text: 'Preview' })
  const select = (previewing) => {
    writeTab.setAttribute('aria-selected', String(!previewing))
    previewTab.setAttribute('aria-selected', String(previewing))
    writeTab.tabIndex = previewing ? -1 : 0
    previewTab.tabIndex = previewing ? 0 : -1
    writePanel.hidden = previewing
    preview.hidden = !previewing
    if (previewing) {
      renderInto(preview, body.value, { minHeading: 2 })
      if (body.value.trim() === '') preview.replaceChildren(h('p', { class: 'muted', text: 'Nothing to preview yet.' }))
    }
  }
  writeTab.addEventListener('click', () => { select(false) })
  previewTab.addEventListener('click', () => { select(true) })
  // Arrow keys move between the tabs (the ARIA tabs pattern).
  for (const tab of [writeTab, previewTab]) {
    tab.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return
      const other = tab === writeTab ? previewTab : writeTab
      select(other === previewTab)
      other.focus()
    })
  }

  const draftState = h('span', { class: 'draft-state', 'aria-live': 'polite' })
  let timer
  if (isNew) {
    if (draft != null) draftState.textContent = 'Draft restored.'
    const keep = () => {
      clearTimeout(timer)
      timer = setTimeout(() => {
        if (title.value === '' && body.value === '') localStorage.removeItem(DRAFT_KEY)
        else localStorage.setItem(DRAFT_KEY, JSON.stringify({ title: title.value, body: body.value }))
        draftState.textContent = 'Draft saved in this browser.'
      }, 400)
    }
    title.addEventListener('input', keep)
    body.addEventListener('input', keep)
  }

  const error = h('p', { class: 'form-error', role: 'alert' })
  const submit = h('button', { type: 'submit', class: 'button primary', text: isNew ? 'Publish' : 'Save changes' })
  const cancel = h('a', { class: 'button', href: isNew ? '#/' : `#/post/${post._id}`, text: 'Cancel' })

  const node = h('form', { class: 'editor', 'aria-labelledby': 'editor-heading' },
    h('h1', { id: 'editor-heading', text: isNew ? 'New post' : 'Edit post' }),
    h('div', { class: 'field-row' }, h('label', { for: 'post-title', text: 'Title' }), title, counter(title, LIMITS.title)),
    h('div', { class: 'field-row' },
      h('div', { class: 'tabs-bar' },
        h('label', { for: 'post-body', text: 'Text' }),
        h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Editor' }, writeTab, previewTab)),
      writePanel, preview,
      h('div', { class: 'form-foot' },
        h('span', { class: 'hint', text: 'Markdown: ## heading, **bold**, *italic*, `code`, [link](https://…), ![image](/photo.jpg), > quote, - list' }),
        counter(body, LIMITS.body))),
    h('div', { class: 'editor-actions' }, submit, cancel, draftState),
    error)

  node.addEventListener('submit', async (e) => {
    e.preventDefault()
    const values = { title: title.value.trim(), body: body.value }
    if (values.title === '') { error.textContent = 'Give the post a title.'; title.focus(); return }
    if (values.body.trim() === '') { error.textContent = 'Write something first.'; select(false); body.focus(); return }
    submit.disabled = true
    error.textContent = ''
    try {
      const saved = await savePost(post?._id ?? null, values)
      clearTimeout(timer)
      if (isNew) localStorage.removeItem(DRAFT_KEY)
      location.hash = `#/post/${saved._id}`
    } catch (err) {
      error.textContent = explain(err)
      submit.disabled = false
    }
  })
  return node
}
