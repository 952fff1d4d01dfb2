import { useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import type { Device } from '../api/types'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { Dialog } from '../ui/Dialog'
import { runBatch } from '../ui/runBatch'
import { useGroups } from '../tenant/tenant'
import { deviceKeys } from './useDevices'
import { RunDialog } from '../scripts/RunDialog'

interface Progress {
  label: string
  done: number
  total: number
  failed: number
  errors: string[]
}

/** Actions on the selected devices, with progress for long runs. */
export function BulkActions({
  devices,
  canWrite,
  canExecute,
  onClear,
}: {
  devices: Device[]
  canWrite: boolean
  canExecute?: boolean
  onClear: () => void
}) {
  const qc = useQueryClient()
  const [dialog, setDialog] = useState<'move' | 'decommission' | 'run' | null>(null)
  const [progress, setProgress] = useState<Progress | null>(null)
  const orgIds = new Set(devices.map((d) => d.orgId))
  const oneOrg = orgIds.size === 1 ? [...orgIds][0] : undefined
  const running = progress !== null && progress.done < progress.total

  const run = async (label: string, fn: (d: Device) => Promise<unknown>) => {
    const total = devices.length
    setProgress({ label, done: 0, total, failed: 0, errors: [] })
    const { failed } = await runBatch(devices, fn, (done, nFailed) =>
      setProgress((p) => (p ? { ...p, done, failed: nFailed } : p)),
    )
    setProgress((p) =>
      p ? { ...p, done: total, errors: failed.slice(0, 5).map((f) => `${f.item.hostname}: ${errorMessage(f.error)}`) } : p,
    )
    await qc.invalidateQueries({ queryKey: deviceKeys.all })
    if (failed.length === 0) onClear()
  }

  return (
    <div className="bulk-bar" role="region" aria-label="Selected devices">
      <strong>{devices.length} selected</strong>
      {canWrite && (
        <>
          <button
            type="button"
            className="btn btn-small"
            disabled={!oneOrg || running}
            title={oneOrg ? undefined : 'Devices of one organization can be moved together'}
            onClick={() => setDialog('move')}
          >
            Move to group…
          </button>
          <button
            type="button"
            className="btn btn-small btn-danger"
            disabled={running}
            onClick={() => setDialog('decommission')}
          >
            Decommission…
          </button>
        </>
      )}
      {canExecute && (
        <button
          type="button"
          className="btn btn-small"
          disabled={!oneOrg || running}
          title={oneOrg ? undefined : 'A script runs on devices of one organization at a time'}
          onClick={() => setDialog('run')}
        >
          Run script…
        </button>
      )}
      <button type="button" className="btn btn-small" onClick={onClear} disabled={running}>
        Clear selection
      </button>
      {progress && (
        <div className="bulk-progress" role="status" aria-live="polite">
          <progress max={progress.total} value={progress.done} />
          <span>
            {progress.label}: {progress.done} of {progress.total}
            {progress.failed > 0 ? `, ${progress.failed} failed` : ''}
          </span>
          {progress.errors.map((e, i) => (
            <span key={i} className="form-error">
              {e}
            </span>
          ))}
        </div>
      )}
      {dialog === 'decommission' && (
        <ConfirmDialog
          title={`Decommission ${devices.length} device${devices.length === 1 ? '' : 's'}?`}
          confirmLabel="Decommission"
          danger
          onClose={() => setDialog(null)}
          onConfirm={() => {
            void run('Decommissioning', (d) => api.post(`/devices/${encodeURIComponent(d.id)}/decommission`))
          }}
        >
          <p>
            Their agent tokens are revoked and their live links closed. The devices stay listed as decommissioned; to
            manage one again, enroll it anew.
          </p>
          <ul className="compact-list">
            {devices.slice(0, 8).map((d) => (
              <li key={d.id}>{d.hostname}</li>
            ))}
            {devices.length > 8 && <li>and {devices.length - 8} more</li>}
          </ul>
        </ConfirmDialog>
      )}
      {dialog === 'run' && <RunDialog devices={devices} onClose={() => setDialog(null)} />}
      {dialog === 'move' && oneOrg && (
        <MoveDialog
          orgId={oneOrg}
          count={devices.length}
          onClose={() => setDialog(null)}
          onMove={(groupId) => {
            setDialog(null)
            void run('Moving', (d) =>
              api.patch(`/devices/${encodeURIComponent(d.id)}`, { groupId, version: d.version }),
            )
          }}
        />
      )}
    </div>
  )
}

function MoveDialog({
  orgId,
  count,
  onClose,
  onMove,
}: {
  orgId: string
  count: number
  onClose: () => void
  onMove: (groupId: string) => void
}) {
  const groups = useGroups(orgId)
  const [groupId, setGroupId] = useState('')
  return (
    <Dialog
      title={`Move ${count} device${count === 1 ? '' : 's'} to a group`}
      onClose={onClose}
      onSubmit={() => onMove(groupId)}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary">
            Move
          </button>
        </>
      }
    >
      <label className="field">
        <span className="field-label">Group</span>
        <select value={groupId} onChange={(e) => setGroupId(e.target.value)} autoFocus>
          <option value="">No group</option>
          {groups.data?.map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </select>
      </label>
      {groups.isError && <p className="form-error">{errorMessage(groups.error)}</p>}
      <p className="hint">A group bound to a site only takes that site&apos;s devices; the server refuses the others.</p>
    </Dialog>
  )
}
