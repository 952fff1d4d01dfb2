// A modal built on the native <dialog> element: the browser gives it the top
// layer, focus containment and Escape, with no script-injected styles (which
// the server's CSP would refuse).

import { useEffect, useId, useRef, type FormEvent, type ReactNode } from 'react'

interface DialogProps {
  title: string
  onClose: () => void
  children: ReactNode
  /** Buttons; rendered in the dialog's footer. */
  footer?: ReactNode
  /** Wraps the body in a form; Enter submits. */
  onSubmit?: (e: FormEvent<HTMLFormElement>) => void
  wide?: boolean
  /** The form shows its own field errors instead of the browser's bubbles. */
  noValidate?: boolean
}

export function Dialog({ title, onClose, children, footer, onSubmit, wide, noValidate }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  const close = useRef(onClose)
  close.current = onClose

  useEffect(() => {
    const d = ref.current
    if (!d) return
    const opener = document.activeElement as HTMLElement | null
    if (typeof d.showModal === 'function') {
      if (!d.open) d.showModal()
    } else {
      d.setAttribute('open', '') // jsdom and very old browsers
    }
    return () => {
      if (typeof d.close === 'function' && d.open) d.close()
      opener?.focus?.() // give focus back to what opened the dialog
    }
  }, [])

  const body = (
    <>
      <header className="dialog-header">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="btn-icon" aria-label="Close" onClick={() => close.current()}>
          ×
        </button>
      </header>
      <div className="dialog-body">{children}</div>
      {footer && <footer className="dialog-footer">{footer}</footer>}
    </>
  )

  return (
    <dialog
      ref={ref}
      className={wide ? 'dialog dialog-wide' : 'dialog'}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault() // Escape: let the owner unmount us
        close.current()
      }}
    >
      {onSubmit ? (
        <form
          noValidate={noValidate}
          onSubmit={(e) => {
            e.preventDefault()
            onSubmit(e)
          }}
        >
          {body}
        </form>
      ) : (
        body
      )}
    </dialog>
  )
}
