import { useState } from 'preact/hooks'
import { ApiError, setPlugin } from './api.js'
import { Badge, Switch } from './components.js'
import { refreshFiles, refreshPlugins } from './data.js'
import { confirmDialog } from './dialog.js'
import { toast } from './toast.js'
import { useStore } from './store.js'
import type { PluginInfo } from './types.js'

const SOURCES: Record<string, { label: string, title: string }> = {
  builtin: { label: 'Built-in', title: 'Comes with goop' },
  inline: { label: 'Built-in', title: 'Started with this peer by its program' },
  installed: { label: 'Third-party', title: 'Installed from a folder or a package: written by someone else' }
}

const STATES: Record<string, string> = { running: 'Running', stopped: 'Off', failed: 'Failed', starting: 'Starting' }

export function PluginsScreen () {
  const s = useStore()
  const [pending, setPending] = useState<Record<string, boolean | undefined>>({})
  const plugins = s.plugins.toSorted((a, b) => a.name.localeCompare(b.name))

  const toggle = async (p: PluginInfo, on: boolean): Promise<void> => {
    setPending(b => ({ ...b, [p.name]: on }))
    try {
      try {
        await setPlugin(p.name, on)
      } catch (err) {
        if (!(on && err instanceof ApiError && err.code === 'needs_trust')) throw err
        const trusted = await confirmDialog({
          title: `Turn on ${p.name}?`,
          body: <>
            <p><strong>{p.name}</strong> is a third-party plugin: it was not made by goop.</p>
            <p>Once on, it runs with this peer's full rights. It can read and change this peer's files, use its key to speak as you, and talk to other peers on the network.</p>
            <p>Turn it on only if you trust its author.</p>
          </>,
          confirm: 'Trust and turn on',
          cancel: 'Keep it off',
          danger: true
        })
        if (!trusted) return
        await setPlugin(p.name, true, true)
      }
    } catch (err) {
      toast.error(`Could not turn ${p.name} ${on ? 'on' : 'off'}: ${(err as Error).message}`)
    } finally {
      await refreshPlugins()
      setPending(b => ({ ...b, [p.name]: undefined }))
      if (p.name === 'site') void refreshFiles()
    }
  }

  return (
    <div class='screen narrow-screen'>
      <section class='panel' id='plugins' aria-labelledby='plugins-title'>
        <div class='panel-head'>
          <div>
            <h1 id='plugins-title'>Plugins</h1>
            <p class='sub'>Plugins add what this peer can do. Turning one off stops it at once; it stays off after a restart.</p>
          </div>
        </div>
        {plugins.length === 0
          ? <p class='muted'>No plugins installed.</p>
          : (
            <ul class='plugin-list' id='plugin-list'>
              {plugins.map(p => {
                const src = SOURCES[p.source] ?? { label: p.source, title: '' }
                const on = p.enabled
                return (
                  <li key={p.name} class={`plugin ${p.state}`} data-plugin={p.name}>
                    <div class='plugin-text'>
                      <div class='plugin-title'>
                        <span class='plugin-name'>{p.name}</span>
                        {p.version != null && <span class='mono muted small-text'>v{p.version}</span>}
                        <Badge kind={p.source === 'installed' ? 'warn' : 'neutral'} title={src.title}>{src.label}</Badge>
                      </div>
                      {p.description != null && <p class='plugin-desc'>{p.description}</p>}
                      {p.error != null && <p class='plugin-error' role='alert'>{p.error}</p>}
                      {(p.provides.length > 0 || p.requires.length > 0) && (
                        <p class='plugin-deps small-text muted'>
                          {p.provides.length > 0 && <>Provides <span class='mono'>{p.provides.join(', ')}</span></>}
                          {p.provides.length > 0 && p.requires.length > 0 && ' · '}
                          {p.requires.length > 0 && <>Needs <span class='mono'>{p.requires.join(', ')}</span></>}
                        </p>
                      )}
                    </div>
                    <div class='plugin-side'>
                      <span class={`state ${p.state}`} data-state={p.state}>{STATES[p.state] ?? p.state}</span>
                      <Switch checked={pending[p.name] ?? on} busy={pending[p.name] != null} disabled={pending[p.name] != null} label={`${on ? 'Turn off' : 'Turn on'} ${p.name}`} onChange={(v) => { void toggle(p, v) }} />
                    </div>
                  </li>
                )
              })}
            </ul>
            )}
      </section>
    </div>
  )
}
