import { useEffect, useRef } from 'preact/hooks'
import { ApiError, deleteFile, encodePath, readFile, writeFile } from './api.js'
import { Empty } from './components.js'
import { onSiteChanged, refreshFiles } from './data.js'
import { confirmDialog, promptDialog } from './dialog.js'
import { checkNewPath, formatBytes, isTextFile, MAX_EDIT_BYTES, starterContent } from './format.js'
import { IconCode, IconExternal, IconFile, IconImage, IconPlus, IconReload, IconSave, IconSite, IconTrash, IconUpload } from './icons.js'
import { siteUrl } from './peers.js'
import { createStore, getState, useStore } from './store.js'
import { toast } from './toast.js'
import type { SiteFile } from './types.js'

/** The file open in the editor. It lives outside the screen, so a draft survives a visit to another tab. */
interface OpenFile {
  path: string
  kind: 'loading' | 'text' | 'binary' | 'large' | 'error'
  original: string
  draft: string
  etag: string | null
  type: string
  size: number
  saving: boolean
  savedAt: number | null
  error: string | null
  /** Someone else changed (or deleted) the file while the draft had unsaved changes. */
  changedOnDisk: 'changed' | 'deleted' | null
}

const editor = createStore<{ open: OpenFile | null, preview: number }>({ open: null, preview: 0 })

const isDirty = (o: OpenFile | null): boolean => o != null && o.kind === 'text' && o.draft !== o.original

// Leaving the page with unsaved changes asks first (the browser's own question).
window.addEventListener('beforeunload', (e) => {
  if (isDirty(editor.get().open)) e.preventDefault()
})

function setOpen (patch: Partial<OpenFile>): void {
  const o = editor.get().open
  if (o != null) editor.set({ open: { ...o, ...patch } })
}

async function load (path: string): Promise<Partial<OpenFile>> {
  const file = await readFile(path)
  const size = file.bytes.byteLength
  const base = { etag: file.etag, type: file.type, size, error: null, changedOnDisk: null }
  if (!isTextFile(path, file.type)) return { ...base, kind: 'binary', original: '', draft: '' }
  if (size > MAX_EDIT_BYTES) return { ...base, kind: 'large', original: '', draft: '' }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(file.bytes)
  } catch {
    return { ...base, kind: 'binary', original: '', draft: '' }
  }
  return { ...base, kind: 'text', original: text, draft: text }
}

/** Ask before a draft is thrown away. */
async function mayLeave (): Promise<boolean> {
  const o = editor.get().open
  if (!isDirty(o)) return true
  return await confirmDialog({
    title: 'Discard unsaved changes?',
    body: <p>Your changes to <strong>{o!.path}</strong> are not saved yet.</p>,
    confirm: 'Discard changes',
    cancel: 'Keep editing',
    danger: true
  })
}

export async function openFile (path: string, force = false): Promise<void> {
  const current = editor.get().open
  if (!force && current?.path === path && current.kind !== 'error') return
  if (!force && !await mayLeave()) return
  editor.set({
    open: { path, kind: 'loading', original: '', draft: '', etag: null, type: '', size: 0, saving: false, savedAt: null, error: null, changedOnDisk: null },
    preview: editor.get().preview + 1
  })
  try {
    const loaded = await load(path)
    if (editor.get().open?.path === path) setOpen(loaded)
  } catch (err) {
    if (editor.get().open?.path === path) setOpen({ kind: 'error', error: (err as Error).message })
  }
}

async function save (): Promise<void> {
  const o = editor.get().open
  if (o == null || o.kind !== 'text' || o.saving) return
  const text = o.draft
  setOpen({ saving: true })
  try {
    const res = await writeFile(o.path, text)
    if (editor.get().open?.path === o.path) {
      setOpen({ original: text, etag: res.etag, size: res.size, saving: false, savedAt: Date.now(), changedOnDisk: null })
      editor.set({ preview: editor.get().preview + 1 })
    }
    void refreshFiles()
  } catch (err) {
    setOpen({ saving: false })
    toast.error(`Could not save ${o.path}: ${(err as Error).message}`)
  }
}

async function remove (path: string): Promise<void> {
  const ok = await confirmDialog({
    title: `Delete ${path}?`,
    body: <p>It is removed from your site, for you and for everyone who visits it. This cannot be undone.</p>,
    confirm: 'Delete',
    danger: true
  })
  if (!ok) return
  try {
    await deleteFile(path)
    toast.info(`Deleted ${path}`)
    if (editor.get().open?.path === path) editor.set({ open: null, preview: editor.get().preview + 1 })
  } catch (err) {
    toast.error(`Could not delete ${path}: ${(err as Error).message}`)
  }
  await refreshFiles()
}

