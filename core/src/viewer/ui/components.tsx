import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'
import { hueOf } from './format.js'
import { IconCheck, IconCopy } from './icons.js'
import { toast } from './toast.js'

/** An on/off switch: a real checkbox (keyboard, screen readers: role=switch) drawn as a switch. */
export function Switch (props: { checked: boolean, label: string, disabled?: boolean, busy?: boolean, onChange: (on: boolean) => void }) {
  return (
    <label class={`switch${props.busy === true ? ' busy' : ''}`} title={props.label}>
      <input type='checkbox' role='switch' checked={props.checked} disabled={props.disabled} aria-label={props.label} aria-busy={props.busy}
        onChange={(e) => { props.onChange((e.target as HTMLInputElement).checked) }} />
      <span aria-hidden='true' />
    </label>
  )
}

export function Badge (props: { kind?: string, title?: string, children: ComponentChildren, class?: string }) {
  return <span class={`badge ${props.kind ?? ''} ${props.class ?? ''}`} title={props.title}>{props.children}</span>
}

export async function copyText (text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text)
    return true
  } catch {
    // Older browsers, or no permission: the selection way.
    const ta = document.createElement('textarea')
    ta.value = text
    ta.setAttribute('readonly', '')
    ta.className = 'offscreen'
    document.body.append(ta)
    ta.select()
    const ok = document.execCommand('copy')
    ta.remove()
    return ok
  }
}

export function CopyButton (props: { text: string, label: string, what?: string }) {
  const [done, setDone] = useState(false)
  return (
    <button type='button' class='icon-btn' aria-label={props.label} title={props.label} onClick={async () => {
      if (await copyText(props.text)) {
        setDone(true)
        toast.info(`${props.what ?? 'Text'} copied`)
        setTimeout(() => { setDone(false) }, 1500)
      } else {
        toast.error('Could not copy: select the text and copy it by hand.')
      }
    }}>{done ? <IconCheck /> : <IconCopy />}</button>
  )
}

/** A round badge with the peer's initial, coloured by its ID. */
export function Avatar (props: { id: string, name: string, size?: 'sm' | 'lg' }) {
  const letter = (props.name.trim()[0] ?? '?').toUpperCase()
  return <span class={`avatar hue-${hueOf(props.id)} ${props.size ?? ''}`} aria-hidden='true'>{letter}</span>
}

export function Empty (props: { title: string, children?: ComponentChildren, icon?: ComponentChildren }) {
  return (
    <div class='empty'>
      {props.icon}
      <p class='empty-title'>{props.title}</p>
      {props.children != null && <div class='empty-body'>{props.children}</div>}
    </div>
  )
}
