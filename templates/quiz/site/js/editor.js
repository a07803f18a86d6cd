// The owner's view (the quizmaster, on their own site): write and order the questions, pick each
// right answer, see how visitors do, start a new round. Every change goes through the logic's
// owner-only functions (logic/main.lua), which check that the caller is the owner.
import { boardPanel, followBoard } from './board.js'
import { debounce, fill, h, letter, plural, reconcile } from './dom.js'
import { explain } from './errors.js'

const CHOICES_MIN = 2
const CHOICES_MAX = 6

export function editorView (root, first) {
  let data = first

  const panel = boardPanel({ extra: resetBox() })
  const list = h('ol', { id: 'admin-questions', class: 'questions admin' })
  const count = h('span', { id: 'question-count', class: 'muted' })
  const notice = h('p', { id: 'editor-msg', class: 'notice', role: 'status' })

  // Settings --------------------------------------------------------------------------------------
  const titleInput = h('input', { id: 'set-title', maxlength: 60, required: true })
  const introInput = h('textarea', { id: 'set-intro', maxlength: 300, rows: 2 })
  const settingsMsg = h('p', { class: 'hint', role: 'status' })
  const settingsForm = h('form', { id: 'settings-form', class: 'settings', onsubmit: saveSettings },
    h('label', { for: 'set-title' }, 'Title'), titleInput,
    h('label', { for: 'set-intro' }, 'Introduction ', h('span', { class: 'muted' }, '(shown under the title)')), introInput,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save'), settingsMsg))
  const settingsBox = h('details', { class: 'card settings-box' },
    h('summary', {}, h('span', { class: 'summary-title' }, 'Title and introduction'), h('span', { class: 'muted small' }, 'what visitors see at the top')),
    settingsForm)

  async function saveSettings (e) {
    e.preventDefault()
    await busy(settingsForm, settingsMsg, async () => {
      const saved = await goop.call('saveSettings', { title: titleInput.value, intro: introInput.value })
      data.settings = saved
      showSettings()
      settingsMsg.textContent = 'Saved.'
    })
  }

  function showSettings () {
    titleInput.value = data.settings.title
    introInput.value = data.settings.intro
    document.getElementById('title').textContent = data.settings.title
    document.getElementById('intro').textContent = data.settings.intro
    document.title = data.settings.title
  }

  // The question form: at the end of the list to add one, or in a question's place to edit it ------
  let editing = null // the id being edited, or null when adding
  const addSlot = h('div', { id: 'add-slot' })
  const blank = () => ({ text: '', choices: ['', '', '', ''], right: 0 })
  let draft = blank()
  const formTitle = h('h2', { id: 'q-form-title' })
  const qText = h('textarea', { id: 'q-text', maxlength: 300, rows: 2, required: true, placeholder: 'What is the capital of…?' })
  const choiceRows = h('div', { class: 'choice-rows' })
  const addChoice = h('button', { type: 'button', class: 'link', onclick: () => { sync(); draft.choices.push(''); drawChoices(); choiceRows.querySelector('.choice-edit:last-child input[type="text"]')?.focus() } }, '+ Add a choice')
  const formMsg = h('p', { id: 'q-msg', class: 'hint', role: 'status' })
  const save = h('button', { type: 'submit', class: 'primary', id: 'q-save' })
  const cancel = h('button', { type: 'button', id: 'q-cancel', onclick: () => { const was = editing; startAdding(); formMsg.textContent = ''; document.querySelector(`#aq-${was} button`)?.focus() } }, 'Cancel')
  const qForm = h('form', { id: 'q-form', class: 'card q-editor', onsubmit: saveQuestion },
    formTitle,
    h('label', { for: 'q-text' }, 'Question'), qText,
    h('fieldset', {},
      h('legend', {}, 'Choices ', h('span', { class: 'muted' }, '(select the right one)')),
      choiceRows, addChoice),
    h('div', { class: 'actions' }, save, cancel, formMsg))

  function sync () {
    draft.text = qText.value
    draft.choices = [...choiceRows.querySelectorAll('input[type="text"]')].map(i => i.value)
    const right = choiceRows.querySelector('input[type="radio"]:checked')
    draft.right = right == null ? -1 : Number(right.value)
  }

  function drawChoices () {
    fill(choiceRows, draft.choices.map((text, i) => h('div', { class: 'choice-edit' },
      h('input', { type: 'radio', name: 'right', value: i, checked: draft.right === i, 'aria-label': `Choice ${letter(i)} is the right answer` }),
      h('span', { class: 'letter', 'aria-hidden': 'true' }, letter(i)),
      h('input', { type: 'text', maxlength: 120, value: text, 'aria-label': `Choice ${letter(i)}`, placeholder: `Choice ${letter(i)}` }),
      h('button', {
        type: 'button',
        class: 'icon',
        'aria-label': `Remove choice ${letter(i)}`,
        title: 'Remove this choice',
        disabled: draft.choices.length <= CHOICES_MIN,
        onclick: () => {
          sync()
          draft.choices.splice(i, 1)
          if (draft.right === i) draft.right = -1
          else if (draft.right > i) draft.right--
          drawChoices()
        }
      }, '×'))))
    addChoice.hidden = draft.choices.length >= CHOICES_MAX
  }

  function drawForm () {
    qText.value = draft.text
    formTitle.textContent = editing == null ? 'Add a question' : `Edit question ${data.questions.findIndex(q => q.id === editing) + 1}`
    formMsg.className = 'hint'
    formMsg.textContent = ''
    save.textContent = editing == null ? 'Add question' : 'Save changes'
    cancel.hidden = editing == null
    qForm.dataset.mode = editing == null ? 'add' : 'edit'
    drawChoices()
  }

  function startAdding () {
    editing = null
    draft = blank()
    drawForm()
    drawList()
  }

  function startEditing (q) {
    editing = q.id
    const right = q.choices.indexOf(q.answer)
    draft = { text: q.text, choices: [...q.choices], right }
    drawForm()
    drawList()
    if (right < 0) formMsg.textContent = 'This question has no right answer yet: select one.'
    else if (q.stats.answered > 0) formMsg.textContent = `${plural(q.stats.answered, 'visitor')} answered it already; the points they got stay as they were.`
    qText.focus()
  }

  /** The first thing wrong with the draft, in words (the owner's peer checks all of it again). */
  function problem () {
    if (draft.text.trim() === '') return 'Write the question first.'
    const empty = draft.choices.findIndex(c => c.trim() === '')
    if (empty >= 0) return `Choice ${letter(empty)} is empty: fill it in or remove it.`
    const seen = new Map()
    for (const [i, c] of draft.choices.entries()) {
      const k = c.trim().replace(/\s+/g, ' ').toLowerCase()
      if (seen.has(k)) return `Choices ${letter(seen.get(k))} and ${letter(i)} are the same.`
      seen.set(k, i)
    }
    if (draft.right < 0) return 'Select the right answer.'
    return null
  }

  async function saveQuestion (e) {
    e.preventDefault()
    sync()
    const why = problem()
    if (why != null) {
      formMsg.className = 'hint error'
      formMsg.textContent = why
      return
    }
    await busy(qForm, formMsg, async () => {
      const args = { text: draft.text, choices: draft.choices, answer: draft.right }
      if (editing != null) args.id = editing
      const { id } = await goop.call('saveQuestion', args)
      const added = editing == null
      startAdding()
      await load()
      formMsg.textContent = added ? 'Added. Visitors see it now.' : 'Saved.'
      document.getElementById(`aq-${id}`)?.classList.add('flash')
    })
  }

  // The list ------------------------------------------------------------------------------------
  function item (q, i, total) {
    const right = q.choices.indexOf(q.answer)
    const s = q.stats
    const pct = s.answered > 0 ? Math.round(100 * s.correct / s.answered) : null
    const actions = h('div', { class: 'aq-actions' })
    const drawActions = () => fill(actions,
      h('button', { type: 'button', onclick: () => startEditing(q) }, 'Edit'),
      h('button', { type: 'button', class: 'icon', 'aria-label': `Move question ${i + 1} up`, title: 'Move up', disabled: i === 0, onclick: () => act('moveQuestion', { id: q.id, dir: 'up' }) }, '↑'),
      h('button', { type: 'button', class: 'icon', 'aria-label': `Move question ${i + 1} down`, title: 'Move down', disabled: i === total - 1, onclick: () => act('moveQuestion', { id: q.id, dir: 'down' }) }, '↓'),
      h('button', { type: 'button', class: 'danger', onclick: confirmDelete }, 'Delete'))
    function confirmDelete () {
      fill(actions,
        h('span', { class: 'confirm-text' }, 'Delete this question?'),
        h('button', { type: 'button', class: 'danger', onclick: () => act('deleteQuestion', { id: q.id }) }, 'Yes, delete'),
        h('button', { type: 'button', onclick: drawActions }, 'Keep it'))
      actions.querySelector('button')?.focus()
    }
    drawActions()
    return h('li', { id: `aq-${q.id}`, class: `card aq${right < 0 ? ' broken' : ''}`, dataset: { id: q.id } },
      h('p', { class: 'num' }, `Question ${i + 1}`),
      h('p', { class: 'q-text' }, q.text),
      h('ul', { class: 'aq-choices' }, q.choices.map((c, j) => h('li', { class: j === right ? 'right' : null },
        h('span', { class: 'letter', 'aria-hidden': 'true' }, letter(j)), c,
        j === right ? h('span', { class: 'tag right' }, 'right answer') : null))),
      right < 0
        ? h('p', { class: 'hint error' }, 'No right answer is picked, so visitors cannot answer this yet. Edit it to pick one.')
        : h('p', { class: 'stats muted' }, s.answered === 0 ? 'Not answered yet.' : `${plural(s.answered, 'answer')} · ${pct}% right`),
      actions)
  }

  async function act (fn, args) {
    notice.className = 'notice'
    notice.textContent = ''
    try {
      await goop.call(fn, args)
      await load()
    } catch (err) {
      notice.className = 'notice error'
      notice.textContent = explain(err)
    }
  }

  function drawList () {
    const total = data.questions.length
    count.textContent = total === 0 ? '' : `(${total})`
    if (editing != null && !data.questions.some(q => q.id === editing)) { editing = null; draft = blank() } // deleted meanwhile
    // The card being edited holds the form and is kept as it is, so typing in it is never disturbed.
    const items = data.questions.map((q, i) => {
      if (q.id !== editing) return item(q, i, total)
      const kept = document.getElementById(`aq-${q.id}`)
      if (kept?.contains(qForm)) return kept
      return h('li', { id: `aq-${q.id}`, class: 'aq-editing', dataset: { id: q.id } }, qForm)
    })
    if (total === 0) items.push(h('li', { class: 'card empty' }, 'No questions yet. Add the first one below!'))
    reconcile(list, items)
    if (editing == null && !addSlot.contains(qForm)) { addSlot.append(qForm); drawForm() }
    panel.render(data.board)
  }

  async function load () {
    data = await goop.call('admin')
    drawList()
    if (editing != null) formTitle.textContent = `Edit question ${data.questions.findIndex(q => q.id === editing) + 1}`
  }

  // New round -------------------------------------------------------------------------------------
  function resetBox () {
    const box = h('div', { class: 'reset' })
    const msg = h('p', { class: 'hint', role: 'status' })
    const draw = () => fill(box, h('button', { type: 'button', id: 'reset', onclick: confirm }, 'Start a new round'), msg)
    function confirm () {
      fill(box,
        h('p', { class: 'confirm-text' }, 'Clear every score and answer? Names are kept; the questions stay.'),
        h('div', { class: 'row' },
          h('button', { type: 'button', class: 'danger', id: 'reset-yes', onclick: run }, 'Yes, start over'),
          h('button', { type: 'button', onclick: draw }, 'Cancel')))
      box.querySelector('button')?.focus()
    }
    async function run () {
      draw()
      const button = box.querySelector('button')
      button.disabled = true
      msg.className = 'hint'
      msg.textContent = 'Clearing…'
      try {
        // The logic clears a batch per call; call until nothing is left.
        for (let left = 1; left > 0;) left = (await goop.call('resetScores')).remaining
        msg.textContent = 'New round started.'
        await load()
      } catch (err) {
        msg.className = 'hint error'
        msg.textContent = explain(err)
      } finally {
        button.disabled = false
      }
    }
    draw()
    return box
  }

  // Page --------------------------------------------------------------------------------------------
  root.classList.add('editing')
  fill(root,
    h('p', { class: 'banner', id: 'owner-banner' },
      h('strong', {}, 'You are the quizmaster. '),
      'Visitors see your questions and choices; the right answers stay on your peer, which scores every answer.'),
    h('div', { class: 'layout' },
      h('section', { class: 'main-col', 'aria-label': 'Your questions' },
        settingsBox,
        h('div', { class: 'section-head' },
          h('h2', {}, 'Questions ', count),
          h('button', { type: 'button', class: 'link', onclick: () => { startAdding(); qForm.scrollIntoView({ behavior: 'smooth' }); qText.focus({ preventScroll: true }) } }, '+ Add a question')),
        notice, list, addSlot),
      panel.el))
  showSettings()
  startAdding()
  followBoard(panel)

  // Answers coming in change the numbers under each question; follow them without a reload.
  const reload = debounce(() => { load().catch(() => {}) }, 300)
  goop.events.on('data.changed', (c) => { if (c?.table === 'attempts' || c?.table === 'questions' || c?.table === 'answers') reload() })
}

/** Run `work` with the form's buttons off and its message saying what happened. */
async function busy (form, msg, work) {
  const buttons = [...form.querySelectorAll('button')]
  for (const b of buttons) b.disabled = true
  msg.className = 'hint'
  msg.textContent = 'Saving…'
  try {
    await work()
  } catch (err) {
    msg.className = 'hint error'
    msg.textContent = explain(err)
  } finally {
    for (const b of buttons) b.disabled = false
    // Remove buttons stay off while only the minimum of choices is left.
    for (const b of form.querySelectorAll('.choice-edit button')) b.disabled = form.querySelectorAll('.choice-edit').length <= CHOICES_MIN
  }
}
