import type { ComponentChildren } from 'preact'
import { useEffect, useRef } from 'preact/hooks'

/**
 * A modal with a form of its own (a row's editor, the schema dialog), in the same native <dialog> as
 * dialog.tsx's questions: focus stays inside, Escape closes, screen readers announce it. It is open
 * while it is rendered; the caller unmounts it to close. A confirm asked from inside it (delete this
 * row?) opens above it, because the browser stacks modals in the order they were opened.
 */
export function Modal (props: { id: string, title: string, wide?: boolean, onClose: () => void, children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const d = ref.current
    if (d != null && !d.open) d.showModal()
    return () => { if (d?.open === true) d.close() }
  }, [])
  return (
    <dialog id={props.id} ref={ref} class={`modal${props.wide === true ? ' wide' : ''}`} aria-labelledby={`${props.id}-title`}
      onCancel={(e) => { e.preventDefault(); props.onClose() }}>
      <div class='modal-head'>
        <h2 id={`${props.id}-title`}>{props.title}</h2>
        <button type='button' class='icon-btn' aria-label='Close' title='Close' onClick={props.onClose}>×</button>
      </div>
      {props.children}
    </dialog>
  )
}
