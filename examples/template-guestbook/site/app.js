// The page. goop.js (loaded before this module) defines `goop`: goop.call runs a function of the
// guestbook's logic on the site owner's peer (logic/main.ts), which knows this visitor by its peer
// ID; goop.events follows the owner's announcements. What visitors wrote is only ever put on the
// page as text (textContent, never innerHTML), so a message holding <script> or <img onerror> is
// shown as those characters and runs nothing.

const TOPIC = 'app.guestbook'
const PAGE = 20
const NAME_KEY = 'guestbook.name'

const form = document.querySelector('#sign')
const nameInput = form.elements.name
const messageInput = form.elements.message
const button = form.querySelector('button[type=submit]')
const status = document.querySelector('#status')
const count = document.querySelector('#count')
const list = document.querySelector('#entries')
const olderButton = document.querySelector('#older')
const ownerNote = document.querySelector('#owner-note')

let owner = false
let cursor = null
let shown = 0
let nextSignAt = null
let unlockTimer

/** Make an element with a class and text (never HTML). */
function el (tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text != null) node.textContent = text
  return node
}

/** What to tell a person about a failed call: the logic's own words, without where in the logic it was said. */
function reason (err) {
  const message = String(err?.message ?? err).replace(/\s*\(at [^()]*\)$/, '').replace(/^Error: /, '')
  switch (err?.code) {
    case 'rate_limited': return 'Too many requests at once: wait a moment and try again.'
    case 'unreachable': return 'The owner\'s peer cannot be reached right now. Is it online?'
    case 'timeout': return 'The owner\'s peer took too long to answer. Try again.'
    case 'no_template': return 'This site does not run the guestbook any more.'
    default: return message === '' ? message : `${message[0].toUpperCase()}${message.slice(1)}${/[.!?]$/.test(message) ? '' : '.'}`
  }
}

/** A short form of a peer ID, for showing who signed. */
const shortId = (id) => `…${id.slice(-6)}`

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })
function when (iso) {
  const ms = Date.parse(iso)
  const minutes = Math.round((ms - Date.now()) / 60_000)
  if (Math.abs(minutes) < 1) return 'just now'
  if (Math.abs(minutes) < 60) return relative.format(minutes, 'minute')
  if (Math.abs(minutes) < 24 * 60) return relative.format(Math.round(minutes / 60), 'hour')
  return new Date(ms).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' })
}

async function moderate (fn, entry, what) {
  try {
    await goop.call(fn, { id: entry.id })
  } catch (err) {
    window.alert(`The entry could not be ${what}: ${reason(err)}`)
  }
}

function item (entry) {
  const li = el('li', entry.hidden ? 'entry hidden' : 'entry')
  const head = el('div', 'head')
  head.append(el('strong', 'name', entry.name))
  if (entry.by === goop.peer) head.append(el('span', 'badge', 'owner'))
  else if (entry.by === goop.me) head.append(el('span', 'badge', 'you'))
  if (entry.hidden) head.append(el('span', 'badge muted', 'hidden'))
  const time = el('time', 'when', when(entry.at))
  time.dateTime = entry.at
  time.title = new Date(entry.at).toLocaleString()
  head.append(time)
  li.append(head, el('p', 'message', entry.message))

  const foot = el('div', 'foot')
  const signer = el('span', 'signer', entry.by === goop.peer ? 'signed by the owner' : `signed by peer ${shortId(entry.by)}`)
  signer.title = entry.by
  foot.append(signer)
  if (owner) {
    const tools = el('span', 'tools')
    const toggle = el('button', 'link', entry.hidden ? 'Show' : 'Hide')
    toggle.type = 'button'
    toggle.addEventListener('click', () => { void moderate(entry.hidden ? 'unhide' : 'hide', entry, entry.hidden ? 'shown' : 'hidden') })
    const del = el('button', 'link danger', 'Delete')
    del.type = 'button'
    del.addEventListener('click', () => {
      if (window.confirm(`Delete the entry by ${entry.name} for good?`)) void moderate('remove', entry, 'deleted')
    })
    tools.append(toggle, del)
    foot.append(tools)
  }
  li.append(foot)
  return li
}

