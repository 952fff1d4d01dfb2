import { useState } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import { fetchAll } from '../api/lists'
import type { Device } from '../api/types'
import { UnitPicker, emptyUnit } from '../admin/UnitPicker'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { useGroups, useTenant } from '../tenant/tenant'
import { Dialog } from '../ui/Dialog'
import { WEEKDAYS, type MaintenanceWindow, type WindowKind } from './types'
import { emptyForm, formOf, requestOf, timeZones, validate, type WindowForm } from './windowForm'
import { windowKeys } from './useWindows'

/** Creates or edits a maintenance window: where (the rule editor's scope picker, a group or some devices), when and in which zone. */
export function WindowEditor({ window: w, onClose }: { window?: MaintenanceWindow; onClose: () => void }) {
  const me = useMe()
  const qc = useQueryClient()
  const { sel } = useTenant()
  const [f, setF] = useState<WindowForm>(() => (w ? formOf(w) : emptyForm(emptyUnit(sel.partnerId ?? '', sel.orgId ?? ''))))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [zones] = useState(() => timeZones(f.timeZone))
  const orgId = f.unit.level !== 'partner' ? f.unit.orgId || undefined : undefined
  const groups = useGroups(orgId)
  const eligibleGroups = (groups.data ?? []).filter((g) => f.unit.level !== 'site' || !g.siteId || g.siteId === f.unit.siteId)
  const [pickDevices, setPickDevices] = useState(f.deviceIds.length > 0)
  const devices = useQuery({
    queryKey: ['devices', 'pick', orgId ?? '', f.unit.level === 'site' ? f.unit.siteId : '', f.groupId],
    queryFn: ({ signal }) =>
      fetchAll<Device>('/devices', { orgId, siteId: f.unit.level === 'site' ? f.unit.siteId : undefined, groupId: f.groupId || undefined }, 500, signal),
    enabled: pickDevices && !!orgId && can(me, P.devicesRead),
    staleTime: 30_000,
  })
  const set = <K extends keyof WindowForm>(k: K, v: WindowForm[K]) => setF((x) => ({ ...x, [k]: v }))
  const toggle = <T,>(list: T[], v: T) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v])

  const submit = async () => {
    const e = validate(f)
    setErrors(e)
    if (Object.keys(e).length > 0) return
    setBusy(true)
    setError(null)
    try {
      const body = requestOf(f, w, me?.user.partnerId)
      if (w) await api.patch(`/maintenance-windows/${encodeURIComponent(w.id)}`, body)
      else await api.post('/maintenance-windows', body)
      await qc.invalidateQueries({ queryKey: windowKeys.all })
      await qc.invalidateQueries({ queryKey: ['alerts'] })
      onClose()
    } catch (err) {
      setError(errorMessage(err))
      setBusy(false)
    }
  }
  const fieldError = (k: string) =>
    errors[k] && (
      <span className="field-error" id={`window-${k}-error`}>
        {errors[k]}
      </span>
    )
  const described = (k: string) => ({ 'aria-invalid': !!errors[k], 'aria-describedby': errors[k] ? `window-${k}-error` : undefined })

  return (
    <Dialog
      title={w ? `Edit ${w.name}` : 'New maintenance window'}
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
            {busy ? 'Saving…' : w ? 'Save window' : 'Create window'}
          </button>
        </>
      }
    >
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
      <div className="field-row">
        <label className="field">
          <span className="field-label">Repeats</span>
          <select value={f.kind} onChange={(e) => set('kind', e.target.value as WindowKind)}>
            <option value="weekly">Every week</option>
            <option value="once">Once</option>
          </select>
        </label>
        <div>
          <label className="field">
            <span className="field-label">Time zone</span>
            <select value={f.timeZone} onChange={(e) => set('timeZone', e.target.value)} {...described('timeZone')}>
              {zones.map((z) => (
                <option key={z} value={z}>
                  {z}
                </option>
              ))}
            </select>
          </label>
          {fieldError('timeZone')}
        </div>
      </div>
      {f.kind === 'once' ? (
        <div className="field-row">
          <div>
            <label className="field">
              <span className="field-label">Starts</span>
              <input type="datetime-local" value={f.startsAt} onChange={(e) => set('startsAt', e.target.value.slice(0, 16))} {...described('startsAt')} />
            </label>
            {fieldError('startsAt')}
          </div>
          <div>
            <label className="field">
              <span className="field-label">Ends</span>
              <input type="datetime-local" value={f.endsAt} onChange={(e) => set('endsAt', e.target.value.slice(0, 16))} {...described('endsAt')} />
            </label>
            {fieldError('endsAt')}
          </div>
        </div>
      ) : (
        <>
          <fieldset className="fieldset">
            <legend>Days</legend>
            {WEEKDAYS.map((d) => (
              <label key={d.id} className="check">
                <input type="checkbox" checked={f.days.includes(d.id)} onChange={() => set('days', toggle(f.days, d.id))} />
                {d.label}
              </label>
            ))}
          </fieldset>
          {fieldError('days')}
          <div className="field-row">
            <div>
              <label className="field">
                <span className="field-label">Starts at</span>
                <input type="time" value={f.at} onChange={(e) => set('at', e.target.value.slice(0, 5))} {...described('at')} />
              </label>
              {fieldError('at')}
            </div>
            <div>
              <label className="field">
                <span className="field-label">Lasts (minutes)</span>
                <input inputMode="numeric" value={f.durationMinutes} onChange={(e) => set('durationMinutes', e.target.value)} {...described('durationMinutes')} />
              </label>
              {fieldError('durationMinutes')}
            </div>
          </div>
        </>
      )}
      <p className="hint">
        Times are read in the chosen zone. A start a daylight-saving change skips begins when the clock jumps past it; one it repeats
        is the first.
      </p>
      {w ? <p className="hint">Owned by {w.orgId ? 'one organization' : 'the partner'}; the owner of a window never changes.</p> : null}
      <UnitPicker
        value={f.unit}
        onChange={(u) => setF((x) => ({ ...x, unit: u, groupId: u.orgId === x.unit.orgId ? x.groupId : '', deviceIds: [] }))}
      />
      {f.unit.level !== 'partner' && eligibleGroups.length > 0 && (
        <label className="field">
          <span className="field-label">Only the device group (optional)</span>
          <select value={f.groupId} onChange={(e) => setF((x) => ({ ...x, groupId: e.target.value, deviceIds: [] }))}>
            <option value="">Every device there</option>
            {eligibleGroups.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {f.unit.level !== 'partner' && (
        <label className="check">
          <input
            type="checkbox"
            checked={pickDevices}
            onChange={(e) => {
              setPickDevices(e.target.checked)
              if (!e.target.checked) set('deviceIds', [])
            }}
          />
          Only some devices
        </label>
      )}
      {pickDevices && f.unit.level !== 'partner' && (
        <fieldset className="fieldset">
          <legend>Devices</legend>
          {devices.isPending && devices.fetchStatus !== 'idle' ? (
            <p className="hint">Loading devices…</p>
          ) : (devices.data ?? []).length === 0 ? (
            <p className="hint">No device here.</p>
          ) : (
            devices.data!.map((d) => (
              <label key={d.id} className="check">
                <input type="checkbox" checked={f.deviceIds.includes(d.id)} onChange={() => set('deviceIds', toggle(f.deviceIds, d.id))} />
                {d.hostname}
              </label>
            ))
          )}
        </fieldset>
      )}
      {errors.scope && <p className="form-error">{errors.scope}</p>}
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
