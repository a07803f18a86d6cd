import type { ComponentChildren } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'

/**
 * Modal questions (confirm, ask for a name) in the page's own style: a native <dialog>, so focus
 * stays inside it, Escape cancels and screen readers announce it. Each call returns a promise.
 */
interface Ask {
  title: string
  body: ComponentChildren
  confirm: string
  cancel?: string
  danger?: boolean
  /** Ask for a line of text too. */
  input?: { label: string, value?: string, placeholder?: string, validate?: (v: string) => string | null }
  resolve: (value: string | boolean | null) => void
}

let current: Ask | null = null
let listener: ((a: Ask | null) => void) | null = null

function open (a: Omit<Ask, 'resolve'>): Promise<string | boolean | null> {
  return new Promise(resolve => {
    current?.resolve(null)
    current = { ...a, resolve }
    listener?.(current)
  })
}

export async function confirmDialog (a: { title: string, body: ComponentChildren, confirm: string, cancel?: string, danger?: boolean }): Promise<boolean> {
  return (await open(a)) === true
}

export async function promptDialog (a: { title: string, body?: ComponentChildren, confirm: string, input: NonNullable<Ask['input']> }): Promise<string | null> {
  const v = await open({ body: null, ...a })
  return typeof v === 'string' ? v : null
}

export function DialogHost () {
  const [ask, setAsk] = useState<Ask | null>(current)
  const [value, setValue] = useState('')
  const [error, setError] = useState<string | null>(null)
  const ref = useRef<HTMLDialogElement>(null)
  const inputRef = useRef<HTMLInputElement>(null)

  useEffect(() => {
    listener = (a) => {
      setAsk(a)
      setValue(a?.input?.value ?? '')
      setError(null)
    }
    return () => { listener = null }
  }, [])

  useEffect(() => {
    const d = ref.current
    if (d == null) return
    if (ask != null && !d.open) {
      d.showModal()
      if (inputRef.current != null) {
        inputRef.current.focus()
        const dot = inputRef.current.value.lastIndexOf('.')
        inputRef.current.setSelectionRange(0, dot > 0 ? dot : inputRef.current.value.length)
      }
    }
    if (ask == null && d.open) d.close()
  }, [ask])

  const finish = (v: string | boolean | null): void => {
    const a = current
    current = null
    setAsk(null)
    a?.resolve(v)
  }
  const submit = (e: Event): void => {
    e.preventDefault()
    if (ask?.input != null) {
      const v = value.trim()
      const problem = ask.input.validate?.(v) ?? (v === '' ? 'Please enter a name.' : null)
      if (problem != null) { setError(problem); return }
      finish(v)
    } else {
      finish(true)
    }
  }

  return (
    <dialog id='dialog' ref={ref} aria-labelledby='dialog-title' aria-describedby='dialog-body'
      onCancel={(e) => { e.preventDefault(); finish(ask?.input != null ? null : false) }}>
      {ask != null && (
        <form method='dialog' onSubmit={submit}>
          <h2 id='dialog-title'>{ask.title}</h2>
          <div id='dialog-body' class='dialog-body'>{ask.body}</div>
          {ask.input != null && (
            <label class='field'>
              <span>{ask.input.label}</span>
              <input ref={inputRef} type='text' value={value} placeholder={ask.input.placeholder} spellcheck={false} autocomplete='off'
                aria-invalid={error != null} aria-describedby={error != null ? 'dialog-error' : undefined}
                onInput={(e) => { setValue((e.target as HTMLInputElement).value); setError(null) }} />
              {error != null && <span id='dialog-error' class='field-error' role='alert'>{error}</span>}
            </label>
          )}
          <div class='dialog-actions'>
            <button type='button' class='btn' data-action='cancel' autofocus={ask.danger === true && ask.input == null} onClick={() => { finish(ask.input != null ? null : false) }}>{ask.cancel ?? 'Cancel'}</button>
            <button type='submit' class={ask.danger === true ? 'btn danger' : 'btn primary'} data-action='confirm' autofocus={ask.danger !== true && ask.input == null}>{ask.confirm}</button>
          </div>
        </form>
      )}
    </dialog>
  )
}
