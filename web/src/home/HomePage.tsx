import { Link } from 'react-router'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { alertsLink } from '../alerts/alertFilters'
import { SeverityBadge, stateLabel } from '../alerts/Badges'
import { useTenant } from '../tenant/tenant'
import { Empty, QueryView } from '../ui/States'
import { StatusBadge } from '../ui/StatusBadge'
import { dateTime, relative } from '../ui/format'
import type { FleetActivity, FleetSummary } from './types'
import { useFleetSummary } from './useFleetSummary'

/** The landing page: the fleet at a glance, kept fresh by the live stream. */
export default function HomePage() {
  const me = useMe()
  const { sel } = useTenant()
  const query = useFleetSummary({ orgId: sel.orgId, siteId: sel.siteId })
  const alertsToo = can(me, P.alertsRead)
  return (
    <section className="page home" aria-labelledby="home-title">
      <header className="page-header">
        <h1 id="home-title">Fleet overview</h1>
      </header>
      <QueryView query={query}>{(s) => <Overview s={s} alertsToo={alertsToo} siteId={sel.siteId} />}</QueryView>
    </section>
  )
}

function Overview({ s, alertsToo, siteId }: { s: FleetSummary; alertsToo: boolean; siteId?: string }) {
  const d = s.devices
  const a = s.alerts
  // the open alerts of that severity, in the site the summary is narrowed to (the org comes with the tenant)
  const open = (severity: 'critical' | 'warning' | 'info') => alertsLink({ state: 'unresolved', severity, siteId })
  return (
    <div className="overview">
      <div className="tiles" aria-label="Fleet at a glance" role="group">
        <Tile label="Devices" value={d.total} sub={d.pending ? `${d.pending} pending` : undefined} to="/devices" />
        <Tile label="Online" value={d.online} to="/devices?status=online" />
        <Tile label="Offline" value={d.offline} to="/devices?status=offline" tone={d.offline ? 'warn' : undefined} />
        {alertsToo && (
          <>
            <Tile label="Critical alerts" value={a.critical} to={open('critical')} tone={a.critical ? 'bad' : undefined} />
            <Tile label="Warning alerts" value={a.warning} to={open('warning')} tone={a.warning ? 'warn' : undefined} />
            <Tile label="Info alerts" value={a.info} to={open('info')} />
          </>
        )}
      </div>
      {alertsToo && (
        <>
          <section aria-labelledby="attention-title">
            <h2 id="attention-title" className="section-title">
              Needing attention
            </h2>
            {s.attention.length === 0 ? (
              <Empty title="Nothing needs attention.">No device has an open or acknowledged alert.</Empty>
            ) : (
              <AttentionTable s={s} />
            )}
          </section>
          <section aria-labelledby="activity-title">
            <h2 id="activity-title" className="section-title">
              Recent activity
            </h2>
            {s.activity.length === 0 ? (
              <Empty title="No alert activity yet." />
            ) : (
              <ul className="activity" aria-label="Recent alert activity">
                {s.activity.map((e, i) => (
                  <ActivityItem key={`${e.alertId}-${e.to}-${i}`} e={e} />
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </div>
  )
}

function Tile({ label, value, sub, to, tone }: { label: string; value: number; sub?: string; to: string; tone?: 'warn' | 'bad' }) {
  return (
    <Link to={to} className={`tile tile-link${tone ? ` tile-${tone}` : ''}`} aria-label={`${label}: ${value}`}>
      <span className="tile-label">{label}</span>
      <span className="tile-value">{value.toLocaleString()}</span>
      {sub && <span className="tile-sub">{sub}</span>}
    </Link>
  )
}

function AttentionTable({ s }: { s: FleetSummary }) {
  return (
    <table className="table">
      <caption className="visually-hidden">Devices needing attention</caption>
      <thead>
        <tr>
          <th scope="col">Device</th>
          <th scope="col">Worst</th>
          <th scope="col">Alerts</th>
          <th scope="col">Status</th>
          <th scope="col">Organization</th>
          <th scope="col">Site</th>
          <th scope="col">Latest</th>
        </tr>
      </thead>
      <tbody>
        {s.attention.map((d) => (
          <tr key={d.deviceId}>
            <td>
              <Link to={`/devices/${encodeURIComponent(d.deviceId)}?tab=alerts`}>{d.hostname}</Link>
            </td>
            <td>
              <SeverityBadge severity={d.worstSeverity} />
            </td>
            <td>{d.openAlerts}</td>
            <td>
              <StatusBadge status={d.status} />
            </td>
            <td>{d.orgName}</td>
            <td>{d.siteName}</td>
            <td title={dateTime(d.latestAt)}>{relative(d.latestAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

const VERBS: Record<string, string> = { open: 'opened', acknowledged: 'acknowledged', resolved: 'resolved' }

function ActivityItem({ e }: { e: FleetActivity }) {
  const verb = VERBS[e.to] ?? stateLabel(e.to)
  const who = e.actor === 'system' ? 'automatically' : 'by a user'
  return (
    <li className="activity-item">
      <time dateTime={e.at} title={dateTime(e.at)} className="muted">
        {relative(e.at)}
      </time>
      <SeverityBadge severity={e.severity} />
      <span>
        <Link to={`/alerts/${encodeURIComponent(e.alertId)}`}>{e.message || e.kind}</Link> {verb} {who} on{' '}
        <Link to={`/devices/${encodeURIComponent(e.deviceId)}`}>{e.hostname}</Link>
      </span>
    </li>
  )
}
