// The alert page's self-healing part: the latest remediation run (its status
// and a link to its script run or to the device's commands), the runs
// recorded in the history, and whether the alert resolved as auto-remediated.

import { Link } from 'react-router'
import { dateTime } from '../ui/format'
import type { Alert } from './types'

export const AUTO_REMEDIATED = 'auto-remediated'

/** The statuses of a remediation (core/domain/alerts.go), each a word and a colour. */
const STATUS: Record<string, { label: string; cls: string }> = {
  pending: { label: 'Starting', cls: 'pill' },
  started: { label: 'Running', cls: 'pill pill-info' },
  succeeded: { label: 'Succeeded', cls: 'pill pill-ok' },
  failed: { label: 'Failed', cls: 'pill pill-bad' },
  refused: { label: 'Refused: no run permission', cls: 'pill pill-bad' },
  skipped: { label: 'Skipped: ran recently', cls: 'pill pill-warn' },
}

function StatusPill({ status }: { status: string }) {
  const s = STATUS[status] ?? { label: status || 'Unknown', cls: 'pill' }
  return <span className={s.cls}>{s.label}</span>
}

export function autoRemediated(a: Alert): boolean {
  if (a.state !== 'resolved' || a.resolvedBy !== 'system') return false
  const last = [...(a.history ?? [])].reverse().find((h) => h.to === 'resolved' && !h.action)
  return [a.note, last?.note].some((n) => n?.toLowerCase().includes(AUTO_REMEDIATED))
}

export function AlertRemediation({ alert: a }: { alert: Alert }) {
  const r = a.remediation
  const runs = (a.history ?? []).filter((h) => h.action === 'remediation')
  const auto = autoRemediated(a)
  if (!r && runs.length === 0 && !auto) return null
  return (
    <section aria-labelledby="alert-remediation-title">
      <h2 className="section-title" id="alert-remediation-title">
        Remediation
      </h2>
      {auto && (
        <p>
          <span className="pill pill-ok">Auto-remediated</span> The condition cleared after the remediation ran
          {a.resolvedAt ? `; resolved ${dateTime(a.resolvedAt)}` : ''}.
        </p>
      )}
      {r && (
        <dl className="facts">
          <dt>Latest run</dt>
          <dd>
            <StatusPill status={r.status} /> {dateTime(r.at)}
          </dd>
          {(r.scriptRunId || r.commandId) && (
            <>
              <dt>Result</dt>
              <dd>
                {r.scriptRunId ? (
                  <Link to={`/script-runs/${encodeURIComponent(r.scriptRunId)}`}>View the script run</Link>
                ) : (
                  <Link to={`/devices/${encodeURIComponent(a.deviceId)}?tab=commands`} title={r.commandId}>
                    View the command on the device
                  </Link>
                )}
              </dd>
            </>
          )}
        </dl>
      )}
      {runs.length > 0 && (
        <ul className="remediation-runs" aria-label="Remediation runs">
          {runs.map((h, i) => (
            <li key={i}>
              {dateTime(h.at)}: {h.note ?? 'ran'}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
