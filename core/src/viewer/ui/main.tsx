import { render } from 'preact'
import './app.css'
import { App } from './app.js'
import { refreshAll } from './data.js'
import { connectLive } from './live.js'

/** The viewer's UI: loaded by the shell page (src/viewer/page.ts) from /app.js, built by scripts/build-ui.mjs. */
const root = document.getElementById('app')
if (root != null) {
  root.textContent = ''
  render(<App />, root)
  void refreshAll()
  connectLive()
}
