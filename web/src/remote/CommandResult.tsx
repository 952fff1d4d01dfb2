// What a command produced. Everything an agent reports (output, process
// names, command lines) is rendered as React text, never as markup.

import { actionInfo } from '../api/actions'
import type { Command, ProcessInfo, ServiceInfo } from '../api/types'
import { dateTime } from '../ui/format'
import { ProcessTable, ServiceTable, type ResultActions } from './ResultTables'

export function CommandResult({ c, actions }: { c: Command; actions?: ResultActions }) {
  const shown = actionInfo(c.action)?.result
  const processes = shown === 'processes' ? asList<ProcessInfo>(c.data) : null
  const services = shown === 'services' ? asList<ServiceInfo>(c.data) : null
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
      {processes && <ProcessTable rows={processes} onKill={actions?.onKill} />}
      {services && <ServiceTable rows={services} onRestart={actions?.onRestart} />}
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
