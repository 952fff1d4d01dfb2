import { useState } from 'react'
import { Link } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import { api } from '../api/client'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { useTenant, useTenantNames } from '../tenant/tenant'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { Empty, ErrorState, Loading } from '../ui/States'
import { SeverityBadge } from './Badges'
import { RuleEditor } from './RuleEditor'
import { describeRule } from './ruleForm'
import type { AlertRule } from './types'
import { ruleKeys, useRules } from './useAlerts'

const SCOPE: Record<string, string> = { partner: 'every device', org: 'organization', site: 'site', group: 'device group', devices: 'devices' }

export default function AlertRulesPage() {
  const me = useMe()
  const qc = useQueryClient()
  const { sel } = useTenant()
  const names = useTenantNames()
  const canWrite = can(me, P.alertsWrite)
  const rules = useRules(sel.orgId, canWrite)
  const [editing, setEditing] = useState<AlertRule | 'new' | null>(null)
  const [deleting, setDeleting] = useState<AlertRule | null>(null)

  if (!canWrite)
    return (
      <Empty title="Alert rules are managed by administrators.">
        Your role does not grant alerts:write. <Link to="/alerts">See the alerts</Link>
      </Empty>
    )
  const scopeText = (r: AlertRule) =>
    r.scopeKind === 'partner'
      ? SCOPE.partner
      : `${SCOPE[r.scopeKind] ?? r.scopeKind}: ${r.scopeIds.map((id) => names.get(id) ?? id).join(', ')}`

  return (
    <section className="page" aria-labelledby="rules-title">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/alerts">Alerts</Link> / <span>Rules</span>
      </nav>
      <header className="page-header">
        <h1 id="rules-title">Alert rules</h1>
        {rules.data && <span className="count">{rules.data.length} rule{rules.data.length === 1 ? '' : 's'}</span>}
        <div className="page-actions">
          <button type="button" className="btn btn-small btn-primary" onClick={() => setEditing('new')}>
            New rule
          </button>
        </div>
      </header>
      {rules.isPending ? (
        <Loading label="Loading rules…" />
      ) : rules.isError ? (
        <ErrorState error={rules.error} onRetry={() => void rules.refetch()} />
      ) : rules.data.length === 0 ? (
        <Empty title="No alert rules yet.">Start from a template: offline devices, CPU, memory or disk.</Empty>
      ) : (
        <table className="table">
          <caption className="visually-hidden">Alert rules</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Severity</th>
              <th scope="col">Condition</th>
              <th scope="col">Applies to</th>
              <th scope="col">Owner</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rules.data.map((r) => (
              <tr key={r.id}>
                <td>
                  {r.name}
                  {!r.enabled && <span className="muted"> (disabled)</span>}
                  {r.description && <div className="hint">{r.description}</div>}
                </td>
                <td>
                  <SeverityBadge severity={r.severity} />
                </td>
                <td className="mono">{describeRule(r)}</td>
                <td>{scopeText(r)}</td>
                <td>{r.orgId ? (names.get(r.orgId) ?? 'one organization') : 'partner-wide'}</td>
                <td className="actions">
                  <button type="button" className="btn btn-small" onClick={() => setEditing(r)} aria-label={`Edit ${r.name}`}>
                    Edit…
                  </button>
                  <button type="button" className="btn btn-small btn-danger" onClick={() => setDeleting(r)} aria-label={`Delete ${r.name}`}>
                    Delete…
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && <RuleEditor rule={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} />}
      {deleting && (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          confirmLabel="Delete"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api.del(`/alert-rules/${encodeURIComponent(deleting.id)}`)
            await qc.invalidateQueries({ queryKey: ruleKeys.all })
            await qc.invalidateQueries({ queryKey: ['alerts'] })
          }}
        >
          <p>The rule and its alerts are deleted.</p>
        </ConfirmDialog>
      )}
    </section>
  )
}
