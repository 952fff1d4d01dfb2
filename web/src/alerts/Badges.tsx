import { dateTime } from '../ui/format'
import type { AlertState, Severity } from './types'

const SEVERITY: Record<Severity, { label: string; cls: string }> = {
  info: { label: 'Info', cls: 'pill-info' },
  warning: { label: 'Warning', cls: 'pill-warn' },
  critical: { label: 'Critical', cls: 'pill-bad' },
}

const STATE: Record<AlertState, { label: string; cls: string }> = {
  open: { label: 'Open', cls: 'pill-bad' },
  acknowledged: { label: 'Acknowledged', cls: 'pill-warn' },
  resolved: { label: 'Resolved', cls: 'pill-ok' },
}

/** An alert's severity: a word and a colour, never colour alone. */
export function SeverityBadge({ severity }: { severity: string }) {
  const s = SEVERITY[severity as Severity]
  return <span className={`pill ${s?.cls ?? ''}`}>{s?.label ?? severity}</span>
}

export function AlertStateBadge({ state }: { state: string }) {
  const s = STATE[state as AlertState]
  return <span className={`pill ${s?.cls ?? ''}`}>{s?.label ?? state}</span>
}

export function severityLabel(s: string): string {
  return SEVERITY[s as Severity]?.label ?? s
}

export function stateLabel(s: string): string {
  if (s === 'unresolved') return 'Unresolved'
  return STATE[s as AlertState]?.label ?? s
}

/** Notifications held: a maintenance window covers the device, or the alert is snoozed. */
export function HoldBadges({ alert }: { alert: { state: string; inMaintenance?: boolean; maintenanceUntil?: string; snoozedUntil?: string } }) {
  if (alert.state === 'resolved') return null
  const snoozed = !!alert.snoozedUntil && Date.parse(alert.snoozedUntil) > Date.now()
  return (
    <>
      {alert.inMaintenance && (
        <span className="pill pill-info" title={alert.maintenanceUntil ? `Until ${dateTime(alert.maintenanceUntil)}` : undefined}>
          In maintenance
        </span>
      )}
      {snoozed && (
        <span className="pill" title={`Until ${dateTime(alert.snoozedUntil)}`}>
          Snoozed
        </span>
      )}
    </>
  )
}
