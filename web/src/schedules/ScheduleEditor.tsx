import { useEffect, useState } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import type { Device } from '../api/types'
import { useMe } from '../auth/session'
import { useGroups, useSites, useTenant } from '../tenant/tenant'
import { Dialog } from '../ui/Dialog'
import { emptyForm, formOf, MAX_GRACE_MINUTES, requestOf, validate, type ScheduleForm } from './scheduleForm'
import { TargetPicker } from './TargetPicker'
import { TaskFields, useTaskScript } from './TaskFields'
import type { Schedule } from './types'
import { scheduleKeys } from './useSchedules'
import { WhenFields } from './WhenFields'

/** Creates or edits a schedule: what runs, where, when and in which zone, and what happens to offline devices. */
export function ScheduleEditor({ schedule: s, onClose }: { schedule?: Schedule; onClose: () => void }) {
  const me = useMe()
  const qc = useQueryClient()
  const { sel } = useTenant()
  const [f, setF] = useState<ScheduleForm>(() => (s ? formOf(s) : emptyForm(sel.orgId ?? '')))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const set = <K extends keyof ScheduleForm>(k: K, v: ScheduleForm[K]) => setF((x) => ({ ...x, [k]: v }))
  const { script } = useTaskScript(f.orgId, f.task.scriptId, f.task.kind === 'script')
  useTargetOrg(f, setF)

  const submit = async () => {
    const e = validate(f, script, s)
    setErrors(e)
    if (Object.keys(e).length > 0) return
    setBusy(true)
    setError(null)
    try {
      const body = requestOf(f, script, s, sel.partnerId || me?.user.partnerId)
      if (s) await api.patch(`/schedules/${encodeURIComponent(s.id)}`, body)
      else await api.post('/schedules', body)
      await qc.invalidateQueries({ queryKey: scheduleKeys.all })
      onClose()
    } catch (err) {
      setError(errorMessage(err))
      setBusy(false)
    }
  }
  const fieldError = (k: string) =>
    errors[k] && (
      <span className="field-error" id={`schedule-${k}-error`}>
        {errors[k]}
      </span>
    )
  const described = (k: string) => ({ 'aria-invalid': !!errors[k], 'aria-describedby': errors[k] ? `schedule-${k}-error` : undefined })

  return (
    <Dialog
      title={s ? `Edit ${s.name}` : 'New schedule'}
      onClose={onClose}
      onSubmit={() => void submit()}
      wide
      noValidate
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : s ? 'Save schedule' : 'Create schedule'}
          </button>
        </>
      }
    >
      {s?.lastError && (
        <p className="form-error" role="alert">
          This schedule cannot run as saved: {s.lastError}
        </p>
      )}
      <div>
        <label className="field">
          <span className="field-label">Name</span>
          <input value={f.name} maxLength={200} onChange={(e) => set('name', e.target.value)} {...described('name')} />
        </label>
        {fieldError('name')}
      </div>
      <label className="field">
        <span className="field-label">Description</span>
        <input value={f.description} maxLength={1000} onChange={(e) => set('description', e.target.value)} />
      </label>
      <TargetPicker f={f} onChange={(patch) => setF((x) => ({ ...x, ...patch }))} error={errors.target} lockedOrg={!!s?.orgId} />
      {s ? (
        <p className="hint">Owned by {s.orgId ? 'its organization' : 'the partner'}; the owner of a schedule never changes.</p>
      ) : (
        <label className="field">
          <span className="field-label">Owner</span>
          <select value={f.owner} onChange={(e) => set('owner', e.target.value as ScheduleForm['owner'])}>
            <option value="org">The target’s organization</option>
            <option value="partner">The partner (shared, seen by every organization’s technicians)</option>
          </select>
        </label>
      )}
      <TaskFields value={f.task} onChange={(t) => set('task', t)} orgId={f.orgId} idPrefix="schedule" />
      {fieldError('task')}
      <WhenFields f={f} set={set} errors={errors} />
      <fieldset className="fieldset">
        <legend>Offline devices</legend>
        <div className="field-row">
          <label className="field">
            <span className="field-label">When a device is offline</span>
            <select value={f.offlinePolicy} onChange={(e) => set('offlinePolicy', e.target.value as ScheduleForm['offlinePolicy'])}>
              <option value="skip">Skip it</option>
              <option value="when_online">Run when it comes back within the grace period</option>
            </select>
          </label>
          <div>
            <label className="field">
              <span className="field-label">Grace period (minutes)</span>
              <input inputMode="numeric" value={f.graceMinutes} onChange={(e) => set('graceMinutes', e.target.value)} {...described('graceMinutes')} />
            </label>
            {fieldError('graceMinutes')}
          </div>
        </div>
        <p className="hint">
          Up to {MAX_GRACE_MINUTES} minutes. A run missed while the server was down happens once at start if it is still within the
          grace period, never once per missed time.
        </p>
      </fieldset>
      <label className="check">
        <input type="checkbox" checked={f.enabled} onChange={(e) => set('enabled', e.target.checked)} />
        Enabled
      </label>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  )
}

/** A partner-wide schedule on a site, group or devices does not name their organization: look it up, for the pickers. */
function useTargetOrg(f: ScheduleForm, setF: (fn: (x: ScheduleForm) => ScheduleForm) => void) {
  const need = !f.orgId && f.targetKind !== 'org'
  const sites = useSites(undefined, { all: need && f.targetKind === 'site' })
  const groups = useGroups(undefined, undefined, { all: need && f.targetKind === 'group' })
  const firstDevice = need && f.targetKind === 'devices' ? f.deviceIds[0] : undefined
  const device = useQuery({
    queryKey: ['devices', 'detail', firstDevice ?? ''],
    queryFn: ({ signal }) => api.get<Device>(`/devices/${encodeURIComponent(firstDevice!)}`, undefined, signal),
    enabled: !!firstDevice,
  })
  const found = !need
    ? undefined
    : f.targetKind === 'site'
      ? sites.data?.find((x) => x.id === f.siteId)?.orgId
      : f.targetKind === 'group'
        ? groups.data?.find((x) => x.id === f.groupId)?.orgId
        : device.data?.orgId
  useEffect(() => {
    if (found) setF((x) => (x.orgId ? x : { ...x, orgId: found }))
  }, [found, setF])
}
