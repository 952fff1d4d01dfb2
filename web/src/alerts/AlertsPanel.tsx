import { useMemo, useState } from 'react'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { useOrgs, useSites } from '../tenant/tenant'
import { Empty, ErrorState, Loading } from '../ui/States'
import { AlertBulkBar } from './AlertBulkBar'
import { isoToLocal, localToIso, rangeProblem, useAlertListFilters } from './alertFilters'
import { AlertsTable } from './AlertsTable'
import { severityLabel, stateLabel } from './Badges'
import { ALERT_STATE_FILTERS, SEVERITIES } from './types'
import { useAlerts, useHostnames, useRules, type AlertFilter } from './useAlerts'

/**
 * Alerts with their filters and bulk actions: the Alerts page (every
 * device, narrowed by the tenant's organization; its filters in the URL)
 * and a device's Alerts tab.
 */
export function AlertsPanel({ orgId, deviceId, inUrl = false }: { orgId?: string; deviceId?: string; inUrl?: boolean }) {
  const me = useMe()
  const { filters: lf, set, clear, any } = useAlertListFilters(inUrl)
  const problem = rangeProblem(lf)
  const f: AlertFilter = {
    state: lf.state,
    severity: lf.severity,
    orgId: deviceId ? undefined : orgId,
    siteId: deviceId ? undefined : lf.siteId,
    deviceId,
    from: lf.from,
    to: lf.to,
  }
  const { query, alerts } = useAlerts(f, !problem)
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
          <select value={lf.state ?? ''} onChange={(e) => set('state', e.target.value)}>
            <option value="">All</option>
            {ALERT_STATE_FILTERS.map((s) => (
              <option key={s} value={s}>
                {stateLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <label className="field-inline">
          <span className="field-label">Severity</span>
          <select value={lf.severity ?? ''} onChange={(e) => set('severity', e.target.value)}>
            <option value="">All</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {severityLabel(s)}
              </option>
            ))}
          </select>
        </label>
        {!deviceId && <SiteFilter orgId={orgId} siteId={lf.siteId} onChange={(v) => set('siteId', v)} />}
        <label className="field-inline">
          <span className="field-label">Opened after</span>
          <input type="datetime-local" value={isoToLocal(lf.from)} onChange={(e) => set('from', localToIso(e.target.value))} />
        </label>
        <label className="field-inline">
          <span className="field-label">Opened before</span>
          <input type="datetime-local" value={isoToLocal(lf.to)} onChange={(e) => set('to', localToIso(e.target.value))} />
        </label>
        {any && (
          <button type="button" className="btn btn-small" onClick={clear}>
            Clear filters
          </button>
        )}
        {!query.isPending && !problem && (
          <span className="count">
            {alerts.length}
            {query.hasNextPage ? '+' : ''} alert{alerts.length === 1 ? '' : 's'}
          </span>
        )}
      </div>
      {canAct && chosen.length > 0 && <AlertBulkBar alerts={chosen} onClear={() => setSelected(new Set())} />}
      {problem ? (
        <p className="form-error" role="alert">
          {problem}
        </p>
      ) : query.isPending ? (
        <Loading label="Loading alerts…" />
      ) : query.isError ? (
        <ErrorState error={query.error} onRetry={() => void query.refetch()} />
      ) : alerts.length === 0 ? (
        any ? (
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
      {query.hasNextPage && !problem && (
        <button type="button" className="btn" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
          More alerts
        </button>
      )}
    </div>
  )
}

/** The sites of the tenant's organization (every readable site when none is chosen), each named with its organization then. */
function SiteFilter({ orgId, siteId, onChange }: { orgId?: string; siteId?: string; onChange: (id: string) => void }) {
  const me = useMe()
  const sites = useSites(orgId, { all: true })
  const orgs = useOrgs()
  const orgNames = useMemo(() => new Map((orgs.data ?? []).map((o) => [o.id, o.name])), [orgs.data])
  const options = useMemo(() => {
    const list = (sites.data ?? []).map((s) => ({ id: s.id, name: orgId ? s.name : `${orgNames.get(s.orgId) ?? 'An organization'} / ${s.name}` }))
    return list.sort((a, b) => a.name.localeCompare(b.name))
  }, [sites.data, orgNames, orgId])
  if (!can(me, P.sitesRead) && !siteId) return null
  return (
    <label className="field-inline">
      <span className="field-label">Site</span>
      <select value={siteId ?? ''} onChange={(e) => onChange(e.target.value)}>
        <option value="">All</option>
        {siteId && !options.some((o) => o.id === siteId) && <option value={siteId}>{sites.isPending ? siteId : 'Another site'}</option>}
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
    </label>
  )
}
