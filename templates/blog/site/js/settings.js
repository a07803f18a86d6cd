// The owner's blog settings: its name and tagline, shown at the top of every page.

import { isOwner, LIMITS, loadSettings, saveSettings } from './store.js'
import { counter, errorBox, explain, h, setPageTitle } from './dom.js'

/**
 * @param {HTMLElement} main
 * @returns {() => void} cleanup
 */
export function showSettings (main) {
  setPageTitle('Blog settings')
  if (!isOwner) {
    main.replaceChildren(h('div', { class: 'notice' }, h('h1', { text: 'Only the blog\'s author changes its settings' }), h('a', { class: 'button', href: '#/', text: 'Read the posts' })))
    return () => {}
  }
  const holder = h('div', { 'aria-busy': 'true' }, h('p', { class: 'loading', text: 'Loading…' }))
  main.replaceChildren(holder)

  async function start () {
    try {
      const current = await loadSettings()
      const title = h('input', { class: 'field', id: 'blog-title-field', maxlength: String(LIMITS.blogTitle), required: true, autocomplete: 'off' })
      title.value = current.title ?? ''
      const tagline = h('input', { class: 'field', id: 'blog-tagline-field', maxlength: String(LIMITS.tagline), autocomplete: 'off' })
      tagline.value = current.tagline ?? ''
      const error = h('p', { class: 'form-error', role: 'alert' })
      const done = h('span', { class: 'draft-state', 'aria-live': 'polite' })
      const submit = h('button', { type: 'submit', class: 'button primary', text: 'Save' })
      const form = h('form', { class: 'editor settings', 'aria-labelledby': 'settings-heading' },
        h('h1', { id: 'settings-heading', text: 'Blog settings' }),
        h('div', { class: 'field-row' }, h('label', { for: 'blog-title-field', text: 'Name of the blog' }), title, counter(title, LIMITS.blogTitle)),
        h('div', { class: 'field-row' }, h('label', { for: 'blog-tagline-field', text: 'Tagline' }), tagline, counter(tagline, LIMITS.tagline)),
        h('div', { class: 'editor-actions' }, submit, h('a', { class: 'button', href: '#/', text: 'Back to the posts' }), done),
        error)
      let id = current._id
      form.addEventListener('submit', async (e) => {
        e.preventDefault()
        const values = { title: title.value.trim(), tagline: tagline.value.trim() }
        if (values.title === '') { error.textContent = 'The blog needs a name.'; title.focus(); return }
        submit.disabled = true
        error.textContent = ''
        done.textContent = ''
        try {
          id = (await saveSettings(id, values))._id
          done.textContent = 'Saved.'
        } catch (err) {
          error.textContent = explain(err)
        } finally {
          submit.disabled = false
        }
      })
      holder.replaceChildren(form)
    } catch (err) {
      holder.replaceChildren(errorBox('Could not load the settings.', err, () => { void start() }))
    } finally {
      holder.setAttribute('aria-busy', 'false')
    }
  }
  void start()
  return () => {}
}
