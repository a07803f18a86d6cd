// Building DOM without HTML strings: every text goes in as a text node (textContent), so nothing a
// visitor or the owner typed can ever become markup or script on this page.

/**
 * h('button', { class: 'primary', type: 'submit', onclick: fn, dataset: { id: 3 } }, 'Save')
 * Props: `class`, `dataset`, `on<event>` handlers, booleans (true sets the attribute, false/null leave
 * it out), anything else as an attribute. Children: nodes, strings/numbers (as text), arrays, null.
 */
export function h (tag, props = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v == null || v === false) continue
    if (k === 'class') el.className = v
    else if (k === 'dataset') for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = String(dv)
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v)
    else if (k === 'value') el.value = v
    else if (k === 'checked') el.checked = true
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  append(el, children)
  return el
}

function append (el, children) {
  for (const c of children) {
    if (c == null || c === false) continue
    if (Array.isArray(c)) append(el, c)
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
}

export const $ = (sel, root = document) => root.querySelector(sel)

/** Replace an element's children. */
export function fill (el, ...children) {
  el.replaceChildren()
  append(el, children)
  return el
}

/** "1 point", "2 points". */
export const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** Letters for choices: A, B, C… */
export const letter = (i) => String.fromCharCode(65 + i)

/** Call fn at most once per `ms`, after the last of a burst. */
export function debounce (fn, ms) {
  let timer
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms) }
}

/**
 * Make `parent`'s children exactly `items`, in order, moving only what is out of place: an element
 * that stays where it was is not touched, so a field in it keeps its focus and what is typed.
 */
export function reconcile (parent, items) {
  items.forEach((item, i) => {
    if (parent.children[i] !== item) parent.insertBefore(item, parent.children[i] ?? null)
  })
  while (parent.children.length > items.length) parent.lastElementChild.remove()
}
