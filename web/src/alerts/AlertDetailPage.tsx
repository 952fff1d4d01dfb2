import { useState } from 'react'
import { Link, useLocation, useParams } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import { api, ApiError, errorMessage } from '../api/client'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { useTenantNames } from '../tenant/tenant'
import { DeliveryLog } from '../notify/DeliveryLog'
import { Dialog } from '../ui/Dialog'
import { Empty, ErrorState, Loading } from '../ui/States'
import { dateTime, relative } from '../ui/format'
import { AlertRemediation } from './AlertRemediation'
import { AlertStateBadge, HoldBadges, SeverityBadge, stateLabel } from './Badges'
import { SnoozeDialog } from './SnoozeDialog'
import type { Alert, AlertTransition } from './types'
import { alertKeys, useAlert, useHostnames, useRules } from './useAlerts'

export default function AlertDetailPage() {
  const { id = '' } = useParams()
  const from: unknown = useLocation().state
  // back to the list this alert was opened from (its filters), else every alert
  const back = backTo(from)
  const me = useMe()
  const qc = useQueryClient()
  const alert = useAlert(id)
  const rules = useRules()
  const names = useTenantNames()
  const hostnames = useHostnames(alert.data ? [alert.data.deviceId] : [])
  const [resolving, setResolving] = useState(false)
  const [snoozing, setSnoozing] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  if (alert.isPending) return <Loading label="Loading the alert…" />
  if (alert.isError) {
    if (alert.error instanceof ApiError && alert.error.status === 404)
      return (
        <Empty title="This alert does not exist, or you cannot see it.">
          <Link to="/alerts">Back to the alerts</Link>
        </Empty>
      )
    return <ErrorState error={alert.error} onRetry={() => void alert.refetch()} />
  }
  const a = alert.data
  const canAct = can(me, P.alertsAck)
  const rule = rules.data?.find((r) => r.id === a.ruleId)
  const stored = (next: Alert) => {
    qc.setQueryData(alertKeys.detail(a.id), next)
    void qc.invalidateQueries({ queryKey: ['alerts', 'list'] })
  }
  const act = async (call: () => Promise<Alert>) => {
    setBusy(true)
    setError(null)
    try {
      stored(await call())
    } catch (e) {
      setError(errorMessage(e))
    } finally {
      setBusy(false)
    }
  }
  const acknowledge = () => act(() => api.post<Alert>(`/alerts/${encodeURIComponent(a.id)}/acknowledge`))
  const snoozed = !!a.snoozedUntil && Date.parse(a.snoozedUntil) > Date.now()
  // DELETE answers the alert, which api.del (typed for 204s) passes through
  const unsnooze = () => act(async () => (await api.del(`/alerts/${encodeURIComponent(a.id)}/snooze`)) as unknown as Alert)

  return (
    <section className="page" aria-labelledby="alert-title">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={back}>Alerts</Link> / <span>{a.message || a.kind}</span>
      </nav>
      <header className="page-header">
        <h1 id="alert-title">{a.message || a.kind}</h1>
        <SeverityBadge severity={a.severity} />
        <AlertStateBadge state={a.state} />
        <HoldBadges alert={a} />
        {canAct && a.state !== 'resolved' && (
          <div className="page-actions">
            {a.state === 'open' && (
              <button type="button" className="btn btn-small" onClick={() => void acknowledge()} disabled={busy}>
                {busy ? 'Acknowledging…' : 'Acknowledge'}
              </button>
            )}
            {snoozed ? (
              <button type="button" className="btn btn-small" onClick={() => void unsnooze()} disabled={busy}>
                Unsnooze
              </button>
            ) : (
              <button type="button" className="btn btn-small" onClick={() => setSnoozing(true)}>
                Snooze…
              </button>
            )}
            <button type="button" className="btn btn-small btn-primary" onClick={() => setResolving(true)}>
              Resolve…
            </button>
          </div>
        )}
      </header>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <dl className="facts">
        <dt>Device</dt>
        <dd>
          <Link to={`/devices/${encodeURIComponent(a.deviceId)}`}>{hostnames.get(a.deviceId) ?? a.deviceId}</Link>
        </dd>
        <dt>Organization</dt>
        <dd>{names.get(a.orgId) ?? a.orgId}</dd>
        <dt>Rule</dt>
        <dd>{rule ? rule.name : <span className="muted">{a.ruleId}</span>}</dd>
        <dt>Value</dt>
        <dd className="mono">{Number.isFinite(a.value) ? String(Math.round(a.value * 100) / 100) : '—'}</dd>
        <dt>Opened</dt>
        <dd title={a.openedAt}>
          {relative(a.openedAt)} ({dateTime(a.openedAt)})
        </dd>
        {a.acknowledgedAt && (
          <>
            <dt>Acknowledged</dt>
            <dd>
              {dateTime(a.acknowledgedAt)} by {a.acknowledgedBy || '—'}
            </dd>
          </>
        )}
        {a.resolvedAt && (
          <>
            <dt>Resolved</dt>
            <dd>
              {dateTime(a.resolvedAt)} by {a.resolvedBy || '—'}
            </dd>
          </>
        )}
        {a.state !== 'resolved' && a.inMaintenance && (
          <>
            <dt>In maintenance</dt>
            <dd>until {dateTime(a.maintenanceUntil)}: notifications are held</dd>
          </>
        )}
        {a.state !== 'resolved' && snoozed && (
          <>
            <dt>Snoozed</dt>
            <dd>until {dateTime(a.snoozedUntil)}</dd>
          </>
        )}
        {a.note && (
          <>
            <dt>Note</dt>
            <dd className="alert-note">{a.note}</dd>
          </>
        )}
      </dl>
      <AlertRemediation alert={a} />
      <h2 className="section-title">History</h2>
      {a.history && a.history.length > 0 ? (
        <table className="table">
          <caption className="visually-hidden">History</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Change</th>
              <th scope="col">By</th>
              <th scope="col">Note</th>
            </tr>
          </thead>
          <tbody>
            {a.history.map((h, i) => (
              <tr key={i}>
                <td>{dateTime(h.at)}</td>
                <td>{changeLabel(h)}</td>
                <td className="mono">{h.actor}</td>
                <td>{h.note ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Empty title="No history yet." />
      )}
      <DeliveryLog alertId={a.id} orgId={a.orgId} />
      {resolving && <ResolveDialog alert={a} onClose={() => setResolving(false)} onDone={stored} />}
      {snoozing && <SnoozeDialog alert={a} onClose={() => setSnoozing(false)} onDone={stored} />}
    </section>
  )
}

function backTo(state: unknown): string {
  const b = (state as { back?: unknown } | null)?.back
  return typeof b === 'string' && (b === '/alerts' || b.startsWith('/alerts?')) ? b : '/alerts'
}

function changeLabel(h: AlertTransition): string {
  if (h.action === 'snoozed') return `Snoozed until ${dateTime(h.until)}`
  if (h.action === 'unsnoozed') return 'Snooze ended'
  if (h.action === 'remediation') return 'Remediation'
  return h.from ? `${stateLabel(h.from)} → ${stateLabel(h.to)}` : stateLabel(h.to)
}

function ResolveDialog({ alert, onClose, onDone }: { alert: Alert; onClose: () => void; onDone: (a: Alert) => void }) {
  const [note, setNote] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const submit = async () => {
    setBusy(true)
    setError(null)
    try {
      onDone(await api.post<Alert>(`/alerts/${encodeURIComponent(alert.id)}/resolve`, { note: note.trim() }))
      onClose()
    } catch (e) {
      setError(errorMessage(e))
      setBusy(false)
    }
  }
  return (
    <Dialog
      title="Resolve this alert"
      onClose={onClose}
      onSubmit={() => void submit()}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Resolving…' : 'Resolve'}
          </button>
        </>
      }
    >
      <p>If the condition still holds, the rule opens a new alert.</p>
      <label className="field">
        <span className="field-label">Note</span>
        <textarea value={note} maxLength={2000} rows={4} onChange={(e) => setNote(e.target.value)} autoFocus />
      </label>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  )
}
