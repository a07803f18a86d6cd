// The visitor's view: pick a name, answer each question once, see the leaderboard move. The page
// never knows a right answer: it sends { question, choice } and the owner's peer says whether that
// choice was right (see logic/main.lua, `answer`).
import { boardPanel, followBoard } from './board.js'
import { $, debounce, fill, h, letter, plural, reconcile } from './dom.js'
import { explain } from './errors.js'

const NAME_MAX = 24

export function playView (root, first) {
  let state = first
  const me = state.me
  const panel = boardPanel({ me: me.player })

  // Name --------------------------------------------------------------------------------------
  const nameInput = h('input', { id: 'name', name: 'name', maxlength: NAME_MAX, autocomplete: 'nickname', placeholder: `Player ${me.short}`, value: me.name ?? '' })
  const nameMsg = h('p', { id: 'name-msg', class: 'hint', role: 'status' }, me.name ? '' : 'Until you pick one, you show up by the end of your peer ID.')
  const nameForm = h('form', { id: 'name-form', class: 'name-form', onsubmit: saveName },
    h('label', { for: 'name' }, 'Your name on the leaderboard'),
    h('div', { class: 'row' }, nameInput, h('button', { type: 'submit' }, 'Save')),
    nameMsg)

  async function saveName (e) {
    e.preventDefault()
    const button = nameForm.querySelector('button')
    button.disabled = true
    nameMsg.className = 'hint'
    nameMsg.textContent = 'Saving…'
    try {
      const { name } = await goop.call('setName', { name: nameInput.value })
      nameInput.value = name
      nameMsg.textContent = `Saved: you are ${name} on the leaderboard.`
    } catch (err) {
      nameMsg.className = 'hint error'
      nameMsg.textContent = explain(err)
    } finally {
      button.disabled = false
    }
  }

  // Progress ----------------------------------------------------------------------------------
  const bar = h('span', { class: 'fill' })
  const progressText = h('p', { id: 'progress' })
  const progress = h('div', { class: 'progress' },
    h('div', { class: 'bar', role: 'presentation' }, bar), progressText)

  function renderProgress () {
    const ids = new Set(state.questions.map(q => String(q.id)))
    const answered = Object.keys(state.me.results).filter(id => ids.has(id)).length
    const total = state.questions.length
    bar.style.width = total > 0 ? `${Math.round(100 * answered / total)}%` : '0%'
    fill(progressText,
      `${answered} of ${plural(total, 'question')} answered · `,
      h('strong', { id: 'me-score' }, String(state.me.score)), ` ${state.me.score === 1 ? 'point' : 'points'}`,
      answered === total && total > 0 ? ' · all done, nice work!' : '')
  }

  // Questions -----------------------------------------------------------------------------------
  const list = h('ol', { id: 'questions', class: 'questions' })
  const cards = new Map() // question id → { el, key } (key: the question as shown, to re-render only what changed)

  function card (q, n, total) {
    const result = state.me.results[String(q.id)]
    const picked = result?.choice
    const feedback = h('p', { class: 'feedback', role: 'status' })
    const submit = h('button', { type: 'submit', class: 'primary', disabled: true }, 'Lock in answer')
    const choices = q.choices.map((text, i) => {
      const input = h('input', { type: 'radio', name: `q${q.id}`, value: i, disabled: result != null, checked: picked === i })
      const cls = ['choice', picked === i ? (result.correct ? 'picked right' : 'picked wrong') : ''].join(' ').trim()
      return h('label', { class: cls, dataset: { choice: i } },
        input, h('span', { class: 'letter', 'aria-hidden': 'true' }, letter(i)), h('span', { class: 'text' }, text),
        picked === i ? h('span', { class: 'mark', 'aria-hidden': 'true' }, result.correct ? '✓' : '✗') : null)
    })
    const form = h('form', { class: 'q-form', onsubmit: (e) => { e.preventDefault(); void answer(q, form, submit, feedback) } },
      h('fieldset', {},
        h('legend', {}, h('span', { class: 'num' }, `Question ${n} of ${total}`), h('span', { class: 'q-text' }, q.text)),
        h('div', { class: 'choices' }, choices)),
      h('div', { class: 'actions' }, result == null ? submit : null, feedback))
    form.addEventListener('change', () => { submit.disabled = form.querySelector('input:checked') == null })
    if (result != null) showResult(feedback, result.correct)
    return h('li', { id: `q-${q.id}`, class: 'card q', tabindex: -1, dataset: { state: result == null ? 'open' : result.correct ? 'right' : 'wrong' } }, form)
  }

  function showResult (feedback, right) {
    feedback.className = `feedback ${right ? 'right' : 'wrong'}`
    feedback.textContent = right ? 'Right! +1 point.' : 'Not this one. No retries, and the right answer stays the quizmaster\'s secret.'
  }

  async function answer (q, form, submit, feedback) {
    const checked = form.querySelector('input:checked')
    if (checked == null) return
    const choice = Number(checked.value)
    for (const input of form.querySelectorAll('input')) input.disabled = true
    submit.disabled = true
    submit.textContent = 'Checking…'
    feedback.className = 'feedback'
    feedback.textContent = ''
    try {
      const res = await goop.call('answer', { question: q.id, choice })
      state.me.results[String(q.id)] = { choice, correct: res.correct }
      state.me.score = res.score
      state.me.answered = res.answered
      render()
      // The card was drawn anew: put the focus back on it, so the keyboard stays where it was.
      $(`#q-${q.id}`)?.focus()
    } catch (err) {
      if (err?.code === 'conflict') {
        // Answered already (in another tab?): show what the owner's peer recorded.
        await refetch()
        return
      }
      for (const input of form.querySelectorAll('input')) input.disabled = false
      submit.disabled = false
      submit.textContent = 'Lock in answer'
      feedback.className = 'feedback error'
      feedback.textContent = explain(err)
    }
  }

  const empty = h('div', { id: 'no-questions', class: 'card empty' },
    h('p', { class: 'big', 'aria-hidden': 'true' }, '?'),
    h('p', {}, 'The quizmaster has not written any questions yet.'),
    h('p', { class: 'muted' }, 'This page updates by itself when they do.'))

  function renderQuestions () {
    const total = state.questions.length
    const keep = new Set()
    const items = state.questions.map((q, i) => {
      const result = state.me.results[String(q.id)]
      const key = JSON.stringify([q.text, q.choices, i, total, result ?? null])
      keep.add(q.id)
      const old = cards.get(q.id)
      if (old != null && old.key === key) return old.el
      // A new or changed card; an open one keeps the choice being made, if that choice still exists.
      const selected = old?.el.querySelector('input:checked')?.value
      const el = card(q, i + 1, total)
      if (selected != null && result == null && JSON.stringify(JSON.parse(old.key)[1]) === JSON.stringify(q.choices)) {
        const input = el.querySelector(`input[value="${Number(selected)}"]`)
        if (input != null) { input.checked = true; el.querySelector('button[type="submit"]').disabled = false }
      }
      cards.set(q.id, { el, key })
      return el
    })
    for (const id of [...cards.keys()]) if (!keep.has(id)) cards.delete(id)
    reconcile(list, items)
    empty.hidden = total > 0
  }

  async function refetch () {
    try {
      state = await goop.call('state')
      render()
    } catch { /* the page keeps what it shows; the next change tries again */ }
  }

  function render () {
    renderProgress()
    renderQuestions()
    panel.render(state.board)
  }

  root.classList.add('playing')
  fill(root,
    h('div', { class: 'layout' },
      h('section', { class: 'main-col', 'aria-label': 'Questions' },
        h('div', { class: 'card me' }, nameForm, progress),
        list, empty),
      panel.el))
  render()
  followBoard(panel)

  // Kept, so a later render (after an answer) shows the latest standings.
  goop.events.on('app.quiz.leaderboard', (board) => { state.board = board })
  // The owner adds, edits or deletes a question: fetch the quiz again (answers given stay given).
  goop.data.table('questions').onChange(debounce(refetch, 250))
}
