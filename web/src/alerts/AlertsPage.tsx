import { Link } from 'react-router'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { useTenant } from '../tenant/tenant'
import { AlertsPanel } from './AlertsPanel'

export default function AlertsPage() {
  const me = useMe()
  const { sel } = useTenant()
  return (
    <section className="page" aria-labelledby="alerts-title">
      <header className="page-header">
        <h1 id="alerts-title">Alerts</h1>
        {can(me, P.alertsWrite) && (
          <div className="page-actions">
            <Link to="/alert-rules" className="btn btn-small">
              Alert rules
            </Link>
          </div>
        )}
      </header>
      <AlertsPanel orgId={sel.orgId} />
    </section>
  )
}
