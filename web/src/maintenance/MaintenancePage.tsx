import { useState } from 'react'
import { Link } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import { api } from '../api/client'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { useTenant, useTenantNames } from '../tenant/tenant'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { Empty, ErrorState, Loading } from '../ui/States'
import { dateTime } from '../ui/format'
import type { MaintenanceWindow } from './types'
import { describeSchedule } from './windowForm'
import { windowKeys, useWindows } from './useWindows'
import { WindowEditor } from './WindowEditor'

const SCOPE: Record<string, string> = { partner: 'every device', org: 'organization', site: 'site', group: 'device group', devices: 'devices' }

/** Maintenance windows: alerts of the devices they cover still open, but their notifications are held. */
export default function MaintenancePage() {
  const me = useMe()
  const qc = useQueryClient()
  const { sel } = useTenant()
  const names = useTenantNames()
  const canRead = can(me, P.alertsRead)
  const canWrite = can(me, P.alertsWrite)
  const windows = useWindows(sel.orgId, canRead)
  const [editing, setEditing] = useState<MaintenanceWindow | 'new' | null>(null)
  const [deleting, setDeleting] = useState<MaintenanceWindow | null>(null)

  if (!canRead)
    return (
      <Empty title="You cannot see maintenance windows.">
        Your role does not grant alerts:read. <Link to="/">Home</Link>
      </Empty>
    )
  const scopeText = (w: MaintenanceWindow) =>
    w.scopeKind === 'partner'
      ? SCOPE.partner
      : `${SCOPE[w.scopeKind] ?? w.scopeKind}: ${w.scopeIds.map((id) => names.get(id) ?? id).join(', ')}`
  const when = (w: MaintenanceWindow) =>
    !w.enabled
      ? 'disabled'
      : w.active
        ? `now, until ${dateTime(w.nextEndsAt)}`
        : w.nextStartsAt
          ? `next ${dateTime(w.nextStartsAt)}`
          : 'over'

  return (
    <section className="page" aria-labelledby="maintenance-title">
      <header className="page-header">
        <h1 id="maintenance-title">Maintenance windows</h1>
        {windows.data && <span className="count">{windows.data.length} window{windows.data.length === 1 ? '' : 's'}</span>}
        {canWrite && (
          <div className="page-actions">
            <button type="button" className="btn btn-small btn-primary" onClick={() => setEditing('new')}>
              New window
            </button>
          </div>
        )}
      </header>
      <p className="hint">While a window covers a device, its alerts still open and show “in maintenance”, but no one is notified.</p>
      {windows.isPending ? (
        <Loading label="Loading maintenance windows…" />
      ) : windows.isError ? (
        <ErrorState error={windows.error} onRetry={() => void windows.refetch()} />
      ) : windows.data.length === 0 ? (
        <Empty title="No maintenance windows yet." />
      ) : (
        <table className="table">
          <caption className="visually-hidden">Maintenance windows</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Schedule</th>
              <th scope="col">Applies to</th>
              <th scope="col">Status</th>
              <th scope="col">Owner</th>
              {canWrite && (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {windows.data.map((w) => (
              <tr key={w.id}>
                <td>
                  {w.name}
                  {w.description && <div className="hint">{w.description}</div>}
                </td>
                <td>{describeSchedule(w)}</td>
                <td>{scopeText(w)}</td>
                <td>{w.enabled && w.active ? <span className="pill pill-info">In progress</span> : null} {when(w)}</td>
                <td>{w.orgId ? (names.get(w.orgId) ?? 'one organization') : 'partner-wide'}</td>
                {canWrite && (
                  <td className="actions">
                    <button type="button" className="btn btn-small" onClick={() => setEditing(w)} aria-label={`Edit ${w.name}`}>
                      Edit…
                    </button>
                    <button type="button" className="btn btn-small btn-danger" onClick={() => setDeleting(w)} aria-label={`Delete ${w.name}`}>
                      Delete…
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && <WindowEditor window={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} />}
      {deleting && (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          confirmLabel="Delete"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api.del(`/maintenance-windows/${encodeURIComponent(deleting.id)}`)
            await qc.invalidateQueries({ queryKey: windowKeys.all })
            await qc.invalidateQueries({ queryKey: ['alerts'] })
          }}
        >
          <p>Notifications held by it are no longer held.</p>
        </ConfirmDialog>
      )}
    </section>
  )
}