async function newFile (): Promise<void> {
  const files = getState().files ?? []
  const path = await promptDialog({
    title: 'New file',
    body: <p>Use <span class='mono'>/</span> for folders, e.g. <span class='mono'>blog/first-post.html</span>.</p>,
    confirm: 'Create',
    input: { label: 'File name', value: files.some(f => f.path === 'index.html') ? 'page.html' : 'index.html', placeholder: 'about.html', validate: checkNewPath }
  })
  if (path == null) return
  if (files.some(f => f.path === path)) {
    toast.info(`${path} already exists: opened it`)
    await openFile(path)
    return
  }
  await create(path)
}

async function create (path: string): Promise<void> {
  if (!await mayLeave()) return
  try {
    await writeFile(path, starterContent(path, getState().self?.name ?? 'My site'))
    await refreshFiles()
    await openFile(path, true)
  } catch (err) {
    toast.error(`Could not create ${path}: ${(err as Error).message}`)
  }
}

async function upload (list: FileList): Promise<void> {
  const existing = new Set((getState().files ?? []).map(f => f.path))
  const picked = [...list]
  let done = 0
  for (const f of picked) {
    if (existing.has(f.name)) {
      const ok = await confirmDialog({
        title: `Replace ${f.name}?`,
        body: <p>Your site already has a file named <strong>{f.name}</strong>. Uploading replaces it.</p>,
        confirm: 'Replace'
      })
      if (!ok) continue
    }
    try {
      await writeFile(f.name, f)
      done++
      if (editor.get().open?.path === f.name && !isDirty(editor.get().open)) void openFile(f.name, true)
    } catch (err) {
      const e = err as ApiError
      toast.error(e.code === 'too_large' ? `${f.name} is too large: ${e.message}` : `Could not upload ${f.name}: ${e.message}`)
    }
  }
  if (done > 0) toast.info(done === 1 ? `Uploaded ${picked.length === 1 ? picked[0].name : '1 file'}` : `Uploaded ${done} files`)
  await refreshFiles()
}

// Files changed by someone else (another tab, the CLI, a script): a clean editor follows, a draft is warned.
onSiteChanged((path) => {
  const o = editor.get().open
  if (o == null || o.path !== path || o.saving || o.kind === 'loading') return
  void (async () => {
    let loaded: Partial<OpenFile>
    try {
      loaded = await load(path)
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        if (isDirty(editor.get().open)) setOpen({ changedOnDisk: 'deleted' })
        else { editor.set({ open: null }); toast.info(`${path} was deleted`) }
      }
      return
    }
    const now = editor.get().open
    if (now?.path !== path || loaded.etag === now.etag) return
    if (isDirty(now)) setOpen({ changedOnDisk: 'changed' })
    else { setOpen(loaded); editor.set({ preview: editor.get().preview + 1 }) }
  })()
})

function fileIcon (f: SiteFile) {
  if (f.type.startsWith('image/')) return <IconImage />
  if (/html|css|javascript|json|xml|svg/.test(f.type)) return <IconCode />
  return <IconFile />
}

