import { useState } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import { Dialog } from '../ui/Dialog'
import { lines } from './profileForm'
import type { DiscoverySettings } from './types'

const key = (orgId: string) => ['discovery', 'settings', orgId] as const

/**
 * An organization's allowed discovery ranges: when set, every profile target
 * must lie inside them. Changing them needs discovery:manage and orgs:write
 * (the server checks; canEdit only hides the button).
 */
export function AllowedRanges({ orgId, orgName, canEdit }: { orgId: string; orgName: string; canEdit: boolean }) {
  const settings = useQuery({
    queryKey: key(orgId),
    queryFn: ({ signal }) => api.get<DiscoverySettings>(`/orgs/${encodeURIComponent(orgId)}/discovery-settings`, undefined, signal),
  })
  const [editing, setEditing] = useState(false)
  if (!settings.data) return null
  const ranges = settings.data.allowedRanges
  return (
    <div className="allowed-ranges" role="region" aria-label="Allowed ranges">
      <span className="field-label">Allowed ranges of {orgName}</span>{' '}
      {ranges.length === 0 ? <span>any (not restricted)</span> : <span className="mono">{ranges.join(', ')}</span>}{' '}
      {canEdit && (
        <button type="button" className="btn btn-small" onClick={() => setEditing(true)}>
          Change allowed ranges…
        </button>
      )}
      {editing && <RangesDialog settings={settings.data} orgName={orgName} onClose={() => setEditing(false)} />}
    </div>
  )
}

function RangesDialog({ settings, orgName, onClose }: { settings: DiscoverySettings; orgName: string; onClose: () => void }) {
  const qc = useQueryClient()
  const [text, setText] = useState(settings.allowedRanges.join('\n'))
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const save = async () => {
    setBusy(true)
    setError(null)
    try {
      const next = await api.put<DiscoverySettings>(`/orgs/${encodeURIComponent(settings.orgId)}/discovery-settings`, {
        allowedRanges: lines(text),
        version: settings.version,
      })
      qc.setQueryData(key(settings.orgId), next)
      onClose()
    } catch (e) {
      setError(errorMessage(e))
      setBusy(false)
    }
  }
  return (
    <Dialog
      title={`Allowed ranges of ${orgName}`}
      onClose={onClose}
      onSubmit={() => void save()}
      noValidate
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save ranges'}
          </button>
        </>
      }
    >
      <label className="field">
        <span className="field-label">Allowed ranges (one per line)</span>
        <textarea className="mono" rows={6} value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      <p className="hint">Empty: profiles may scan any range. Profiles outside new ranges stop scanning until changed.</p>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  )
}
