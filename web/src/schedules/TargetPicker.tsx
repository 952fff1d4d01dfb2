// Where a schedule runs: some devices, a group, a site or a whole
// organization. The server resolves the target at every fire, so devices
// that join the group, site or organization later are included.

import { useQuery } from '@tanstack/react-query'
import { errorMessage } from '../api/client'
import { fetchAll } from '../api/lists'
import type { Device } from '../api/types'
import { useGroups, useOrgs, useSites } from '../tenant/tenant'
import type { ScheduleForm } from './scheduleForm'
import type { TargetKind } from './types'

const KINDS: [TargetKind, string][] = [
  ['org', 'An organization'],
  ['site', 'A site'],
  ['group', 'A group'],
  ['devices', 'Some devices'],
]

export function TargetPicker({
  f,
  onChange,
  error,
  lockedOrg,
}: {
  f: ScheduleForm
  onChange: (patch: Partial<ScheduleForm>) => void
  error?: string
  /** An organization's schedule keeps its organization. */
  lockedOrg?: boolean
}) {
  const orgs = useOrgs()
  const sites = useSites(f.orgId || undefined)
  const groups = useGroups(f.orgId || undefined, f.targetKind === 'group' ? f.siteId || undefined : undefined)
  const devices = useQuery({
    queryKey: ['devices', 'pick', f.orgId],
    queryFn: ({ signal }) => fetchAll<Device>('/devices', { orgId: f.orgId }, 2000, signal),
    enabled: f.targetKind === 'devices' && !!f.orgId,
    staleTime: 30_000,
  })
  const toggle = (id: string) => onChange({ deviceIds: f.deviceIds.includes(id) ? f.deviceIds.filter((x) => x !== id) : [...f.deviceIds, id] })
  return (
    <fieldset className="fieldset" aria-describedby={error ? 'schedule-target-error' : undefined}>
      <legend>Target</legend>
      <div className="segmented" role="radiogroup" aria-label="Runs on">
        {KINDS.map(([k, label]) => (
          <label key={k} className="check">
            <input type="radio" name="schedule-target" checked={f.targetKind === k} onChange={() => onChange({ targetKind: k })} />
            {label}
          </label>
        ))}
      </div>
      <div className="field-row">
        <label className="field">
          <span className="field-label">Organization</span>
          <select
            value={f.orgId}
            disabled={lockedOrg}
            onChange={(e) => onChange({ orgId: e.target.value, siteId: '', groupId: '', deviceIds: [] })}
          >
            <option value="">Choose…</option>
            {f.orgId && !(orgs.data ?? []).some((o) => o.id === f.orgId) && <option value={f.orgId}>{f.orgId}</option>}
            {(orgs.data ?? []).map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </label>
        {(f.targetKind === 'site' || f.targetKind === 'group') && (
          <label className="field">
            <span className="field-label">Site</span>
            <select value={f.siteId} disabled={!f.orgId} onChange={(e) => onChange({ siteId: e.target.value, groupId: '' })}>
              <option value="">{f.targetKind === 'group' ? 'Any site' : 'Choose…'}</option>
              {(sites.data ?? []).map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {f.targetKind === 'group' && (
          <label className="field">
            <span className="field-label">Group</span>
            <select value={f.groupId} disabled={!f.orgId} onChange={(e) => onChange({ groupId: e.target.value })}>
              <option value="">Choose…</option>
              {f.groupId && !(groups.data ?? []).some((g) => g.id === f.groupId) && <option value={f.groupId}>{f.groupId}</option>}
              {(groups.data ?? []).map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {f.targetKind === 'devices' && f.orgId && (
        <ul className="pick-list" aria-label="Devices to run on">
          {devices.isPending && devices.fetchStatus !== 'idle' && <li className="hint">Loading devices…</li>}
          {devices.isError && <li className="form-error">{errorMessage(devices.error)}</li>}
          {(devices.data ?? [])
            .filter((d) => d.status !== 'decommissioned' || f.deviceIds.includes(d.id))
            .map((d) => (
              <li key={d.id}>
                <label className="check">
                  <input type="checkbox" checked={f.deviceIds.includes(d.id)} onChange={() => toggle(d.id)} />
                  {d.hostname} <span className="muted">{d.status}</span>
                </label>
              </li>
            ))}
          {devices.isSuccess && devices.data.length === 0 && <li className="hint">No device in this organization.</li>}
        </ul>
      )}
      {f.targetKind !== 'devices' && <p className="hint">Devices that join it later are included: the target is resolved at every run.</p>}
      {error && (
        <p className="field-error" id="schedule-target-error">
          {error}
        </p>
      )}
    </fieldset>
  )
}
