// The page. goop.js (loaded before this module) defines `goop`: goop.call runs a function of the
// template's logic on the site owner's peer, goop.data reads the owner's tables as this visitor
// (the owner's peer applies the tables' policies: goop-template.json). Text that visitors wrote is
// shown with textContent, never as HTML.
const notes = goop.data.table('notes')
const list = document.querySelector('#notes')
const form = document.querySelector('#add')
const status = document.querySelector('#status')

/** What the logic said, without the source position the runtime adds for the author ("(at main.ts:12:5)"). */
const reason = (err) => String(err.message).replace(/ \(at [^)]*\)$/, '')

/** A short form of a peer ID, for showing who wrote a note. */
const shortId = (id) => `…${id.slice(-6)}`

function item (note) {
  const li = document.createElement('li')
  li.textContent = note.text
  const meta = document.createElement('span')
  meta.className = 'meta'
  const by = note.by ?? goop.peer
  meta.textContent = by === goop.peer ? 'by the owner' : by === goop.me ? 'by you' : `by ${shortId(by)}`
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
    // The logic checks the note and stores it (logic/): visitors cannot write the table directly.
    await goop.call('addNote', { text: form.elements.text.value })
    form.reset()
  } catch (err) {
    status.textContent = reason(err) // what the logic said (too long, too many notes, …)
  } finally {
    button.disabled = false
  }
})

// Everyone's changes, live: the owner's peer tells every visitor's page when the table changes.
notes.onChange(() => { void show() })
void show()
