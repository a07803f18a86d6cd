import { useLayoutEffect, useState } from 'preact/hooks'

export interface Toast { id: number, kind: 'info' | 'error', text: string }

let toasts: Toast[] = []
let next = 0
const listeners = new Set<(t: Toast[]) => void>()

function set (t: Toast[]): void {
  toasts = t
  for (const l of listeners) l(toasts)
}

function show (kind: Toast['kind'], text: string, ms: number): void {
  const id = ++next
  set([...toasts.filter(t => t.text !== text), { id, kind, text }].slice(-4))
  setTimeout(() => { dismiss(id) }, ms)
}

export function dismiss (id: number): void { set(toasts.filter(t => t.id !== id)) }

/** Short notices at the corner of the page; errors stay longer and are announced at once. */
export const toast = {
  info: (text: string) => { show('info', text, 3000) },
  error: (text: string) => { show('error', text, 8000) }
}

export function useToasts (): Toast[] {
  const [t, setT] = useState(toasts)
  useLayoutEffect(() => {
    listeners.add(setT)
    setT(toasts) // in case one came between the render and now
    return () => { listeners.delete(setT) }
  }, [])
  return t
}
