// Small DOM helpers for the blog's views. Text always goes in as text nodes (or textContent), never
// as HTML: what a visitor wrote can only ever be shown, not run. The one way in for formatted text is
// markdown.js, which builds elements itself.

/**
 * Make an element. `props`: `class`, `text` (textContent), `on` ({ click: fn }), anything else is an
 * attribute (`false`/`null` leaves it out, `true` sets it empty). Children: nodes or strings (text).
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...(Node | string | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function h (tag, props = {}, ...children) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue
    if (key === 'class') node.className = String(value)
    else if (key === 'text') node.textContent = String(value)
    else if (key === 'on') for (const [type, fn] of Object.entries(value)) node.addEventListener(type, fn)
    else node.setAttribute(key, value === true ? '' : String(value))
  }
  for (const child of children) if (child != null && child !== false) node.append(child)
  return node
}

const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'long', day: 'numeric' })
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' })
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })

/** `<time>` showing a date (`November 25, 2025`), the full date and time on hover. */
export function dateEl (iso) {
  const d = new Date(iso)
  return h('time', { datetime: iso, title: fullFormat.format(d), text: dateFormat.format(d) })
}

/** "just now", "5 minutes ago", "yesterday", then the date. */
export function ago (iso, now = Date.now()) {
  const s = Math.round((new Date(iso).getTime() - now) / 1000)
  const a = Math.abs(s)
  if (a < 45) return 'just now'
  if (a < 3600) return relative.format(Math.round(s / 60), 'minute')
  if (a < 86_400) return relative.format(Math.round(s / 3600), 'hour')
  if (a < 7 * 86_400) return relative.format(Math.round(s / 86_400), 'day')
  return dateFormat.format(new Date(iso))
}

/** `<time>` with a relative time ("5 minutes ago"), the full date and time on hover. */
export function agoEl (iso) {
  return h('time', { datetime: iso, title: fullFormat.format(new Date(iso)), 'data-ago': '', text: ago(iso) })
}

/** Keep every relative time on the page current. */
export function refreshTimes (root = document) {
  for (const t of root.querySelectorAll('time[data-ago]')) t.textContent = ago(t.getAttribute('datetime'))
}

/** The end of a peer ID, enough to tell peers apart at a glance. */
export const shortPeer = id => `…${String(id).slice(-6)}`

/** A hue for a peer (its avatar's colour): the same peer always gets the same one. */
export function peerHue (id) {
  let x = 0
  for (const ch of String(id)) x = (x * 31 + ch.charCodeAt(0)) % 360
  return x
}

/** Say something to screen readers (the page has one polite live region). */
export function announce (text) {
  const region = document.getElementById('announcer')
  if (region == null) return
  region.textContent = ''
  // A change on the next frame is announced even when the text repeats.
  requestAnimationFrame(() => { region.textContent = text })
}

/** A textarea's or input's "12 / 4,000" counter, kept current; turns to a warning near the limit. */
export function counter (field, max) {
  const out = h('span', { class: 'counter', 'aria-live': 'off' })
  const update = () => {
    const n = [...field.value].length
    out.textContent = `${n.toLocaleString()} / ${max.toLocaleString()}`
    out.classList.toggle('near', n > max * 0.9)
  }
  field.addEventListener('input', update)
  update()
  return out
}

/** Ctrl+Enter or Cmd+Enter in `field` submits its form. */
export function submitOnCtrlEnter (field) {
  field.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault()
      field.form?.requestSubmit()
    }
  })
}

/**
 * Ask in the page's own dialog (no native confirm: it blocks the page and cannot be styled).
 * @returns {Promise<boolean>} true when confirmed
 */
export function confirmDialog (message, confirmLabel = 'Delete') {
  const dialog = document.getElementById('confirm')
  dialog.querySelector('.confirm-text').textContent = message
  const yes = dialog.querySelector('.confirm-yes')
  yes.textContent = confirmLabel
  return new Promise((resolve) => {
    const done = () => {
      dialog.removeEventListener('close', done)
      resolve(dialog.returnValue === 'yes')
    }
    dialog.returnValue = ''
    dialog.addEventListener('close', done)
    dialog.showModal()
    dialog.querySelector('.confirm-no').focus()
  })
}

/** A sentence for an error from goop.data, for people rather than programs. */
export function explain (err) {
  const code = err?.code
  if (code === 'unreachable' || err?.status === 502 || err?.status === 504) return 'The blog\'s owner cannot be reached right now. Their peer may be offline; try again in a moment.'
  if (code === 'forbidden') return 'You are not allowed to do that here.'
  if (code === 'not_found') return 'That is no longer here: it may have been deleted.'
  if (code === 'rate_limited') return 'That was a lot at once. Wait a moment and try again.'
  if (code === 'bad_value') return `That was not accepted: ${err.message}`
  return err?.message ? String(err.message) : 'Something went wrong.'
}

/** An error box with a "Try again" button. */
export function errorBox (what, err, retry) {
  return h('div', { class: 'notice error', role: 'alert' },
    h('p', {}, h('strong', { text: what }), ' ', explain(err)),
    retry == null ? null : h('button', { type: 'button', class: 'button', on: { click: retry }, text: 'Try again' }))
}

let blogName = 'Blog'
let pagePart = ''

/** The tab's title: this page's part, then the blog's name ("Hello — My blog"); '' for just the name. */
export function setPageTitle (part) {
  pagePart = part
  document.title = part === '' ? blogName : `${part} — ${blogName}`
}

/** The blog's name changed (loaded, or edited live): the tab's title follows. */
export function setBlogName (name) {
  blogName = name
  setPageTitle(pagePart)
}
