import { useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import { useSites, useTenant, useTenantNames } from '../tenant/tenant'
import { Dialog } from '../ui/Dialog'
import { AUTH_PROTOS, emptyForm, formOf, PRIV_PROTOS, requestOf, validate, type ProfileForm, type SecretField } from './profileForm'
import { METHODS, type Profile } from './types'
import { discoveryKeys, useSiteDevices } from './useDiscovery'

const METHOD_LABELS: Record<string, string> = {
  icmp: 'ICMP echo (ping)',
  tcp: 'TCP connect on the ports',
  arp: 'ARP / neighbour table',
  rdns: 'Reverse DNS',
  snmp: 'SNMP',
}

/** Creates or edits a discovery profile; the server's refusal (a target over the limit, outside the allowed ranges) shows under the form. */
export function ProfileEditor({ profile: p, onClose }: { profile?: Profile; onClose: () => void }) {
  const qc = useQueryClient()
  const { sel } = useTenant()
  const names = useTenantNames()
  const sites = useSites(sel.orgId, { all: true })
  const [f, setF] = useState<ProfileForm>(() => (p ? formOf(p) : emptyForm(sel.siteId ?? '')))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const set = <K extends keyof ProfileForm>(k: K, v: ProfileForm[K]) => setF((x) => ({ ...x, [k]: v }))
  const devices = useSiteDevices(f.siteId)

  const submit = async () => {
    const e = validate(f)
    setErrors(e)
    if (Object.keys(e).length > 0) return
    setBusy(true)
    setError(null)
    try {
      const orgId = sites.data?.find((s) => s.id === f.siteId)?.orgId
      const body = requestOf(f, p, orgId)
      if (p) await api.put(`/discovery/profiles/${encodeURIComponent(p.id)}`, body)
      else await api.post('/discovery/profiles', body)
      await qc.invalidateQueries({ queryKey: discoveryKeys.all })
      onClose()
    } catch (err) {
      setError(errorMessage(err))
      setBusy(false)
    }
  }
  const fieldError = (k: string) =>
    errors[k] && (
      <span className="field-error" id={`profile-${k}-error`}>
        {errors[k]}
      </span>
    )
  const described = (k: string) => ({ 'aria-invalid': !!errors[k], 'aria-describedby': errors[k] ? `profile-${k}-error` : undefined })
  const toggleMethod = (m: string) => set('methods', f.methods.includes(m) ? f.methods.filter((x) => x !== m) : [...f.methods, m])
  const toggleScanner = (id: string) =>
    set('scannerDeviceIds', f.scannerDeviceIds.includes(id) ? f.scannerDeviceIds.filter((x) => x !== id) : [...f.scannerDeviceIds, id])
  const num = (k: 'ratePerSecond' | 'concurrency' | 'timeoutSeconds' | 'snmpPort' | 'snmpTimeoutMs', label: string) => (
    <div>
      <label className="field">
        <span className="field-label">{label}</span>
        <input inputMode="numeric" value={f[k]} onChange={(e) => set(k, e.target.value)} {...described(k)} />
      </label>
      {fieldError(k)}
    </div>
  )
  const snmp = f.methods.includes('snmp')

  return (
    <Dialog
      title={p ? `Edit ${p.name}` : 'New discovery profile'}
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
            {busy ? 'Saving…' : p ? 'Save profile' : 'Create profile'}
          </button>
        </>
      }
    >
      <div className="field-row">
        <div>
          <label className="field">
            <span className="field-label">Name</span>
            <input value={f.name} maxLength={200} onChange={(e) => set('name', e.target.value)} {...described('name')} />
          </label>
          {fieldError('name')}
        </div>
        <div>
          <label className="field">
            <span className="field-label">Site</span>
            <select
              value={f.siteId}
              disabled={!!p}
              onChange={(e) => setF((x) => ({ ...x, siteId: e.target.value, scannerDeviceIds: [] }))}
              {...described('siteId')}
            >
              <option value="">Choose…</option>
              {f.siteId && !(sites.data ?? []).some((s) => s.id === f.siteId) && <option value={f.siteId}>{names.get(f.siteId) ?? f.siteId}</option>}
              {(sites.data ?? []).map((s) => (
                <option key={s.id} value={s.id}>
                  {sel.orgId ? s.name : `${names.get(s.orgId) ?? 'Organization'} / ${s.name}`}
                </option>
              ))}
            </select>
          </label>
          {fieldError('siteId')}
        </div>
      </div>
      <div className="field-row">
        <div>
          <label className="field">
            <span className="field-label">Targets (one per line)</span>
            <textarea
              className="mono"
              rows={5}
              value={f.targets}
              placeholder={'10.0.0.0/24\n10.0.1.10-10.0.1.50\n10.0.2.7'}
              onChange={(e) => set('targets', e.target.value)}
              {...described('targets')}
            />
          </label>
          {fieldError('targets')}
        </div>
        <div>
          <label className="field">
            <span className="field-label">Exclusions (one per line)</span>
            <textarea className="mono" rows={5} value={f.exclusions} onChange={(e) => set('exclusions', e.target.value)} {...described('exclusions')} />
          </label>
          {fieldError('exclusions')}
        </div>
      </div>
      <p className="hint">
        CIDRs, ranges (10.0.0.10-10.0.0.20 or 10.0.0.10-20) and hosts; IPv6 prefixes of /112 or longer. At most 65,536 addresses (a /16) per
        profile.
      </p>
      <fieldset className="fieldset" aria-describedby={errors.methods ? 'profile-methods-error' : undefined}>
        <legend>Methods</legend>
        {METHODS.map((m) => (
          <label key={m} className="check">
            <input type="checkbox" checked={f.methods.includes(m)} onChange={() => toggleMethod(m)} />
            {METHOD_LABELS[m]}
          </label>
        ))}
        {fieldError('methods')}
      </fieldset>
      <div>
        <label className="field">
          <span className="field-label">TCP ports</span>
          <input className="mono" value={f.ports} onChange={(e) => set('ports', e.target.value)} {...described('ports')} />
        </label>
        {fieldError('ports')}
      </div>
      <div className="field-row">
        {num('ratePerSecond', 'Probes per second')}
        {num('concurrency', 'Concurrency')}
        {num('timeoutSeconds', 'Timeout (seconds)')}
      </div>
      <fieldset className="fieldset" aria-describedby={errors.scannerDeviceIds ? 'profile-scannerDeviceIds-error' : undefined}>
        <legend>Scanning devices</legend>
        {!f.siteId ? (
          <p className="hint">Choose the site first: its agents scan.</p>
        ) : (
          <ul className="pick-list" aria-label="Scanning devices">
            {devices.isPending && <li className="hint">Loading devices…</li>}
            {devices.isError && <li className="form-error">{errorMessage(devices.error)}</li>}
            {(devices.data ?? [])
              .filter((d) => d.status !== 'decommissioned' || f.scannerDeviceIds.includes(d.id))
              .map((d) => (
                <li key={d.id}>
                  <label className="check">
                    <input type="checkbox" checked={f.scannerDeviceIds.includes(d.id)} onChange={() => toggleScanner(d.id)} />
                    {d.hostname} <span className="muted">{d.status}</span>
                  </label>
                </li>
              ))}
            {devices.isSuccess && devices.data.length === 0 && <li className="hint">No device in this site.</li>}
          </ul>
        )}
        {fieldError('scannerDeviceIds')}
        <label className="check">
          <input type="checkbox" checked={f.split} onChange={(e) => set('split', e.target.checked)} />
          Split the targets across the online scanning devices
        </label>
        <p className="hint">Otherwise the first online one scans everything.</p>
      </fieldset>
      {snmp && (
        <fieldset className="fieldset">
          <legend>SNMP</legend>
          <div className="field-row">
            <label className="field">
              <span className="field-label">SNMP version</span>
              <select value={f.snmpVersion} onChange={(e) => set('snmpVersion', e.target.value as ProfileForm['snmpVersion'])}>
                <option value="2c">v2c</option>
                <option value="3">v3</option>
              </select>
            </label>
            {num('snmpPort', 'SNMP port')}
            {num('snmpTimeoutMs', 'SNMP timeout (ms)')}
          </div>
          {f.snmpVersion === '2c' ? (
            <SecretInput label="Community" v={f.community} onChange={(v) => set('community', v)} error={errors.community} id="community" />
          ) : (
            <>
              <div>
                <label className="field">
                  <span className="field-label">User</span>
                  <input value={f.user} autoComplete="off" onChange={(e) => set('user', e.target.value)} {...described('user')} />
                </label>
                {fieldError('user')}
              </div>
              <div className="field-row">
                <label className="field">
                  <span className="field-label">Authentication</span>
                  <select value={f.authProto} onChange={(e) => set('authProto', e.target.value)}>
                    <option value="">None (noAuthNoPriv)</option>
                    {AUTH_PROTOS.map((a) => (
                      <option key={a} value={a}>
                        {a}
                      </option>
                    ))}
                  </select>
                </label>
                <div>
                  <label className="field">
                    <span className="field-label">Privacy</span>
                    <select value={f.privProto} onChange={(e) => set('privProto', e.target.value)} {...described('privProto')}>
                      <option value="">None</option>
                      {PRIV_PROTOS.map((a) => (
                        <option key={a} value={a}>
                          {a}
                        </option>
                      ))}
                    </select>
                  </label>
                  {fieldError('privProto')}
                </div>
              </div>
              {f.authProto && (
                <SecretInput label="Authentication passphrase" v={f.authPass} onChange={(v) => set('authPass', v)} error={errors.authPass} id="authPass" />
              )}
              {f.privProto && (
                <SecretInput label="Privacy passphrase" v={f.privPass} onChange={(v) => set('privPass', v)} error={errors.privPass} id="privPass" />
              )}
            </>
          )}
          <p className="hint">Secrets are write-only: sealed on the server, sent to the scanning agents only, never shown again.</p>
        </fieldset>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  )
}

/** A write-only secret: "set" with a Replace button, or a password field. */
function SecretInput({ label, v, onChange, error, id }: { label: string; v: SecretField; onChange: (v: SecretField) => void; error?: string; id: string }) {
  const errId = `profile-${id}-error`
  if (v.set && !v.replacing)
    return (
      <div className="field secret-set">
        <span className="field-label">{label}</span>
        <span>
          <span className="pill pill-ok">set</span>{' '}
          <button type="button" className="btn btn-small" aria-label={`Replace ${label.toLowerCase()}`} onClick={() => onChange({ ...v, replacing: true, value: '' })}>
            Replace
          </button>
        </span>
      </div>
    )
  return (
    <div>
      <label className="field">
        <span className="field-label">{label}</span>
        <input
          type="password"
          autoComplete="new-password"
          value={v.value}
          onChange={(e) => onChange({ ...v, value: e.target.value })}
          aria-invalid={!!error}
          aria-describedby={error ? errId : undefined}
        />
      </label>
      {error && (
        <span className="field-error" id={errId}>
          {error}
        </span>
      )}
      {v.set && (
        <button type="button" className="btn btn-small" onClick={() => onChange({ ...v, replacing: false, value: '' })}>
          Keep the stored {label.toLowerCase()}
        </button>
      )}
    </div>
  )
}
