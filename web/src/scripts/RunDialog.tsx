// Runs a library script on devices: the selected ones, or a group, site or
// organization of the tenant tree. Parameters get an input of their type;
// secrets a password field (the server redacts them in the run).

import { useMemo, useState } from 'react'
import { useNavigate } from 'react-router'
import { useQuery } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import type { Device, Page, Script, ScriptParam, ScriptRun } from '../api/types'
import { useGroups, useOrgs, useSites, useTenant } from '../tenant/tenant'
import { Dialog } from '../ui/Dialog'
import { useDebounced } from '../ui/useDebounced'
import { ParamInput, paramsToSend, paramValue, paramValuesProblem } from './ParamInput'
import { useScripts } from './useScripts'

type Kind = 'devices' | 'group' | 'site' | 'org'

export interface RunDialogProps {
  script?: Script
  /** Preselected targets (the device list's bulk selection). */
  devices?: Pick<Device, 'id' | 'hostname' | 'orgId'>[]
  onClose: () => void
}

export function RunDialog({ script: fixed, devices: preset, onClose }: RunDialogProps) {
  const navigate = useNavigate()
  const { sel } = useTenant()
  const presetOrgs = useMemo(() => [...new Set((preset ?? []).map((d) => d.orgId))], [preset])
  const [scriptId, setScriptId] = useState(fixed?.id ?? '')
  const scripts = useScripts({ orgId: presetOrgs.length === 1 ? presetOrgs[0] : undefined }, !fixed)
  const script = fixed ?? scripts.scripts.find((s) => s.id === scriptId)

  const [kind, setKind] = useState<Kind>('devices')
  const [orgId, setOrgId] = useState(fixed?.orgId ?? presetOrgs[0] ?? sel.orgId ?? '')
  const [siteId, setSiteId] = useState('')
  const [groupId, setGroupId] = useState('')
  const [picked, setPicked] = useState<Pick<Device, 'id' | 'hostname' | 'orgId'>[]>(preset ?? [])
  const [values, setValues] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  const orgs = useOrgs()
  const sites = useSites(orgId || undefined)
  const groups = useGroups(orgId || undefined, siteId || undefined)

  const params = script?.params ?? []
  const value = (p: ScriptParam) => paramValue(p, values)

  const problem = (): string | null => {
    if (!script) return 'Choose a script.'
    if (kind === 'devices') {
      if (picked.length === 0) return 'Choose at least one device.'
      if (new Set(picked.map((d) => d.orgId)).size > 1) return 'A run targets devices of one organization: narrow the selection.'
    }
    if (kind === 'group' && !groupId) return 'Choose a group.'
    if (kind === 'site' && !siteId) return 'Choose a site.'
    if (kind === 'org' && !orgId) return 'Choose an organization.'
    return paramValuesProblem(params, values)
  }

  const submit = async () => {
    const why = problem()
    setError(why)
    if (why || !script) return
    setBusy(true)
    const target =
      kind === 'devices'
        ? { deviceIds: picked.map((d) => d.id) }
        : kind === 'group'
          ? { deviceGroupId: groupId }
          : kind === 'site'
            ? { siteId }
            : { orgId }
    const sent = paramsToSend(params, values)
    try {
      const run = await api.post<ScriptRun>(`/scripts/${encodeURIComponent(script.id)}/runs`, { ...target, params: sent })
      onClose()
      navigate(`/script-runs/${encodeURIComponent(run.id)}`)
    } catch (e) {
      setError(errorMessage(e))
      setBusy(false)
    }
  }

  return (
    <Dialog
      title={script ? `Run ${script.name}` : 'Run a script'}
      wide
      onClose={onClose}
      onSubmit={() => void submit()}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Starting…' : 'Run'}
          </button>
        </>
      }
    >
      {!fixed && (
        <label className="field">
          <span className="field-label">Script</span>
          <select value={scriptId} onChange={(e) => setScriptId(e.target.value)} autoFocus>
            <option value="">Choose a script…</option>
            {scripts.scripts.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <fieldset className="fieldset">
        <legend>Targets</legend>
        {preset ? (
          <p>
            {picked.length} selected device{picked.length === 1 ? '' : 's'}
            {picked.length <= 5 ? `: ${picked.map((d) => d.hostname).join(', ')}` : ''}
          </p>
        ) : (
          <>
            <div className="segmented" role="radiogroup" aria-label="Run on">
              {(
                [
                  ['devices', 'Devices'],
                  ['group', 'A group'],
                  ['site', 'A site'],
                  ['org', 'An organization'],
                ] as const
              ).map(([k, label]) => (
                <label key={k} className="check">
                  <input type="radio" name="run-kind" checked={kind === k} onChange={() => setKind(k)} />
                  {label}
                </label>
              ))}
            </div>
            <div className="field-row">
              <label className="field">
                <span className="field-label">Organization</span>
                <select
                  value={orgId}
                  disabled={!!fixed?.orgId}
                  onChange={(e) => {
                    setOrgId(e.target.value)
                    setSiteId('')
                    setGroupId('')
                    setPicked([])
                  }}
                >
                  <option value="">Choose…</option>
                  {(orgs.data ?? []).map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.name}
                    </option>
                  ))}
                </select>
              </label>
              {(kind === 'site' || kind === 'group') && (
                <label className="field">
                  <span className="field-label">Site</span>
                  <select
                    value={siteId}
                    onChange={(e) => {
                      setSiteId(e.target.value)
                      setGroupId('')
                    }}
                  >
                    <option value="">{kind === 'group' ? 'Any site' : 'Choose…'}</option>
                    {(sites.data ?? []).map((s) => (
                      <option key={s.id} value={s.id}>
                        {s.name}
                      </option>
                    ))}
                  </select>
                </label>
              )}
              {kind === 'group' && (
                <label className="field">
                  <span className="field-label">Group</span>
                  <select value={groupId} onChange={(e) => setGroupId(e.target.value)}>
                    <option value="">Choose…</option>
                    {(groups.data ?? []).map((g) => (
                      <option key={g.id} value={g.id}>
                        {g.name}
                      </option>
                    ))}
                  </select>
                </label>
              )}
            </div>
            {kind === 'devices' && <DevicePicker orgId={orgId} picked={picked} onChange={setPicked} />}
          </>
        )}
      </fieldset>
      {params.length > 0 && (
        <fieldset className="fieldset">
          <legend>Parameters</legend>
          {params.map((p) => (
            <ParamInput key={p.name} p={p} value={value(p)} onChange={(v) => setValues((s) => ({ ...s, [p.name]: v }))} />
          ))}
        </fieldset>
      )}
      {script && script.osFilter?.length > 0 && (
        <p className="hint">Runs only on {script.osFilter.join(', ')}; other devices are skipped by the server.</p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  )
}

function DevicePicker({
  orgId,
  picked,
  onChange,
}: {
  orgId: string
  picked: Pick<Device, 'id' | 'hostname' | 'orgId'>[]
  onChange: (d: Pick<Device, 'id' | 'hostname' | 'orgId'>[]) => void
}) {
  const [q, setQ] = useState('')
  const dq = useDebounced(q.trim(), 250)
  const found = useQuery({
    queryKey: ['devices', 'pick', orgId, dq],
    queryFn: ({ signal }) => api.get<Page<Device>>('/devices', { orgId: orgId || undefined, q: dq, limit: 25 }, signal),
  })
  const ids = new Set(picked.map((d) => d.id))
  return (
    <div className="device-picker">
      <label className="field">
        <span className="field-label">Find devices</span>
        <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Hostname" maxLength={200} />
      </label>
      <ul className="pick-list" aria-label="Devices to run on">
        {(found.data?.items ?? []).filter((d) => d.status !== 'decommissioned').map((d) => (
          <li key={d.id}>
            <label className="check">
              <input
                type="checkbox"
                checked={ids.has(d.id)}
                onChange={(e) => onChange(e.target.checked ? [...picked, d] : picked.filter((x) => x.id !== d.id))}
              />
              {d.hostname} <span className="muted">{d.status}</span>
            </label>
          </li>
        ))}
        {found.isSuccess && found.data.items.length === 0 && <li className="hint">No device matches.</li>}
        {found.isError && <li className="form-error">{errorMessage(found.error)}</li>}
      </ul>
      <p className="hint">{picked.length} chosen</p>
    </div>
  )
}
