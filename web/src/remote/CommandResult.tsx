// What a command produced. Everything an agent reports (output, process
// names, command lines) is rendered as React text, never as markup.

import type { Command, ProcessInfo, ServiceInfo } from '../api/types'
import { bytes, dateTime } from '../ui/format'

const MAX_ROWS = 1000

export function CommandResult({ c }: { c: Command }) {
  const processes = c.action === 'list_processes' ? asList<ProcessInfo>(c.data) : null
  const services = c.action === 'list_services' ? asList<ServiceInfo>(c.data) : null
  return (
    <div className="command-result">
      <dl className="facts facts-inline">
        <dt>Exit code</dt>
        <dd className="mono">{c.exitCode ?? '—'}</dd>
        <dt>Queued</dt>
        <dd>{dateTime(c.createdAt)}</dd>
        <dt>Finished</dt>
        <dd>{dateTime(c.finishedAt)}</dd>
        {c.attempts !== undefined && (
          <>
            <dt>Attempts</dt>
            <dd>{c.attempts}</dd>
          </>
        )}
      </dl>
      {c.error && (
        <p className="form-error">
          Error: <span className="mono">{c.error}</span>
        </p>
      )}
      {c.truncated && <p className="notice">The output was truncated by the agent: only its beginning is kept.</p>}
      {processes && <ProcessTable rows={processes} />}
      {services && <ServiceTable rows={services} />}
      {!!c.stdout && (
        <>
          <h4 className="output-title">Standard output</h4>
          <pre className="output" aria-label="Standard output">
            {c.stdout}
          </pre>
        </>
      )}
      {!!c.stderr && (
        <>
          <h4 className="output-title">Standard error</h4>
          <pre className="output output-err" aria-label="Standard error">
            {c.stderr}
          </pre>
        </>
      )}
      {!c.stdout && !c.stderr && !processes && !services && !c.error && <p className="hint">No output.</p>}
    </div>
  )
}

function asList<T>(data: unknown): T[] | null {
  return Array.isArray(data) ? (data.filter((x) => x && typeof x === 'object') as T[]) : null
}

const text = (v: unknown) => (v === undefined || v === null ? '' : String(v))

function ProcessTable({ rows }: { rows: ProcessInfo[] }) {
  const shown = [...rows].sort((a, b) => (Number(b.cpuPercent) || 0) - (Number(a.cpuPercent) || 0)).slice(0, MAX_ROWS)
  return (
    <div className="table-scroll">
      <table className="table table-compact">
        <caption>
          {rows.length} processes{rows.length > MAX_ROWS ? ` (the ${MAX_ROWS} busiest shown)` : ''}
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
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

function ServiceTable({ rows }: { rows: ServiceInfo[] }) {
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
          </tr>
        </thead>
        <tbody>
          {shown.map((s, i) => (
            <tr key={`${text(s.name)}-${i}`}>
              <td className="mono">{text(s.name)}</td>
              <td>{text(s.description)}</td>
              <td>{text(s.state)}</td>
              <td>{s.enabled ? 'enabled' : 'disabled'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
