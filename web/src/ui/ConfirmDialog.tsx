import { useState, type ReactNode } from 'react'
import { errorMessage } from '../api/client'
import { Dialog } from './Dialog'

interface ConfirmProps {
  title: string
  children: ReactNode
  confirmLabel: string
  /** Red button: the action destroys or revokes something. */
  danger?: boolean
  /** The safe button's label ("Cancel" unless that would read like the action itself). */
  dismissLabel?: string
  onConfirm: () => Promise<unknown> | void
  onClose: () => void
}

/** Asks before a destructive action; shows its error and keeps the dialog open on failure. */
export function ConfirmDialog({ title, children, confirmLabel, danger, dismissLabel = 'Cancel', onConfirm, onClose }: ConfirmProps) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const run = async () => {
    setBusy(true)
    setError(null)
    try {
      await onConfirm()
      onClose()
    } catch (e) {
      setError(errorMessage(e))
      setBusy(false)
    }
  }
  return (
    <Dialog
      title={title}
      onClose={onClose}
      footer={
        <>
          {/* Cancel takes the focus: Enter on an opened confirmation must not destroy anything. */}
          <button type="button" className="btn" onClick={onClose} autoFocus>
            {dismissLabel}
          </button>
          <button type="button" className={danger ? 'btn btn-danger' : 'btn btn-primary'} onClick={run} disabled={busy}>
            {busy ? 'Working…' : confirmLabel}
          </button>
        </>
      }
    >
      <div className="confirm-text">{children}</div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  )
}
