import { assetUrl } from './assets.js'

/**
 * The viewer's HTML shell. The UI itself is src/viewer/ui (Preact), built into /app.js and /app.css
 * (see assets.ts): no inline script or style, so the page's CSP allows scripts from 'self' only.
 * The notices about the token are here, so they show without any script.
 */
const LOGO = '<svg width="26" height="26" viewBox="0 0 32 32" aria-hidden="true" focusable="false"><circle cx="12" cy="16" r="8.5" class="logo-a"/><circle cx="20" cy="16" r="8.5" class="logo-b"/></svg><span class="wordmark">goop</span>'
const WHERE = 'Open the URL that <code>goop start</code> printed (it is also in <code>state/viewer.json</code>).'

export function viewerPage (opts: { badToken: boolean }): string {
  const head = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>goop</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Ccircle cx='12' cy='16' r='8.5' fill='%234c63e6'/%3E%3Ccircle cx='20' cy='16' r='8.5' fill='%238a5cf6' fill-opacity='.75'/%3E%3C/svg%3E">
<link rel="stylesheet" href="${assetUrl('app.css')}">
</head>
<body>
`
  if (opts.badToken) {
    // No UI script at all: nothing of this peer is asked for without the token.
    return head + `<div class="notice-page"><div class="banner" id="bad-token" role="alert"><span class="brand">${LOGO}</span><h1>This link does not open this peer</h1><p>That viewer token is not valid. ${WHERE}</p></div></div>
</body>
</html>`
  }
  return head + `<div class="notice-page" id="need-token" hidden><div class="banner" role="alert"><span class="brand">${LOGO}</span><h1>Open goop from its link</h1><p>This page needs the owner's token. ${WHERE}</p></div></div>
<div id="app"><p class="boot">Loading goop…</p></div>
<noscript><p class="boot">The goop viewer needs JavaScript.</p></noscript>
<script src="${assetUrl('app.js')}" defer></script>
</body>
</html>`
}
