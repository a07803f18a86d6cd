// @ts-check
// Building DOM without HTML strings: every piece of text, visitors' names included, goes in as
// textContent, so nothing anyone types can become markup.

/**
 * @typedef {Object} Props
 * @property {string} [className]
 * @property {string} [text]
 * @property {Record<string, string>} [data]
 * @property {Record<string, string>} [attrs]
 * @property {() => void} [onClick]
 */

/**
 * An element with a class, text, data-* and other attributes, a click handler, and children.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props} [props]
 * @param {Array<Node | string | null | false>} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el (tag, props = {}, ...children) {
  const node = document.createElement(tag)
  if (props.className != null) node.className = props.className
  if (props.text != null) node.textContent = props.text
  for (const [k, v] of Object.entries(props.data ?? {})) node.dataset[k] = v
  for (const [k, v] of Object.entries(props.attrs ?? {})) node.setAttribute(k, v)
  if (props.onClick != null) node.addEventListener('click', props.onClick)
  for (const child of children) if (child != null && child !== false) node.append(child)
  return node
}

const SVG = 'http://www.w3.org/2000/svg'

/**
 * A mark drawn as SVG (crisp at any size, the same in every font), hidden from screen readers: the
 * element it sits in says the mark in words.
 * @param {'X' | 'O'} mark
 * @returns {SVGSVGElement}
 */
export function markIcon (mark) {
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', '0 0 100 100')
  svg.setAttribute('aria-hidden', 'true')
  svg.setAttribute('focusable', 'false')
  svg.classList.add('mark', mark === 'X' ? 'mark-x' : 'mark-o')
  /** @param {string} name @param {Record<string, string>} attrs */
  const add = (name, attrs) => {
    const shape = document.createElementNS(SVG, name)
    for (const [k, v] of Object.entries(attrs)) shape.setAttribute(k, v)
    svg.append(shape)
  }
  if (mark === 'X') {
    add('line', { x1: '22', y1: '22', x2: '78', y2: '78' })
    add('line', { x1: '78', y1: '22', x2: '22', y2: '78' })
  } else {
    add('circle', { cx: '50', cy: '50', r: '29' })
  }
  return svg
}
