import { useState } from 'react'
import { api, errorMessage } from '../api/client'
import { Dialog } from '../ui/Dialog'
import type { Alert } from './types'

/** How long a snooze lasts; the server takes at most 30 days. */
export const SNOOZE_CHOICES = [
  { id: '1h', label: '1 hour', ms: 3600_000 },
  { id: '4h', label: '4 hours', ms: 4 * 3600_000 },
  { id: '1d', label: '1 day', ms: 86400_000 },
  { id: '3d', label: '3 days', ms: 3 * 86400_000 },
  { id: '7d', label: '1 week', ms: 7 * 86400_000 },
  { id: 'custom', label: 'Until a date…', ms: 0 },
] as const

export const MAX_SNOOZE_MS = 30 * 86400_000

/** The snooze end for a choice, or an error to show. custom is a datetime-local value (the browser's zone). */
export function snoozeUntil(choice: string, custom: string, now = Date.now()): { until?: string; error?: string } {
  const c = SNOOZE_CHOICES.find((x) => x.id === choice)
  if (!c) return { error: 'Choose how long.' }
  const t = c.id === 'custom' ? Date.parse(custom) : now + c.ms
  if (!Number.isFinite(t)) return { error: 'Choose the date and time.' }
  if (t <= now) return { error: 'Choose a time in the future.' }
  if (t - now > MAX_SNOOZE_MS) return { error: 'An alert is snoozed for at most 30 days.' }
  return { until: new Date(t).toISOString() }
}

/** Holds an alert's notifications until a time; it still resolves when its condition clears. */
export function SnoozeDialog({ alert, onClose, onDone }: { alert: Alert; onClose: () => void; onDone: (a: Alert) => void }) {
  const [choice, setChoice] = useState('4h')
  const [custom, setCustom] = useState('')
  const [note, setNote] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const submit = async () => {
    const { until, error: bad } = snoozeUntil(choice, custom)
    if (!until) {
      setError(bad ?? null)
      return
    }
    setBusy(true)
    setError(null)
    try {
      onDone(await api.post<Alert>(`/alerts/${encodeURIComponent(alert.id)}/snooze`, { until, note: note.trim() }))
      onClose()
    } catch (e) {
      setError(errorMessage(e))
      setBusy(false)
    }
  }
  return (
    <Dialog
      title="Snooze this alert"
      onClose={onClose}
      onSubmit={() => void submit()}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Snoozing…' : 'Snooze'}
          </button>
        </>
      }
    >
      <p>Notifications are held until then. The alert stays listed, and still resolves when its condition clears.</p>
      <label className="field">
        <span className="field-label">For</span>
        <select value={choice} onChange={(e) => setChoice(e.target.value)}>
          {SNOOZE_CHOICES.map((c) => (
            <option key={c.id} value={c.id}>
              {c.label}
            </option>
          ))}
        </select>
      </label>
      {choice === 'custom' && (
        <label className="field">
          <span className="field-label">Until</span>
          <input type="datetime-local" value={custom} onChange={(e) => setCustom(e.target.value)} />
        </label>
      )}
      <label className="field">
        <span className="field-label">Note (optional)</span>
        <textarea value={note} maxLength={2000} rows={3} onChange={(e) => setNote(e.target.value)} />
      </label>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  )
}
