import { useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import { dateTime, relative } from '../ui/format'
import { ScanProgress, ScanStatusBadge } from './Badges'
import type { Scan } from './types'
import { discoveryKeys, isActive } from './useDiscovery'

const PHASES: Record<string, string> = { sweep: 'Sweep (live hosts)', probe: 'Probe (ports, SNMP)' }

/** A profile's scans, newest first: status, phase, progress, what they found; queued and running ones can be cancelled. */
export function ScansTable({ scans, canManage, hostnames }: { scans: Scan[]; canManage: boolean; hostnames?: Map<string, string> }) {
  const qc = useQueryClient()
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const cancel = async (s: Scan) => {
    setBusy(s.id)
    setError(null)
    try {
      const next = await api.post<Scan>(`/discovery/scans/${encodeURIComponent(s.id)}/cancel`)
      qc.setQueryData(discoveryKeys.scan(s.id), next)
      await qc.invalidateQueries({ queryKey: ['discovery'] })
    } catch (e) {
      setError(errorMessage(e))
    } finally {
      setBusy(null)
    }
  }
  return (
    <>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <table className="table">
        <caption className="visually-hidden">Scans</caption>
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Status</th>
            <th scope="col">Phase</th>
            <th scope="col">Progress</th>
            <th scope="col">Assets found</th>
            <th scope="col">Finished</th>
            {canManage && (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {scans.map((s) => (
            <tr key={s.id} data-scan-id={s.id}>
              <td title={dateTime(s.createdAt)}>
                {relative(s.startedAt ?? s.createdAt)}
              </td>
              <td>
                <ScanStatusBadge status={s.status} />{' '}
                {s.partial && (
                  <span className="pill pill-warn" title="Some results are missing; what arrived is kept">
                    Partial
                  </span>
                )}
                {s.error && <div className="form-error">{s.error}</div>}
              </td>
              <td>
                {PHASES[s.phase] ?? s.phase}
                {s.commands.length > 0 && (
                  <details className="scan-commands">
                    <summary>
                      {s.commands.length} command{s.commands.length === 1 ? '' : 's'}
                    </summary>
                    <ul className="compact-list">
                      {s.commands.map((c) => (
                        <li key={c.id}>
                          {hostnames?.get(c.deviceId) ?? c.deviceId.slice(0, 8)}: {c.phase} · {c.plugin} · {c.status} · {c.assets.toLocaleString()}{' '}
                          assets in {c.pages} page{c.pages === 1 ? '' : 's'}
                        </li>
                      ))}
                    </ul>
                  </details>
                )}
              </td>
              <td>
                <ScanProgress scan={s} />
              </td>
              <td>{s.assetsFound.toLocaleString()}</td>
              <td title={dateTime(s.finishedAt)}>{s.finishedAt ? relative(s.finishedAt) : isActive(s) ? '—' : ''}</td>
              {canManage && (
                <td className="actions">
                  {isActive(s) && (
                    <button type="button" className="btn btn-small btn-danger" disabled={busy === s.id} onClick={() => void cancel(s)}>
                      {busy === s.id ? 'Cancelling…' : 'Cancel scan'}
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}
