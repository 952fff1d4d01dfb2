import { useEffect, useRef } from 'react'
import { Link } from 'react-router'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { useTenant } from '../tenant/tenant'
import { useAlertListFilters } from './alertFilters'
import { AlertsPanel } from './AlertsPanel'

export default function AlertsPage() {
  const me = useMe()
  const { sel } = useTenant()
  useTenantSite(sel.orgId, sel.siteId)
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
      <AlertsPanel orgId={sel.orgId} inUrl />
    </section>
  )
}

/**
 * The site filter follows the tenant switcher: a site chosen there is
 * filtered on when the URL names none, and choosing another organization or
 * site there replaces the URL's.
 */
function useTenantSite(orgId?: string, siteId?: string) {
  const { filters, set } = useAlertListFilters(true)
  const seen = useRef<string | null>(null)
  useEffect(() => {
    const key = `${orgId ?? ''}/${siteId ?? ''}`
    const first = seen.current === null
    if (seen.current === key) return
    seen.current = key
    if (first ? siteId && !filters.siteId : (siteId ?? '') !== (filters.siteId ?? '')) set('siteId', siteId ?? '')
    // only a change of the tenant's selection moves the filter
  }, [orgId, siteId])
}
