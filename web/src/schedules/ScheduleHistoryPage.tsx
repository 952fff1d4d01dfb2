import { useMemo, useState } from 'react'
import { Link, useParams } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import { api, ApiError, errorMessage } from '../api/client'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { useScripts } from '../scripts/useScripts'
import { useTenantNames } from '../tenant/tenant'
import { Empty, ErrorState, Loading } from '../ui/States'
import { dateTime } from '../ui/format'
import { describeCounts, describeTarget, describeTask, describeTiming } from './describe'
import type { Fire } from './types'
import { ScheduleEditor } from './ScheduleEditor'
import { scheduleKeys, useFires, useSchedule } from './useSchedules'
import { formatInZone } from './zoned'

const STATUS: Record<string, { label: string; pill: string }> = {
  fired: { label: 'Fired', pill: 'pill-ok' },
  skipped: { label: 'Skipped', pill: 'pill-warn' },
  failed: { label: 'Failed', pill: 'pill-bad' },
}

/** A schedule and its runs, newest first, each linked to its script run when it started one. */
export default function ScheduleHistoryPage() {
  const { id = '' } = useParams()
  const me = useMe()
  const schedule = useSchedule(id)
  const fires = useFires(id)
  const names = useTenantNames()
  const { scripts } = useScripts({}, can(me, P.scriptsRead))
  const scriptNames = useMemo(() => new Map(scripts.map((s) => [s.id, s.name])), [scripts])
  const items = useMemo(() => fires.data?.pages.flatMap((p) => p.items) ?? [], [fires.data])
  const qc = useQueryClient()
  const [editing, setEditing] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  if (schedule.isPending) return <Loading label="Loading the schedule…" />
  if (schedule.isError) {
    if (schedule.error instanceof ApiError && schedule.error.status === 404)
      return (
        <Empty title="This schedule does not exist, or you cannot see it.">
          <Link to="/schedules">Back to the schedules</Link>
        </Empty>
      )
    return <ErrorState error={schedule.error} onRetry={() => void schedule.refetch()} />
  }
  const s = schedule.data
  const canWrite = can(me, P.scriptsWrite)
  const toggle = async () => {
    setBusy(true)
    setError(null)
    try {
      qc.setQueryData(scheduleKeys.detail(s.id), await api.patch(`/schedules/${encodeURIComponent(s.id)}`, { enabled: !s.enabled, version: s.version }))
      await qc.invalidateQueries({ queryKey: scheduleKeys.all })
    } catch (e) {
      setError(errorMessage(e))
    } finally {
      setBusy(false)
    }
  }
  return (
    <section className="page" aria-labelledby="schedule-title">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/schedules">Schedules</Link> / <span>{s.name}</span>
      </nav>
      <header className="page-header">
        <h1 id="schedule-title">{s.name}</h1>
        {s.enabled ? <span className="pill pill-ok">Enabled</span> : <span className="pill pill-warn">Paused</span>}
        {canWrite && (
          <div className="page-actions">
            <button type="button" className="btn btn-small" onClick={() => void toggle()} disabled={busy}>
              {s.enabled ? 'Pause' : 'Resume'}
            </button>
            <button type="button" className="btn btn-small" onClick={() => setEditing(true)}>
              Edit…
            </button>
          </div>
        )}
      </header>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {s.lastError && (
        <p className="form-error" role="alert">
          This schedule cannot run as saved: {s.lastError}
        </p>
      )}
      <dl className="facts">
        {s.description && (
          <>
            <dt>Description</dt>
            <dd>{s.description}</dd>
          </>
        )}
        <dt>Task</dt>
        <dd>{describeTask(s.task, scriptNames)}</dd>
        <dt>Target</dt>
        <dd>{describeTarget(s.target, names)}</dd>
        <dt>When</dt>
        <dd>
          {describeTiming(s)} ({s.timezone})
        </dd>
        <dt>Offline devices</dt>
        <dd>{s.offlinePolicy === 'when_online' ? `run when back within ${s.graceMinutes} min` : 'skipped'}</dd>
        <dt>Next run</dt>
        <dd>{s.enabled && s.nextFireAt ? formatInZone(s.nextFireAt, s.timezone) : '—'}</dd>
        <dt>Owner</dt>
        <dd>{s.orgId ? (names.get(s.orgId) ?? s.orgId) : 'partner-wide'}</dd>
      </dl>
      <h2 className="section-title">Runs</h2>
      {fires.isPending ? (
        <Loading label="Loading the runs…" />
      ) : fires.isError ? (
        <ErrorState error={fires.error} onRetry={() => void fires.refetch()} />
      ) : items.length === 0 ? (
        <Empty title="It has not run yet." />
      ) : (
        <table className="table">
          <caption className="visually-hidden">Runs</caption>
          <thead>
            <tr>
              <th scope="col">Scheduled for</th>
              <th scope="col">Started</th>
              <th scope="col">Status</th>
              <th scope="col">Results</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {items.map((f) => (
              <FireRow key={f.id} f={f} zone={s.timezone} />
            ))}
          </tbody>
        </table>
      )}
      {fires.hasNextPage && (
        <button type="button" className="btn" onClick={() => void fires.fetchNextPage()} disabled={fires.isFetchingNextPage}>
          Older runs
        </button>
      )}
      {editing && <ScheduleEditor schedule={s} onClose={() => setEditing(false)} />}
    </section>
  )
}

function FireRow({ f, zone }: { f: Fire; zone: string }) {
  const st = STATUS[f.status] ?? { label: f.status, pill: '' }
  return (
    <tr>
      <td title={f.fireAt}>{formatInZone(f.fireAt, zone)}</td>
      <td title={f.firedAt}>{f.firedAt ? dateTime(f.firedAt) : '—'}</td>
      <td>
        <span className={`pill ${st.pill}`}>{st.label}</span>
      </td>
      <td>
        {describeCounts(f)}
        {f.scriptRunId ? (
          <div>
            <Link to={`/script-runs/${encodeURIComponent(f.scriptRunId)}`}>View the run</Link>
          </div>
        ) : f.commandIds && f.commandIds.length > 0 ? (
          <div className="hint">
            {f.commandIds.length} command{f.commandIds.length === 1 ? '' : 's'}
          </div>
        ) : null}
      </td>
      <td>{f.error ?? ''}</td>
    </tr>
  )
}
