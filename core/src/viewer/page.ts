/**
 * The viewer shell: this peer, its peers (live, from /api/events) and its plugins with on/off switches.
 * Plain HTML and a small script on purpose; the sites issue replaces it with an esbuild-built UI.
 */
export function viewerPage (opts: { badToken: boolean }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>goop</title>
<style>
  :root { --bg: #0f1117; --panel: #171a23; --line: #262b38; --text: #e7e9ee; --muted: #8b93a7; --accent: #7c9cff; --ok: #3ecf8e; --bad: #ff6b6b; --warn: #f5b84b; }
  * { box-sizing: border-box; }
  [hidden] { display: none !important; }
  body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--text); }
  header { display: flex; align-items: center; gap: 14px; padding: 14px 24px; border-bottom: 1px solid var(--line); background: var(--panel); }
  header h1 { margin: 0; font-size: 20px; letter-spacing: .5px; }
  header h1 span { color: var(--accent); }
  #self-name { font-weight: 600; }
  .id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; color: var(--muted); word-break: break-all; }
  main { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; padding: 24px; max-width: 1200px; margin: 0 auto; }
  @media (max-width: 760px) { main { grid-template-columns: 1fr; padding: 14px; } header { flex-wrap: wrap; } }
  main > section { min-width: 0; }
  section { background: var(--panel); border: 1px solid var(--line); border-radius: 12px; padding: 16px 18px; }
  section h2 { margin: 0 0 12px; font-size: 13px; text-transform: uppercase; letter-spacing: 1px; color: var(--muted); }
  ul { list-style: none; margin: 0; padding: 0; }
  li { display: flex; align-items: center; gap: 12px; padding: 10px 0; border-top: 1px solid var(--line); }
  li:first-child { border-top: 0; }
  .grow { flex: 1; min-width: 0; overflow-wrap: anywhere; }
  .dot { width: 9px; height: 9px; border-radius: 50%; background: var(--muted); flex: none; }
  .dot.on { background: var(--ok); box-shadow: 0 0 8px var(--ok); }
  .state { font-size: 12px; padding: 2px 8px; border-radius: 999px; border: 1px solid var(--line); color: var(--muted); }
  .state.running { color: var(--ok); border-color: #1f5f45; }
  .state.failed { color: var(--bad); border-color: #6b2a2a; }
  .error { color: var(--bad); font-size: 13px; }
  .desc { color: var(--muted); font-size: 13px; }
  button.block { background: none; border: 1px solid var(--line); color: var(--muted); border-radius: 8px; padding: 3px 10px; font: inherit; font-size: 12px; cursor: pointer; }
  button.block:hover { color: var(--bad); border-color: #6b2a2a; }
  .switch { position: relative; width: 42px; height: 24px; flex: none; }
  .switch input { opacity: 0; width: 0; height: 0; }
  .switch span { position: absolute; inset: 0; background: #333a4b; border-radius: 24px; cursor: pointer; transition: .15s; }
  .switch span::before { content: ""; position: absolute; width: 18px; height: 18px; left: 3px; top: 3px; background: white; border-radius: 50%; transition: .15s; }
  .switch input:checked + span { background: var(--accent); }
  .switch input:checked + span::before { transform: translateX(18px); }
  .empty { color: var(--muted); padding: 8px 0; }
  #events { grid-column: 1 / -1; }
  #log { font-family: ui-monospace, Menlo, monospace; font-size: 12px; color: var(--muted); max-height: 220px; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
  .banner { margin: 24px; padding: 16px; border-radius: 12px; background: #2a1d1d; border: 1px solid #6b2a2a; }
</style>
</head>
<body>
<header>
  <h1>g<span>oo</span>p</h1>
  <div class="grow"><div id="self-name">…</div><div class="id" id="self-id"></div></div>
  <div class="dot" id="live" title="event stream"></div>
</header>
${opts.badToken ? '<div class="banner" id="bad-token">That viewer token is not valid. Open the URL that <code>goop start</code> printed (it is also in <code>state/viewer.json</code>).</div>' : ''}
<div class="banner" id="need-token" hidden>This page needs the owner's token. Open the URL that <code>goop start</code> printed (it is also in <code>state/viewer.json</code>).</div>
<main>
  <section id="peers"><h2>Peers</h2><ul id="peer-list"><li class="empty">No peers yet.</li></ul></section>
  <section id="plugins"><h2>Plugins</h2><ul id="plugin-list"><li class="empty">No plugins.</li></ul></section>
  <section id="events"><h2>Events</h2><div id="log"></div></section>
</main>
<script>
const $ = (id) => document.getElementById(id)
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]))
async function api (method, path, body) {
  const res = await fetch('/api' + path, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined })
  const data = await res.json().catch(() => ({}))
  if (res.status === 401) { $('need-token').hidden = $('bad-token') != null; document.querySelector('main').hidden = true }
  if (!res.ok) throw Object.assign(new Error(data.error?.message ?? res.statusText), { code: data.error?.code })
  return data
}
function renderPeers (peers) {
  peers = peers.slice().sort((a, b) => (b.online - a.online) || String(a.name).localeCompare(String(b.name)))
  $('peer-list').innerHTML = peers.length === 0 ? '<li class="empty">No peers yet. Start another peer on this network.</li>' : peers.map(p =>
    '<li data-peer="' + esc(p.peerId) + '"><span class="dot ' + (p.online ? 'on' : '') + '" title="' + (p.online ? 'online' : 'offline') + '"></span><div class="grow"><div>' + esc(p.name ?? ('peer …' + p.peerId.slice(-6))) +
    (p.fields && p.fields.siteTitle ? ' <span class="desc">· ' + esc(p.fields.siteTitle) + '</span>' : '') +
    '</div><div class="id">' + esc(p.peerId) + '</div></div><span class="state">' + esc((p.sources || []).join(', ')) + '</span>' +
    '<button class="block" data-block="' + esc(p.peerId) + '" title="Hide this peer and refuse its connections">Block</button></li>').join('')
}
document.addEventListener('click', async (e) => {
  const peerId = e.target.dataset?.block
  if (!peerId) return
  if (!confirm('Block ' + peerId + '? It disappears from your list and its connections are refused. You can unblock it with the API (POST /api/peers/<id>/unblock).')) return
  try { await api('POST', '/peers/' + encodeURIComponent(peerId) + '/block') } catch (err) { alert(err.message) }
  refresh()
})
function renderPlugins (plugins) {
  $('plugin-list').innerHTML = plugins.length === 0 ? '<li class="empty">No plugins installed.</li>' : plugins.map(p =>
    '<li data-plugin="' + esc(p.name) + '"><div class="grow"><div>' + esc(p.name) + ' <span class="id">' + esc(p.version ?? '') + '</span></div>' +
    (p.description ? '<div class="desc">' + esc(p.description) + '</div>' : '') + (p.error ? '<div class="error">' + esc(p.error) + '</div>' : '') +
    '</div><span class="state ' + esc(p.state) + '">' + esc(p.state) + '</span>' +
    '<label class="switch" title="' + (p.enabled ? 'Disable' : 'Enable') + ' ' + esc(p.name) + '"><input type="checkbox" ' + (p.enabled ? 'checked' : '') +
    ' data-toggle="' + esc(p.name) + '" data-source="' + esc(p.source) + '"><span></span></label></li>').join('')
}
async function refresh () {
  const self = await api('GET', '/self')
  $('self-name').textContent = self.name
  $('self-id').textContent = self.peerId
  renderPlugins(self.plugins)
  renderPeers(await api('GET', '/peers'))
}
document.addEventListener('change', async (e) => {
  const name = e.target.dataset?.toggle
  if (!name) return
  const on = e.target.checked
  try {
    if (on) {
      try { await api('POST', '/plugins/' + encodeURIComponent(name) + '/enable') } catch (err) {
        if (err.code !== 'needs_trust') throw err
        if (!confirm(err.message.replace(/ Enable it only if[^]*$/, '') + '\\n\\nEnable it only if you trust its author. Enable ' + name + ' now?')) { e.target.checked = false; return }
        await api('POST', '/plugins/' + encodeURIComponent(name) + '/enable', { trust: true })
      }
    } else {
      await api('POST', '/plugins/' + encodeURIComponent(name) + '/disable')
    }
  } catch (err) { alert(err.message) }
  refresh()
})
function logLine (text) {
  const log = $('log')
  log.textContent = (new Date().toLocaleTimeString() + '  ' + text + '\\n' + log.textContent).slice(0, 20000)
}
refresh().then(() => {
  const es = new EventSource('/api/events')
  es.addEventListener('ready', () => $('live').classList.add('on'))
  es.onerror = () => $('live').classList.remove('on')
  for (const topic of ['plugins.changed', 'peers.changed', 'mq.received', 'presence.online', 'presence.offline', 'presence.updated']) {
    es.addEventListener(topic, (ev) => { logLine(topic + ' ' + ev.data); refresh() })
  }
}).catch(err => logLine('error: ' + err.message))
</script>
</body>
</html>`
}
