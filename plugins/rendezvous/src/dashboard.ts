/**
 * The public dashboard (`GET /`): who is online here, by name and short ID. It reads `/peers` (public
 * fields only) every few seconds; names are inserted as text, never as HTML. The script is served at
 * `/dashboard.js` so the page's CSP can forbid inline scripts.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>goop rendezvous</title>
<style>
  :root { color-scheme: light dark; --bg: #f6f7f9; --card: #fff; --fg: #1d2330; --muted: #6b7280; --accent: #2f7d5b; --line: #e3e6eb; }
  @media (prefers-color-scheme: dark) { :root { --bg: #14171c; --card: #1d2128; --fg: #e7e9ee; --muted: #9aa3b2; --accent: #5fd19b; --line: #2b313b; } }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
  main { max-width: 860px; margin: 0 auto; padding: 28px 18px 48px; }
  header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 16px; margin-bottom: 18px; }
  h1 { font-size: 22px; margin: 0; }
  #count { color: var(--muted); }
  #status { margin-left: auto; font-size: 13px; color: var(--muted); }
  #status.bad { color: #c0392b; }
  ul { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 10px; }
  li { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; min-width: 0; }
  .name { font-weight: 600; overflow-wrap: anywhere; }
  .name::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: var(--accent); margin-right: 8px; vertical-align: middle; }
  .id { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; color: var(--muted); margin-top: 2px; }
  .fields { font-size: 13px; color: var(--muted); margin-top: 6px; overflow-wrap: anywhere; }
  .empty { color: var(--muted); padding: 24px 0; }
  footer { margin-top: 28px; font-size: 13px; color: var(--muted); }
  code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
</style>
</head>
<body>
<main>
  <header>
    <h1>goop rendezvous</h1>
    <span id="count">…</span>
    <span id="status">loading…</span>
  </header>
  <ul id="peers"></ul>
  <p id="empty" class="empty" hidden>Nobody is online here right now.</p>
  <footer>Peers connect with <code>goop start --rendezvous <span id="origin"></span></code>. Data: <a href="peers">/peers</a> · <a href="healthz">/healthz</a> · <a href="relay">/relay</a></footer>
</main>
<script src="dashboard.js"></script>
</body>
</html>
`

export const DASHBOARD_JS = `'use strict'
;(function () {
  var list = document.getElementById('peers')
  var count = document.getElementById('count')
  var status = document.getElementById('status')
  var empty = document.getElementById('empty')
  document.getElementById('origin').textContent = location.origin
  function el (tag, cls, text) { var e = document.createElement(tag); e.className = cls; e.textContent = text; return e }
  function shortId (id) { return id.length > 16 ? id.slice(0, 8) + '…' + id.slice(-6) : id }
  function render (peers) {
    peers.sort(function (a, b) { return a.name.localeCompare(b.name) || (a.peerId < b.peerId ? -1 : 1) })
    var items = peers.map(function (p) {
      var li = document.createElement('li')
      li.title = p.peerId
      li.appendChild(el('div', 'name', p.name))
      li.appendChild(el('div', 'id', shortId(p.peerId)))
      var keys = Object.keys(p.fields || {})
      if (keys.length > 0) li.appendChild(el('div', 'fields', keys.slice(0, 4).map(function (k) { return k + ': ' + String(p.fields[k]) }).join(' · ')))
      return li
    })
    list.replaceChildren.apply(list, items)
    count.textContent = peers.length === 1 ? '1 peer online' : peers.length + ' peers online'
    empty.hidden = peers.length > 0
  }
  function refresh () {
    fetch('peers', { cache: 'no-store' }).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status)
      return r.json()
    }).then(function (peers) {
      render(peers)
      status.className = ''
      status.textContent = 'updated ' + new Date().toLocaleTimeString()
    }).catch(function (err) {
      status.className = 'bad'
      status.textContent = 'cannot reach the rendezvous (' + err.message + ')'
    }).finally(function () { setTimeout(refresh, 5000) })
  }
  refresh()
})()
`