function showEntries (entries, append) {
  if (!append) list.replaceChildren()
  list.querySelector('.empty')?.remove()
  list.append(...entries.map(item))
  if (list.children.length === 0) list.append(el('li', 'empty', 'No entries yet. Be the first to sign!'))
  olderButton.hidden = cursor == null
}

/** The newest entries: as many as the page shows now and one more (a live update keeps the older pages that were opened, and room for a new entry). */
async function reload () {
  const page = await goop.call('list', { limit: Math.min(100, Math.max(PAGE, shown + 1)) })
  cursor = page.cursor
  shown = page.entries.length
  showEntries(page.entries, false)
}

async function loadOlder () {
  olderButton.disabled = true
  try {
    const page = await goop.call('list', { cursor, limit: PAGE })
    cursor = page.cursor
    shown += page.entries.length
    showEntries(page.entries, true)
  } catch (err) {
    window.alert(`Older entries did not load: ${reason(err)}`)
  } finally {
    olderButton.disabled = false
  }
}

// Live updates can come in bursts (an entry and its announcement): one load at a time, and one more
// after it if anything changed meanwhile.
let loading = null
let again = false
function refresh () {
  if (loading != null) { again = true; return }
  loading = reload()
    .catch((err) => { list.replaceChildren(el('li', 'empty', `The entries did not load: ${reason(err)}`)) })
    .finally(() => {
      loading = null
      if (again) { again = false; refresh() }
    })
}

/** Lock the form until this visitor may sign again (the logic enforces it; this only says so in time). */
function lockUntil (at) {
  nextSignAt = at
  clearTimeout(unlockTimer)
  const locked = at != null && at > Date.now()
  button.disabled = locked
  if (locked) {
    status.className = ''
    status.textContent = `Thank you for signing! You can sign again at ${new Date(at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}.`
    unlockTimer = setTimeout(() => { lockUntil(null); status.textContent = '' }, at - Date.now())
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  button.disabled = true
  status.className = ''
  status.textContent = 'Signing…'
  try {
    await goop.call('sign', { name: nameInput.value, message: messageInput.value })
    try { localStorage.setItem(NAME_KEY, nameInput.value.trim()) } catch { /* storage may be off */ }
    messageInput.value = ''
    count.textContent = `0 / ${messageInput.maxLength}`
    const me = await goop.call('status')
    if (me.nextSignAt != null) lockUntil(me.nextSignAt)
    else status.textContent = 'Thank you for signing!'
    refresh()
  } catch (err) {
    status.className = 'bad'
    status.textContent = reason(err)
  } finally {
    if (nextSignAt == null) button.disabled = false
  }
})

messageInput.addEventListener('input', () => {
  count.textContent = `${[...messageInput.value].length} / ${messageInput.maxLength}`
})
olderButton.addEventListener('click', () => { void loadOlder() })

// Everyone's changes, live: the logic announces each one on TOPIC (signed, hidden, shown, removed),
// and an edit the owner makes in the viewer's Database page arrives as the table's data.changed.
goop.events.on(TOPIC, refresh)
goop.data.table('entries').onChange(refresh)

async function start () {
  try { nameInput.value = localStorage.getItem(NAME_KEY) ?? '' } catch { /* storage may be off */ }
  try {
    const me = await goop.call('status')
    owner = me.owner
    ownerNote.hidden = !owner
    lockUntil(me.nextSignAt)
    if (me.nextSignAt != null) status.textContent = `You have signed already. You can sign again at ${new Date(me.nextSignAt).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}.`
  } catch (err) {
    status.className = 'bad'
    status.textContent = reason(err)
  }
  refresh()
}
void start()
