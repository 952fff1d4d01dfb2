import { useMemo, useState } from 'react'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { Empty, ErrorState, Loading } from '../ui/States'
import { AlertBulkBar } from './AlertBulkBar'
import { AlertsTable } from './AlertsTable'
import { severityLabel, stateLabel } from './Badges'
import { ALERT_STATES, SEVERITIES, type AlertState, type Severity } from './types'
import { useAlerts, useHostnames, useRules, type AlertFilter } from './useAlerts'

/**
 * Alerts with their filters and bulk actions: the Alerts page (every
 * device, narrowed by the tenant's organization) and a device's Alerts tab.
 */
export function AlertsPanel({ orgId, deviceId }: { orgId?: string; deviceId?: string }) {
  const me = useMe()
  const [state, setState] = useState<AlertState | ''>('')
  const [severity, setSeverity] = useState<Severity | ''>('')
  const f: AlertFilter = { state: state || undefined, severity: severity || undefined, orgId: deviceId ? undefined : orgId, deviceId }
  const { query, alerts } = useAlerts(f)
  const rules = useRules()
  const ruleNames = useMemo(() => new Map((rules.data ?? []).map((r) => [r.id, r.name])), [rules.data])
  const deviceIds = useMemo(() => (deviceId ? [] : alerts.map((a) => a.deviceId)), [alerts, deviceId])
  const hostnames = useHostnames(deviceIds)
  const canAct = can(me, P.alertsAck)
  const [selected, setSelected] = useState<Set<string>>(new Set())
  const chosen = alerts.filter((a) => selected.has(a.id))
  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s)
      if (!n.delete(id)) n.add(id)
      return n
    })

  return (
    <div className="alerts">
      <div className="filters" role="search">
        <label className="field-inline">
          <span className="field-label">State</span>
          <select value={state} onChange={(e) => setState(e.target.value as AlertState | '')}>
            <option value="">All</option>
            {ALERT_STATES.map((s) => (
              <option key={s} value={s}>
                {stateLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <label className="field-inline">
          <span className="field-label">Severity</span>
          <select value={severity} onChange={(e) => setSeverity(e.target.value as Severity | '')}>
            <option value="">All</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {severityLabel(s)}
              </option>
            ))}
          </select>
        </label>
        {!query.isPending && (
          <span className="count">
            {alerts.length}
            {query.hasNextPage ? '+' : ''} alert{alerts.length === 1 ? '' : 's'}
          </span>
        )}
      </div>
      {canAct && chosen.length > 0 && <AlertBulkBar alerts={chosen} onClear={() => setSelected(new Set())} />}
      {query.isPending ? (
        <Loading label="Loading alerts…" />
      ) : query.isError ? (
        <ErrorState error={query.error} onRetry={() => void query.refetch()} />
      ) : alerts.length === 0 ? (
        state || severity ? (
          <Empty title="No alert matches." />
        ) : (
          <Empty title="No alerts.">
            {deviceId ? 'No rule has fired on this device.' : 'Alerts appear here, live, when a rule’s condition holds on a device.'}
          </Empty>
        )
      ) : (
        <AlertsTable
          alerts={alerts}
          caption="Alerts"
          selected={canAct ? selected : undefined}
          onToggle={toggle}
          onToggleAll={(ids) => setSelected(new Set(ids))}
          hostnames={hostnames}
          ruleNames={ruleNames}
          showDevice={!deviceId}
        />
      )}
      {query.hasNextPage && (
        <button type="button" className="btn" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
          More alerts
        </button>
      )}
    </div>
  )
}
