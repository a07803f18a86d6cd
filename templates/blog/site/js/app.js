// The blog's entry point. The page needs goop.js (served by goop on every site origin at
// /.goop/goop.js); opened any other way it says so instead of failing silently.

const main = document.getElementById('main')

if (window.goop == null) {
  main.replaceChildren()
  const p = document.createElement('p')
  p.className = 'notice error'
  p.textContent = 'This blog runs on goop: open it through a goop peer\'s viewer to read it.'
  main.append(p)
} else {
  const { start } = await import('./router.js')
  start(main)
}
