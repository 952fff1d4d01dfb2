import { useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { runBatch } from '../ui/runBatch'
import { SNOOZE_CHOICES, snoozeUntil } from './SnoozeDialog'
import { alertKeys } from './useAlerts'
import type { Alert } from './types'

/** Acknowledge or resolve the selected alerts, each asked first. */
export function AlertBulkBar({ alerts, onClear }: { alerts: Alert[]; onClear: () => void }) {
  const qc = useQueryClient()
  const [dialog, setDialog] = useState<'ack' | 'resolve' | 'snooze' | null>(null)
  const [snoozeFor, setSnoozeFor] = useState('4h')
  const [note, setNote] = useState('')
  const [status, setStatus] = useState<string | null>(null)
  const [errors, setErrors] = useState<string[]>([])
  const open = alerts.filter((a) => a.state === 'open')
  const unresolved = alerts.filter((a) => a.state !== 'resolved')

  const run = async (label: string, items: Alert[], fn: (a: Alert) => Promise<unknown>) => {
    setErrors([])
    setStatus(`${label}: 0 of ${items.length}`)
    const { failed } = await runBatch(items, fn, (done, nFailed) =>
      setStatus(`${label}: ${done} of ${items.length}${nFailed ? `, ${nFailed} failed` : ''}`),
    )
    setErrors(failed.slice(0, 5).map((f) => `${f.item.message}: ${errorMessage(f.error)}`))
    await qc.invalidateQueries({ queryKey: alertKeys.all })
    if (failed.length === 0) {
      setStatus(null)
      onClear()
    }
    // a partial failure keeps the selection and says why
    if (failed.length > 0) throw new Error(`${failed.length} of ${items.length} failed`)
  }
  const n = (k: number) => `${k} alert${k === 1 ? '' : 's'}`

  return (
    <div className="bulk-bar" role="region" aria-label="Selected alerts">
      <strong>{alerts.length} selected</strong>
      <button type="button" className="btn btn-small" disabled={open.length === 0} onClick={() => setDialog('ack')}>
        Acknowledge…
      </button>
      <button type="button" className="btn btn-small" disabled={unresolved.length === 0} onClick={() => setDialog('resolve')}>
        Resolve…
      </button>
      <button type="button" className="btn btn-small" disabled={unresolved.length === 0} onClick={() => setDialog('snooze')}>
        Snooze…
      </button>
      <button type="button" className="btn btn-small" onClick={onClear}>
        Clear selection
      </button>
      {status && (
        <span role="status" aria-live="polite">
          {status}
        </span>
      )}
      {errors.map((e, i) => (
        <span key={i} className="form-error">
          {e}
        </span>
      ))}
      {dialog === 'ack' && (
        <ConfirmDialog
          title={`Acknowledge ${n(open.length)}?`}
          confirmLabel="Acknowledge"
          onClose={() => setDialog(null)}
          onConfirm={() => run('Acknowledging', open, (a) => api.post(`/alerts/${encodeURIComponent(a.id)}/acknowledge`))}
        >
          <p>They stay listed until resolved; acknowledging tells your team someone is on it.</p>
          {open.length < alerts.length && <p className="hint">{n(alerts.length - open.length)} already acknowledged or resolved are left alone.</p>}
        </ConfirmDialog>
      )}
      {dialog === 'snooze' && (
        <ConfirmDialog
          title={`Snooze ${n(unresolved.length)}?`}
          confirmLabel="Snooze"
          onClose={() => {
            setDialog(null)
            setNote('')
          }}
          onConfirm={() => {
            const until = snoozeUntil(snoozeFor, '').until!
            return run('Snoozing', unresolved, (a) => api.post(`/alerts/${encodeURIComponent(a.id)}/snooze`, { until, note: note.trim() }))
          }}
        >
          <p>Their notifications are held until then; they still resolve when their condition clears.</p>
          <label className="field">
            <span className="field-label">For</span>
            <select value={snoozeFor} onChange={(e) => setSnoozeFor(e.target.value)}>
              {SNOOZE_CHOICES.filter((c) => c.id !== 'custom').map((c) => (
                <option key={c.id} value={c.id}>
                  {c.label}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">Note (optional)</span>
            <textarea value={note} maxLength={2000} rows={3} onChange={(e) => setNote(e.target.value)} />
          </label>
        </ConfirmDialog>
      )}
      {dialog === 'resolve' && (
        <ConfirmDialog
          title={`Resolve ${n(unresolved.length)}?`}
          confirmLabel="Resolve"
          onClose={() => {
            setDialog(null)
            setNote('')
          }}
          onConfirm={() =>
            run('Resolving', unresolved, (a) => api.post(`/alerts/${encodeURIComponent(a.id)}/resolve`, { note: note.trim() }))
          }
        >
          <p>A resolved alert is closed; if the condition still holds, the rule opens a new one.</p>
          <label className="field">
            <span className="field-label">Note (optional)</span>
            <textarea value={note} maxLength={2000} rows={3} onChange={(e) => setNote(e.target.value)} />
          </label>
        </ConfirmDialog>
      )}
    </div>
  )
}