export function SiteScreen (props: { go: (screen: string) => void }) {
  const s = useStore()
  const ed = editor.use()
  const o = ed.open
  const uploadRef = useRef<HTMLInputElement>(null)
  const self = s.self

  // Ctrl+S / Cmd+S saves while this screen is shown.
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 's') {
        e.preventDefault()
        void save()
      }
    }
    window.addEventListener('keydown', onKey)
    return () => { window.removeEventListener('keydown', onKey) }
  }, [])

  const files = s.files ?? []
  const total = files.reduce((n, f) => n + f.size, 0)
  const dirty = isDirty(o)
  const previewPath = o != null && o.kind !== 'error' ? o.path : ''

  return (
    <div class='screen site-screen'>
      <section class='panel files-panel' id='site-files' aria-labelledby='site-title'>
        <div class='panel-head'>
          <div>
            <h1 id='site-title'>My site</h1>
            <p class='sub'>{s.files == null ? 'The files of site/' : `${files.length} ${files.length === 1 ? 'file' : 'files'} · ${formatBytes(total)}`}</p>
          </div>
        </div>
        <div class='file-actions'>
          <button type='button' class='btn' id='new-file' onClick={() => { void newFile() }} disabled={s.files == null}><IconPlus /> New file</button>
          <button type='button' class='btn' id='upload' onClick={() => uploadRef.current?.click()} disabled={s.files == null}><IconUpload /> Upload</button>
          <input ref={uploadRef} id='upload-input' type='file' multiple hidden aria-label='Upload files to your site'
            onChange={(e) => {
              const input = e.target as HTMLInputElement
              if (input.files != null && input.files.length > 0) void upload(input.files).finally(() => { input.value = '' })
            }} />
        </div>
        {s.filesError != null
          ? (
            <div class='notice'>
              {s.filesError.code === 'not_found'
                ? <><p>The <strong>site</strong> plugin is off, so your site is not served and cannot be edited.</p><button type='button' class='btn' onClick={() => { props.go('plugins') }}>Go to Plugins</button></>
                : <p>Could not list your files: {s.filesError.message}</p>}
            </div>
            )
          : s.files == null
            ? <div class='loading'>Loading files…</div>
            : files.length === 0
              ? (
                <Empty icon={<IconSite />} title='Your site is empty'>
                  <p>Every peer can have a small website that other peers open from their peer list.</p>
                  <button type='button' class='btn primary' onClick={() => { void create('index.html') }}>Create index.html</button>
                </Empty>
                )
              : (
                <ul class='file-list' id='file-list' aria-label='Files'>
                  {files.map(f => {
                    const slash = f.path.lastIndexOf('/')
                    const active = o?.path === f.path
                    return (
                      <li key={f.path} data-file={f.path} class={active ? 'active' : ''}>
                        <button type='button' class='file-row' aria-current={active ? 'true' : undefined} onClick={() => { void openFile(f.path) }}>
                          {fileIcon(f)}
                          <span class='file-name'>{slash >= 0 && <span class='muted'>{f.path.slice(0, slash + 1)}</span>}{f.path.slice(slash + 1)}</span>
                          {active && dirty && <span class='dirty-dot' title='Unsaved changes' aria-label='unsaved changes' />}
                          <span class='file-size'>{formatBytes(f.size)}</span>
                        </button>
                      </li>
                    )
                  })}
                  {s.filesTruncated && <li class='muted small-text'>Only the first 10,000 files are listed.</li>}
                </ul>
                )}
      </section>

      <section class='panel editor-panel' id='editor' aria-label='Editor'>
        {o == null
          ? <Empty icon={<IconCode />} title='No file open'>{files.length > 0 ? 'Pick a file on the left to edit it.' : 'Create or upload a file to start.'}</Empty>
          : (
            <>
              <div class='pane-head'>
                <span class='pane-title mono' title={o.path}>{o.path}</span>
                <span id='editor-status' class={`editor-status ${dirty ? 'dirty' : ''}`} aria-live='polite'>
                  {o.kind === 'text' && (o.saving ? 'Saving…' : dirty ? 'Unsaved changes' : o.savedAt != null ? 'Saved' : '')}
                </span>
                <span class='grow' />
                {o.kind === 'text' && (
                  <button type='button' class='btn primary small' id='save' onClick={() => { void save() }} disabled={!dirty || o.saving}
                    title='Save (Ctrl+S)' aria-keyshortcuts='Control+S Meta+S'><IconSave /> Save</button>
                )}
                <button type='button' class='icon-btn danger-hover' id='delete-file' aria-label={`Delete ${o.path}`} title={`Delete ${o.path}`} onClick={() => { void remove(o.path) }}><IconTrash /></button>
              </div>
              {o.changedOnDisk != null && (
                <div class='notice warn' role='alert'>
                  {o.changedOnDisk === 'deleted' ? 'This file was deleted elsewhere. Saving creates it again.' : 'This file was changed elsewhere. Saving replaces that version with yours.'}
                  {o.changedOnDisk === 'changed' && <button type='button' class='link-btn' onClick={() => { void openFile(o.path, true) }}>Load their version</button>}
                </div>
              )}
              {o.kind === 'loading' && <div class='loading'>Opening {o.path}…</div>}
              {o.kind === 'error' && <div class='notice'>Could not open {o.path}: {o.error}</div>}
              {(o.kind === 'binary' || o.kind === 'large') && (
                <div class='file-info'>
                  <p><strong>{o.path}</strong></p>
                  <p class='muted'>{o.type || 'unknown type'} · {formatBytes(o.size)}</p>
                  <p>{o.kind === 'large' ? 'This file is too large to edit here.' : 'This file is not text, so it cannot be edited here.'} Upload a file with the same name to replace it.</p>
                </div>
              )}
              {o.kind === 'text' && (
                <textarea id='editor-text' class='code' spellcheck={false} autocomplete='off' autocapitalize='off' wrap='off'
                  aria-label={`Contents of ${o.path}`} value={o.draft}
                  onInput={(e) => { setOpen({ draft: (e.target as HTMLTextAreaElement).value }) }} />
              )}
            </>
            )}
      </section>

      <section class='panel preview-panel' id='preview' aria-label='Preview'>
        <div class='pane-head'>
          <span class='pane-title'>Preview</span>
          <span class='muted mono small-text ellipsis'>/{previewPath}</span>
          <span class='grow' />
          <button type='button' class='icon-btn' aria-label='Reload the preview' title='Reload the preview' onClick={() => { editor.set({ preview: ed.preview + 1 }) }}><IconReload /></button>
          {self != null && <a class='icon-btn' href={siteUrl(self.peerId, encodePath(previewPath))} target='_blank' rel='noopener noreferrer' aria-label='Open in a new tab' title='Open in a new tab'><IconExternal /></a>}
        </div>
        {self != null && s.filesError == null && files.length > 0
          ? <iframe key={ed.preview} id='preview-frame' data-reloads={ed.preview} title={`Preview of ${previewPath || 'your site'}`}
              src={siteUrl(self.peerId, encodePath(previewPath))} sandbox='allow-scripts allow-same-origin allow-forms allow-popups allow-modals' />
          : <Empty title='Nothing to preview yet' />}
      </section>
    </div>
  )
}
