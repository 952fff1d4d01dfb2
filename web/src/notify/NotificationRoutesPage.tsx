import { useMemo, useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { errorMessage } from '../api/client'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { SeverityBadge } from '../alerts/Badges'
import { useOrgs, usePartners, useTenant } from '../tenant/tenant'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { QueryView } from '../ui/States'
import { groupingLabel, groups } from './grouping'
import { NotifyNav } from './NotifyNav'
import { RouteDialog } from './RouteDialog'
import type { NotificationRoute } from './types'
import { deleteRoute, notifyKeys, patchRoute, useAlertChannels, useRoutes } from './useNotify'

/** Where alerts go: each org's routes and its partner's defaults, per severity, through alert-channel plugins. */
export default function NotificationRoutesPage() {
  const me = useMe()
  const { sel } = useTenant()
  const routes = useRoutes(sel.orgId)
  const orgs = useOrgs()
  const partners = usePartners()
  const { channels } = useAlertChannels()
  const qc = useQueryClient()
  const canWrite = can(me, P.alertsWrite)
  const [editing, setEditing] = useState<NotificationRoute | 'new' | null>(null)
  const [deleting, setDeleting] = useState<NotificationRoute | null>(null)
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)

  const orgNames = useMemo(() => new Map((orgs.data ?? []).map((o) => [o.id, o.name])), [orgs.data])
  const partnerNames = useMemo(() => new Map((partners.data ?? []).map((p) => [p.id, p.name])), [partners.data])
  const channelNames = useMemo(() => new Map((channels ?? []).map((c) => [c.id, c.name])), [channels])
  const refresh = () => qc.invalidateQueries({ queryKey: notifyKeys.routes })

  const toggle = async (r: NotificationRoute) => {
    setBusy(r.id)
    setError(null)
    try {
      await patchRoute(r.id, { enabled: !r.enabled })
      await refresh()
    } catch (e) {
      setError(`${r.name}: ${errorMessage(e)}`)
    } finally {
      setBusy(null)
    }
  }

  const owner = (r: NotificationRoute) =>
    r.orgId
      ? (orgNames.get(r.orgId) ?? 'An organization')
      : `Default for ${partnerNames.get(r.partnerId) ?? 'the partner'}'s organizations`

  return (
    <section className="page" aria-labelledby="routes-title">
      <header className="page-header">
        <h1 id="routes-title">Notification routes</h1>
        {canWrite && (
          <div className="page-actions">
            <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>
              New route
            </button>
          </div>
        )}
      </header>
      <NotifyNav />
      <p className="muted">
        A route sends the alerts of the severities it lists to an alert-channel plugin, at most so many an hour; in a storm,
        the alerts past the first few of a window go out as one digest. An organization’s alerts go through its own
        routes and its partner’s defaults.
      </p>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <QueryView
        query={routes}
        isEmpty={(l) => l.length === 0}
        empty={
          <div className="state state-empty">
            <p className="state-title">No notification routes{sel.orgId ? ' for this organization' : ''}.</p>
            <p className="state-hint">Alerts are still listed on the Alerts page; a route also sends them somewhere.</p>
          </div>
        }
      >
        {(list) => (
          <table className="table">
            <caption className="visually-hidden">Notification routes</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Applies to</th>
                <th scope="col">Channel</th>
                <th scope="col">Severities</th>
                <th scope="col">Rate limit</th>
                <th scope="col">Storm grouping</th>
                <th scope="col">State</th>
                {canWrite && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.id} data-route-id={r.id}>
                  <td className="cell-strong">{r.name}</td>
                  <td>{owner(r)}</td>
                  <td>
                    {channelNames.get(r.channelId) ?? r.channelId}
                    {channelNames.size > 0 && !channelNames.has(r.channelId) && (
                      <span className="muted"> (not installed)</span>
                    )}
                  </td>
                  <td>
                    <span className="perm-tags">
                      {r.severities.map((s) => (
                        <SeverityBadge key={s} severity={s} />
                      ))}
                    </span>
                  </td>
                  <td>{r.ratePerHour > 0 ? `${r.ratePerHour.toLocaleString()} / hour` : 'No limit'}</td>
                  <td
                    title={
                      groups(r)
                        ? `Per window, the first ${r.groupAfter} go out alone, the rest as one digest at the window's end`
                        : 'Every alert goes out alone'
                    }
                  >
                    {groupingLabel(r)}
                  </td>
                  <td>
                    <span className={`pill ${r.enabled ? 'pill-ok' : ''}`}>{r.enabled ? 'Enabled' : 'Disabled'}</span>
                  </td>
                  {canWrite && (
                    <td className="actions">
                      <button type="button" className="btn btn-small" onClick={() => setEditing(r)} aria-label={`Edit ${r.name}`}>
                        Edit
                      </button>
                      <button
                        type="button"
                        className="btn btn-small"
                        disabled={busy === r.id}
                        onClick={() => void toggle(r)}
                        aria-label={`${r.enabled ? 'Disable' : 'Enable'} ${r.name}`}
                      >
                        {r.enabled ? 'Disable' : 'Enable'}
                      </button>
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        onClick={() => setDeleting(r)}
                        aria-label={`Delete ${r.name}`}
                      >
                        Delete…
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryView>
      {editing && (
        <RouteDialog
          route={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null)
            void refresh()
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete this notification route?"
          confirmLabel="Delete"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await deleteRoute(deleting.id)
            await refresh()
          }}
        >
          <p>
            Alerts will no longer be sent through <strong>{deleting.name}</strong>. Deliveries already queued through it are
            dropped; the delivery log keeps what was sent.
          </p>
        </ConfirmDialog>
      )}
    </section>
  )
}
