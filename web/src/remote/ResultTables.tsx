// The process and service lists an agent reports, with optional per-row
// actions (the device's Commands tab passes them; a script run does not).
// Every field is rendered as React text: names and command lines come from
// the managed machine and may be hostile.

import { useMemo, useState } from 'react'
import type { ProcessInfo, ServiceInfo } from '../api/types'
import { bytes } from '../ui/format'

export const MAX_ROWS = 1000

/** What a row can ask for; the owner confirms and sends the command. */
export interface ResultActions {
  onKill?: (p: ProcessInfo) => void
  onRestart?: (s: ServiceInfo) => void
}

export const text = (v: unknown) => (v === undefined || v === null ? '' : String(v))

/** PID 0 and 1 (the kernel, init) are never offered: killing them takes the machine down. */
export function killable(p: ProcessInfo): boolean {
  const pid = Number(p.pid)
  return Number.isInteger(pid) && pid > 1
}

/** Case-insensitive match on the name or the command line. */
export function matchProcess(p: ProcessInfo, q: string): boolean {
  const n = q.trim().toLowerCase()
  if (!n) return true
  return text(p.name).toLowerCase().includes(n) || text(p.cmdline).toLowerCase().includes(n)
}

export function ProcessTable({ rows, onKill }: { rows: ProcessInfo[]; onKill?: (p: ProcessInfo) => void }) {
  const [q, setQ] = useState('')
  const sorted = useMemo(() => [...rows].sort((a, b) => (Number(b.cpuPercent) || 0) - (Number(a.cpuPercent) || 0)), [rows])
  // Filter before the cap, so a quiet process beyond the busiest 1000 can still be found.
  const matching = useMemo(() => (q.trim() ? sorted.filter((p) => matchProcess(p, q)) : sorted), [sorted, q])
  const shown = matching.slice(0, MAX_ROWS)
  const filtering = q.trim() !== ''
  return (
    <>
      <div className="filters">
        <label className="field-inline">
          <span className="visually-hidden">Filter processes</span>
          <input
            type="search"
            placeholder="Filter by name or command line"
            value={q}
            maxLength={200}
            onChange={(e) => setQ(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape' && q) {
                e.preventDefault()
                setQ('')
              }
            }}
          />
        </label>
      </div>
      <div className="table-scroll">
        <table className="table table-compact">
          <caption>
            {rows.length} processes
            {filtering ? `, ${matching.length} matching` : ''}
            {matching.length > MAX_ROWS ? ` (the ${MAX_ROWS} busiest shown)` : ''}
          </caption>
          <thead>
            <tr>
              <th scope="col">PID</th>
              <th scope="col">Parent</th>
              <th scope="col">Name</th>
              <th scope="col">User</th>
              <th scope="col">CPU</th>
              <th scope="col">Memory</th>
              <th scope="col">Command line</th>
              {onKill && (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {shown.map((p, i) => (
              <tr key={`${text(p.pid)}-${i}`}>
                <td className="mono">{text(p.pid)}</td>
                <td className="mono">{text(p.ppid)}</td>
                <td>{text(p.name)}</td>
                <td>{text(p.user)}</td>
                <td>{Number.isFinite(Number(p.cpuPercent)) ? `${Number(p.cpuPercent).toFixed(1)} %` : '—'}</td>
                <td>{bytes(Number(p.rss))}</td>
                <td className="mono cell-wrap">{text(p.cmdline)}</td>
                {onKill && (
                  <td className="actions">
                    {killable(p) && (
                      <button type="button" className="btn btn-small btn-danger" aria-label={`Kill PID ${text(p.pid)}`} onClick={() => onKill(p)}>
                        Kill…
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
        {filtering && matching.length === 0 && <p className="hint">No process matches “{q.trim()}”.</p>}
      </div>
    </>
  )
}

export function ServiceTable({ rows, onRestart }: { rows: ServiceInfo[]; onRestart?: (s: ServiceInfo) => void }) {
  const shown = [...rows].sort((a, b) => text(a.name).localeCompare(text(b.name))).slice(0, MAX_ROWS)
  return (
    <div className="table-scroll">
      <table className="table table-compact">
        <caption>{rows.length} services</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Description</th>
            <th scope="col">State</th>
            <th scope="col">At boot</th>
            {onRestart && (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {shown.map((s, i) => (
            <tr key={`${text(s.name)}-${i}`}>
              <td className="mono">{text(s.name)}</td>
              <td>{text(s.description)}</td>
              <td>{text(s.state)}</td>
              <td>{s.enabled ? 'enabled' : 'disabled'}</td>
              {onRestart && (
                <td className="actions">
                  {text(s.name) !== '' && (
                    <button type="button" className="btn btn-small" aria-label={`Restart ${text(s.name)}`} onClick={() => onRestart(s)}>
                      Restart…
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
