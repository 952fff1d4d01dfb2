// One script run: counts by status and, per device, its status and output.
// Live events patch the counts and each device's command; without the
// stream the page polls until every command is final.

import { Fragment, useEffect, useRef, useState } from 'react'
import { Link, useParams } from 'react-router'
import { ApiError } from '../api/client'
import type { Command, CommandStatus } from '../api/types'
import { isFinal } from '../live/events'
import { useLiveEvents } from '../live/live'
import { CommandResult } from '../remote/CommandResult'
import { CommandStatusBadge } from '../remote/CommandStatusBadge'
import { Empty, ErrorState, Loading } from '../ui/States'
import { dateTime } from '../ui/format'
import { RUN_POLL_MS, runDone, useDeviceNames, useRun, useRunResults, useScript } from './useScripts'

const ORDER: CommandStatus[] = ['queued', 'sent', 'running', 'succeeded', 'failed', 'timed_out', 'expired', 'cancelled']
const LABEL: Record<CommandStatus, string> = {
  queued: 'Queued',
  sent: 'Sent',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  timed_out: 'Timed out',
  expired: 'Expired',
  cancelled: 'Cancelled',
}
/** Results are read again at most this often while counts move. */
const RESULTS_THROTTLE_MS = 1000

export default function RunViewPage() {
  const { id = '' } = useParams()
  const { connected } = useLiveEvents()
  const run = useRun(id, connected)
  const { query: resultsQuery, results } = useRunResults(id)
  const script = useScript(run.data?.scriptId)
  const names = useDeviceNames(run.data?.orgId)
  const [open, setOpen] = useState<Set<string>>(new Set())

  // When the counts move, read the results again (throttled); the live
  // command events have patched what they could already.
  const countsKey = JSON.stringify(run.data?.counts ?? {})
  const last = useRef(0)
  const { refetch } = resultsQuery
  useEffect(() => {
    if (!run.data) return
    const wait = Math.max(0, last.current + RESULTS_THROTTLE_MS - Date.now())
    const t = setTimeout(() => {
      last.current = Date.now()
      void refetch()
    }, wait)
    return () => clearTimeout(t)
  }, [countsKey, refetch, run.data])

  // The counts come from the run (and its run.updated events); the results
  // from their own query. An event can miss the run (it arrived before the
  // run's first answer, which was read before the command finished): when
  // the results show more finished commands than the counts, read the run
  // again (throttled like the results).
  const finishedCount = ORDER.filter(isFinal).reduce((n, st) => n + (run.data?.counts?.[st] ?? 0), 0)
  const finishedResults = results.filter((c) => isFinal(c.status)).length
  const refetchRun = run.refetch
  useEffect(() => {
    if (!run.data || finishedResults <= finishedCount) return
    const t = setTimeout(() => void refetchRun(), RESULTS_THROTTLE_MS)
    return () => clearTimeout(t)
  }, [finishedResults, finishedCount, refetchRun, run.data])

  // Polling fallback for the results while the run is unfinished and the stream is down.
  const done = runDone(run.data)
  useEffect(() => {
    if (connected || done) return
    const t = setInterval(() => void refetch(), RUN_POLL_MS)
    return () => clearInterval(t)
  }, [connected, done, refetch])

  if (run.isPending) return <Loading label="Loading the run…" />
  if (run.isError) {
    if (run.error instanceof ApiError && run.error.status === 404)
      return (
        <Empty title="This run does not exist, or you cannot see it.">
          <Link to="/scripts">Back to the scripts</Link>
        </Empty>
      )
    return <ErrorState error={run.error} onRetry={() => void run.refetch()} />
  }
  const r = run.data
  const counts = r.counts ?? {}
  const finished = finishedCount
  const host = (c: Command) => names.data?.get(c.deviceId) ?? c.deviceId
  const toggle = (cid: string) =>
    setOpen((s) => {
      const n = new Set(s)
      if (n.has(cid)) n.delete(cid)
      else n.add(cid)
      return n
    })

  return (
    <section className="page" aria-labelledby="run-title">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/scripts">Scripts</Link> /{' '}
        {script.data ? <Link to={`/scripts/${encodeURIComponent(script.data.id)}`}>{script.data.name}</Link> : <span>script</span>} / <span>run</span>
      </nav>
      <header className="page-header">
        <h1 id="run-title">Run of {script.data?.name ?? 'a script'}</h1>
        <span className="muted">
          v{r.scriptVersion} · {dateTime(r.createdAt)} · {r.targetKind}
        </span>
      </header>
      <div className="run-summary" role="status" aria-live="polite" aria-label="Run progress">
        <progress max={Math.max(1, r.total)} value={finished} />
        <span>
          {finished} of {r.total} finished
        </span>
        <ul className="counts">
          {ORDER.filter((s) => (counts[s] ?? 0) > 0).map((s) => (
            <li key={s}>
              <CommandStatusBadge status={s} /> <span data-count={s}>{counts[s]}</span>
              <span className="visually-hidden"> {LABEL[s]}</span>
            </li>
          ))}
        </ul>
      </div>
      {Object.keys(r.params ?? {}).length > 0 && (
        <dl className="facts facts-inline">
          {Object.entries(r.params).map(([k, v]) => (
            <Fragment key={k}>
              <dt className="mono">{k}</dt>
              <dd className="mono">{String(v)}</dd>
            </Fragment>
          ))}
        </dl>
      )}
      {resultsQuery.isPending ? (
        <Loading label="Loading results…" />
      ) : resultsQuery.isError && results.length === 0 ? (
        <ErrorState error={resultsQuery.error} onRetry={() => void refetch()} />
      ) : results.length === 0 ? (
        <Empty title="No results yet." />
      ) : (
        <table className="table">
          <caption>Results by device</caption>
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Status</th>
              <th scope="col">Exit code</th>
              <th scope="col">Output</th>
              <th scope="col">
                <span className="visually-hidden">Details</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {results.map((c) => (
              <Fragment key={c.id}>
                <tr>
                  <td>
                    <Link to={`/devices/${encodeURIComponent(c.deviceId)}?tab=commands`}>{host(c)}</Link>
                  </td>
                  <td>
                    <CommandStatusBadge status={c.status} />
                  </td>
                  <td className="mono">{c.exitCode ?? '—'}</td>
                  <td>
                    {c.stdout || c.stderr ? (
                      <pre className="output output-preview">{(c.stdout || c.stderr || '').slice(0, 2000)}</pre>
                    ) : c.error ? (
                      <span className="form-error">{c.error}</span>
                    ) : (
                      <span className="hint">{isFinal(c.status) ? 'no output' : '…'}</span>
                    )}
                  </td>
                  <td className="actions">
                    {isFinal(c.status) && (
                      <button type="button" className="btn btn-small" aria-expanded={open.has(c.id)} onClick={() => toggle(c.id)}>
                        {open.has(c.id) ? 'Hide' : 'Details'}
                      </button>
                    )}
                  </td>
                </tr>
                {open.has(c.id) && (
                  <tr className="detail-row">
                    <td colSpan={5}>
                      <CommandResult c={c} />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
      {resultsQuery.hasNextPage && (
        <button type="button" className="btn" onClick={() => void resultsQuery.fetchNextPage()}>
          More results
        </button>
      )}
    </section>
  )
}
