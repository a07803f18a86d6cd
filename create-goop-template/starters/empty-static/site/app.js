// The page. goop.js (loaded before this module) defines `goop`: goop.data reaches the site owner's
// tables as this visitor, and the owner's peer applies the tables' policies (goop-template.json).
// Text that visitors wrote is shown with textContent, never as HTML.
const notes = goop.data.table('notes')
const list = document.querySelector('#notes')
const form = document.querySelector('#add')
const status = document.querySelector('#status')

/** A short form of a peer ID, for showing who wrote a note. */
const shortId = (id) => `…${id.slice(-6)}`

function item (note) {
  const li = document.createElement('li')
  li.textContent = note.text
  const meta = document.createElement('span')
  meta.className = 'meta'
  meta.textContent = note._author === goop.peer ? 'by the owner' : note._author === goop.me ? 'by you' : `by ${shortId(note._author)}`
  if (note._author === goop.me && goop.me !== goop.peer) {
    // The policy lets a visitor delete only its own notes: the owner's peer would refuse any other.
    const remove = document.createElement('button')
    remove.type = 'button'
    remove.textContent = 'Delete'
    remove.addEventListener('click', () => { notes.delete(note._id).catch(err => { status.textContent = err.message }) })
    meta.append(' · ', remove)
  }
  li.append(meta)
  return li
}

async function show () {
  try {
    const { rows } = await notes.query({ order: [{ column: '_id', dir: 'desc' }], limit: 50 })
    list.replaceChildren(...(rows.length > 0 ? rows.map(item) : [Object.assign(document.createElement('li'), { className: 'empty', textContent: 'No notes yet.' })]))
  } catch (err) {
    list.replaceChildren(Object.assign(document.createElement('li'), { className: 'empty', textContent: `The notes did not load: ${err.message}` }))
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  const button = form.querySelector('button')
  button.disabled = true
  status.textContent = ''
  try {
    await notes.insert({ text: form.elements.text.value.trim() })
    form.reset()
  } catch (err) {
    status.textContent = err.message // the owner's peer says why (too long, rate limited, …)
  } finally {
    button.disabled = false
  }
})

// Everyone's changes, live: the owner's peer tells every visitor's page when the table changes.
notes.onChange(() => { void show() })
void show()
