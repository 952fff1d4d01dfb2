import { useMemo, useState } from 'react'
import { Link } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { useScripts } from '../scripts/useScripts'
import { useTenant, useTenantNames } from '../tenant/tenant'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { Empty, ErrorState, Loading } from '../ui/States'
import { dateTime, relative } from '../ui/format'
import { describeTarget, describeTask, describeTiming } from './describe'
import { ScheduleEditor } from './ScheduleEditor'
import type { Schedule } from './types'
import { scheduleKeys, useSchedules } from './useSchedules'

/** Scheduled scripts and actions: what runs where and when, paused or not, and how the last run went. */
export default function SchedulesPage() {
  const me = useMe()
  const qc = useQueryClient()
  const { sel } = useTenant()
  const names = useTenantNames()
  const canRead = can(me, P.scriptsRead)
  const canWrite = can(me, P.scriptsWrite)
  const [state, setState] = useState<'' | 'true' | 'false'>('')
  const schedules = useSchedules(sel.orgId, canRead, state)
  const { scripts } = useScripts({ orgId: sel.orgId }, canRead)
  const scriptNames = useMemo(() => new Map(scripts.map((s) => [s.id, s.name])), [scripts])
  const [editing, setEditing] = useState<Schedule | 'new' | null>(null)
  const [deleting, setDeleting] = useState<Schedule | null>(null)
  const [toggling, setToggling] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)

  if (!canRead)
    return (
      <Empty title="You cannot see schedules.">
        Your role does not grant scripts:read. <Link to="/">Home</Link>
      </Empty>
    )

  const toggle = async (s: Schedule) => {
    setToggling(s.id)
    setError(null)
    try {
      await api.patch<Schedule>(`/schedules/${encodeURIComponent(s.id)}`, { enabled: !s.enabled, version: s.version })
      await qc.invalidateQueries({ queryKey: scheduleKeys.all })
    } catch (e) {
      setError(`${s.name}: ${errorMessage(e)}`)
    } finally {
      setToggling(null)
    }
  }

  return (
    <section className="page" aria-labelledby="schedules-title">
      <header className="page-header">
        <h1 id="schedules-title">Schedules</h1>
        {schedules.data && <span className="count">{schedules.data.length} schedule{schedules.data.length === 1 ? '' : 's'}</span>}
        {canWrite && (
          <div className="page-actions">
            <button type="button" className="btn btn-small btn-primary" onClick={() => setEditing('new')}>
              New schedule
            </button>
          </div>
        )}
      </header>
      <p className="hint">A schedule runs a script or an action on its target at the times it names, in its time zone.</p>
      <div className="filters">
        <label className="field-inline">
          <span className="field-label">Show</span>
          <select value={state} onChange={(e) => setState(e.target.value as typeof state)}>
            <option value="">All schedules</option>
            <option value="true">Enabled only</option>
            <option value="false">Paused only</option>
          </select>
        </label>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {schedules.isPending ? (
        <Loading label="Loading schedules…" />
      ) : schedules.isError ? (
        <ErrorState error={schedules.error} onRetry={() => void schedules.refetch()} />
      ) : schedules.data.length === 0 ? (
        state ? (
          <Empty title={state === 'true' ? 'No enabled schedule.' : 'No paused schedule.'} />
        ) : (
          <Empty title="No schedules yet.">{canWrite ? 'Schedule a script to run it every night, or once at a chosen time.' : null}</Empty>
        )
      ) : (
        <table className="table">
          <caption className="visually-hidden">Schedules</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Target</th>
              <th scope="col">Task</th>
              <th scope="col">When</th>
              <th scope="col">Next run</th>
              <th scope="col">Last run</th>
              <th scope="col">Status</th>
              {canWrite && (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {schedules.data.map((s) => (
              <tr key={s.id}>
                <td>
                  <Link to={`/schedules/${encodeURIComponent(s.id)}`}>{s.name}</Link>
                  <div className="hint">{s.orgId ? (names.get(s.orgId) ?? 'one organization') : 'partner-wide'}</div>
                </td>
                <td>{describeTarget(s.target, names)}</td>
                <td>{describeTask(s.task, scriptNames)}</td>
                <td>
                  {describeTiming(s)}
                  <div className="hint">{s.timezone}</div>
                </td>
                <td title={s.nextFireAt}>{s.enabled && s.nextFireAt ? dateTime(s.nextFireAt) : '—'}</td>
                <td title={s.lastFireAt}>
                  {s.lastFireAt ? relative(s.lastFireAt) : 'never'}
                  {s.lastError && <div className="form-error">{s.lastError}</div>}
                </td>
                <td>
                  {s.lastError ? (
                    <span className="pill pill-bad">Needs attention</span>
                  ) : s.enabled ? (
                    <span className="pill pill-ok">Enabled</span>
                  ) : (
                    <span className="pill pill-warn">Paused</span>
                  )}
                </td>
                {canWrite && (
                  <td className="actions">
                    <button
                      type="button"
                      className="btn btn-small"
                      disabled={toggling === s.id}
                      onClick={() => void toggle(s)}
                      aria-label={`${s.enabled ? 'Pause' : 'Resume'} ${s.name}`}
                    >
                      {s.enabled ? 'Pause' : 'Resume'}
                    </button>
                    <button type="button" className="btn btn-small" onClick={() => setEditing(s)} aria-label={`Edit ${s.name}`}>
                      Edit…
                    </button>
                    <button type="button" className="btn btn-small btn-danger" onClick={() => setDeleting(s)} aria-label={`Delete ${s.name}`}>
                      Delete…
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && <ScheduleEditor schedule={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} />}
      {deleting && (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          confirmLabel="Delete"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api.del(`/schedules/${encodeURIComponent(deleting.id)}`)
            await qc.invalidateQueries({ queryKey: scheduleKeys.all })
          }}
        >
          <p>It no longer runs. Its past runs stay in the script runs.</p>
        </ConfirmDialog>
      )}
    </section>
  )
}
