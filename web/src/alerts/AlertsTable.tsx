import { Link, useLocation } from 'react-router'
import { relative, dateTime } from '../ui/format'
import { AlertStateBadge, HoldBadges, SeverityBadge } from './Badges'
import type { Alert } from './types'

interface Props {
  alerts: Alert[]
  caption: string
  /** Checkboxes for bulk actions (callers holding alerts:acknowledge). */
  selected?: Set<string>
  onToggle?: (id: string) => void
  onToggleAll?: (ids: string[]) => void
  hostnames?: Map<string, string>
  ruleNames: Map<string, string>
  /** The device column (hidden on a device's own page). */
  showDevice?: boolean
}

export function AlertsTable({ alerts, caption, selected, onToggle, onToggleAll, hostnames, ruleNames, showDevice = true }: Props) {
  // the alert's page leads back to this list, filters included
  const { pathname, search } = useLocation()
  const back = { back: pathname + search }
  const selectable = alerts.filter((a) => a.state !== 'resolved').map((a) => a.id)
  const allOn = selectable.length > 0 && selectable.every((id) => selected?.has(id))
  return (
    <table className="table">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          {selected && (
            <th scope="col" className="cell-check">
              <input
                type="checkbox"
                aria-label="Select every unresolved alert"
                checked={allOn}
                disabled={selectable.length === 0}
                onChange={() => onToggleAll?.(allOn ? [] : selectable)}
              />
            </th>
          )}
          <th scope="col">Severity</th>
          <th scope="col">State</th>
          <th scope="col">Alert</th>
          {showDevice && <th scope="col">Device</th>}
          <th scope="col">Rule</th>
          <th scope="col">Opened</th>
        </tr>
      </thead>
      <tbody>
        {alerts.map((a) => (
          <tr key={a.id} data-alert-id={a.id}>
            {selected && (
              <td className="cell-check">
                <input
                  type="checkbox"
                  aria-label={`Select ${a.message}`}
                  checked={selected.has(a.id)}
                  disabled={a.state === 'resolved'}
                  onChange={() => onToggle?.(a.id)}
                />
              </td>
            )}
            <td>
              <SeverityBadge severity={a.severity} />
            </td>
            <td>
              <AlertStateBadge state={a.state} /> <HoldBadges alert={a} />
            </td>
            <td>
              <Link to={`/alerts/${encodeURIComponent(a.id)}`} state={back}>
                {a.message || a.kind}
              </Link>
            </td>
            {showDevice && (
              <td>
                <Link to={`/devices/${encodeURIComponent(a.deviceId)}`}>{hostnames?.get(a.deviceId) ?? a.deviceId}</Link>
              </td>
            )}
            <td>{ruleNames.get(a.ruleId) ?? <span className="muted">a rule you cannot read</span>}</td>
            <td title={dateTime(a.openedAt)}>{relative(a.openedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
