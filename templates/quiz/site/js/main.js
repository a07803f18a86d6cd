// Start the page: ask the owner's peer for the quiz, then show the quizmaster's editor (on the
// owner's own site) or the game (everyone else). Loading and failure have their own states.
import { $, fill, h } from './dom.js'
import { editorView } from './editor.js'
import { explain } from './errors.js'
import { playView } from './play.js'

const root = $('#app')

function showSettings (settings) {
  $('#title').textContent = settings.title
  $('#intro').textContent = settings.intro
  document.title = settings.title
}

async function start () {
  root.setAttribute('aria-busy', 'true')
  fill(root, h('p', { class: 'status', id: 'loading' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading the quiz…'))
  try {
    const state = await goop.call('state')
    showSettings(state.settings)
    if (state.owner) editorView(root, await goop.call('admin'))
    else playView(root, state)
    document.body.dataset.ready = state.owner ? 'editor' : 'play'
  } catch (err) {
    fill(root, h('div', { class: 'card failed', id: 'load-error', role: 'alert' },
      h('p', { class: 'big', 'aria-hidden': 'true' }, '!'),
      h('p', {}, h('strong', {}, 'The quiz did not load. ')),
      h('p', { class: 'muted' }, explain(err)),
      h('button', { type: 'button', class: 'primary', onclick: () => { void start() } }, 'Try again')))
  } finally {
    root.removeAttribute('aria-busy')
  }
}

if (typeof window.goop === 'undefined') {
  fill(root, h('p', { class: 'card failed', role: 'alert' }, 'This page needs goop: open it in a goop viewer.'))
} else {
  void start()
}
