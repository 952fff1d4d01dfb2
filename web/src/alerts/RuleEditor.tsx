import { useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import { UnitPicker, emptyUnit } from '../admin/UnitPicker'
import { useMe } from '../auth/session'
import { useGroups, useTenant } from '../tenant/tenant'
import { Dialog } from '../ui/Dialog'
import { severityLabel } from './Badges'
import { COMPARATORS, METRICS, TEMPLATES, emptyForm, formOf, requestOf, validate, type RuleForm } from './ruleForm'
import { SEVERITIES, type AlertRule, type RuleKind, type Severity } from './types'
import { ruleKeys } from './useAlerts'

/** Creates a rule (from a template or blank) or edits one. */
export function RuleEditor({ rule, onClose }: { rule?: AlertRule; onClose: () => void }) {
  const me = useMe()
  const qc = useQueryClient()
  const { sel } = useTenant()
  const [f, setF] = useState<RuleForm>(() => (rule ? formOf(rule) : emptyForm(emptyUnit(sel.partnerId ?? '', sel.orgId ?? ''))))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const groups = useGroups(f.unit.level !== 'partner' ? f.unit.orgId || undefined : undefined)
  const eligibleGroups = (groups.data ?? []).filter((g) => f.unit.level !== 'site' || !g.siteId || g.siteId === f.unit.siteId)
  const set = <K extends keyof RuleForm>(k: K, v: RuleForm[K]) => setF((x) => ({ ...x, [k]: v }))

  const submit = async () => {
    const e = validate(f)
    setErrors(e)
    if (Object.keys(e).length > 0) return
    setBusy(true)
    setError(null)
    try {
      const body = requestOf(f, rule, me?.user.partnerId)
      if (rule) await api.patch(`/alert-rules/${encodeURIComponent(rule.id)}`, body)
      else await api.post('/alert-rules', body)
      await qc.invalidateQueries({ queryKey: ruleKeys.all })
      onClose()
    } catch (err) {
      setError(errorMessage(err))
      setBusy(false)
    }
  }
  const fieldError = (k: string) =>
    errors[k] && (
      <span className="field-error" id={`rule-${k}-error`}>
        {errors[k]}
      </span>
    )

  return (
    <Dialog
      title={rule ? `Edit ${rule.name}` : 'New alert rule'}
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
            {busy ? 'Saving…' : rule ? 'Save rule' : 'Create rule'}
          </button>
        </>
      }
    >
      {!rule && (
        <label className="field">
          <span className="field-label">Start from</span>
          <select
            defaultValue=""
            onChange={(e) => {
              const t = TEMPLATES.find((x) => x.id === e.target.value)
              setF((x) => ({ ...emptyForm(x.unit), ...t?.form }))
              setErrors({})
            }}
          >
            <option value="">A blank rule</option>
            {TEMPLATES.map((t) => (
              <option key={t.id} value={t.id}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
      )}
      <div>
        <label className="field">
        <span className="field-label">Name</span>
        <input value={f.name} maxLength={200} onChange={(e) => set('name', e.target.value)} aria-invalid={!!errors.name} aria-describedby={errors.name ? 'rule-name-error' : undefined} />
        </label>
        {fieldError('name')}
      </div>
      <label className="field">
        <span className="field-label">Description</span>
        <input value={f.description} maxLength={1000} onChange={(e) => set('description', e.target.value)} />
      </label>
      <div className="field-row">
        <label className="field">
          <span className="field-label">Condition</span>
          <select value={f.kind} onChange={(e) => set('kind', e.target.value as RuleKind)}>
            <option value="metric_threshold">Metric threshold</option>
            <option value="device_offline">Device offline</option>
          </select>
        </label>
        <label className="field">
          <span className="field-label">Severity</span>
          <select value={f.severity} onChange={(e) => set('severity', e.target.value as Severity)}>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {severityLabel(s)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {f.kind === 'metric_threshold' ? (
        <fieldset className="fieldset">
          <legend>Threshold</legend>
          <div className="field-row">
            <label className="field">
              <span className="field-label">Metric</span>
              <select value={f.metric} onChange={(e) => set('metric', e.target.value)}>
                {METRICS.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.label}
                  </option>
                ))}
              </select>
            </label>
            {f.metric === 'disk' && (
              <label className="field">
                <span className="field-label">Mount (empty: the fullest)</span>
                <input value={f.mount} maxLength={256} placeholder="/" onChange={(e) => set('mount', e.target.value)} />
              </label>
            )}
            <label className="field">
              <span className="field-label">Comparator</span>
              <select value={f.comparator} onChange={(e) => set('comparator', e.target.value as RuleForm['comparator'])}>
                {COMPARATORS.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            </label>
            <div>
              <label className="field">
              <span className="field-label">Threshold</span>
              <input inputMode="decimal" value={f.threshold} onChange={(e) => set('threshold', e.target.value)} aria-invalid={!!errors.threshold} aria-describedby={errors.threshold ? 'rule-threshold-error' : undefined} />
              </label>
              {fieldError('threshold')}
            </div>
          </div>
          <div className="field-row">
            <div>
              <label className="field">
              <span className="field-label">For (seconds)</span>
              <input
                inputMode="numeric"
                value={f.durationSeconds}
                onChange={(e) => set('durationSeconds', e.target.value)}
                aria-invalid={!!errors.durationSeconds} aria-describedby={errors.durationSeconds ? 'rule-durationSeconds-error' : undefined}
              />
              </label>
              {fieldError('durationSeconds')}
            </div>
            <div>
              <label className="field">
              <span className="field-label">Clears at (optional)</span>
              <input
                inputMode="decimal"
                value={f.clearThreshold}
                placeholder="the threshold"
                onChange={(e) => set('clearThreshold', e.target.value)}
                aria-invalid={!!errors.clearThreshold} aria-describedby={errors.clearThreshold ? 'rule-clearThreshold-error' : undefined}
              />
              </label>
              {fieldError('clearThreshold')}
            </div>
          </div>
          <p className="hint">A firing alert resolves once the value is back past “clears at”, so a value hovering at the threshold opens one alert, not fifty.</p>
        </fieldset>
      ) : (
        <div>
          <label className="field">
          <span className="field-label">Offline for (minutes)</span>
          <input
            inputMode="numeric"
            value={f.offlineMinutes}
            onChange={(e) => set('offlineMinutes', e.target.value)}
            aria-invalid={!!errors.offlineMinutes} aria-describedby={errors.offlineMinutes ? 'rule-offlineMinutes-error' : undefined}
          />
          </label>
          {fieldError('offlineMinutes')}
        </div>
      )}
      {rule ? (
        <p className="hint">
          Owned by {rule.orgId ? 'one organization' : 'the partner'}; the owner of a rule never changes.
        </p>
      ) : null}
      <UnitPicker
        value={f.unit}
        onChange={(u) => setF((x) => ({ ...x, unit: u, groupId: u.orgId === x.unit.orgId ? x.groupId : '' }))}
      />
      {f.unit.level !== 'partner' && eligibleGroups.length > 0 && (
        <label className="field">
          <span className="field-label">Only the device group (optional)</span>
          <select value={f.groupId} onChange={(e) => set('groupId', e.target.value)}>
            <option value="">Every device there</option>
            {eligibleGroups.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {errors.scope && <p className="form-error">{errors.scope}</p>}
      <div className="field-row">
        <div>
          <label className="field">
          <span className="field-label">Notify again every (minutes, 0: never)</span>
          <input
            inputMode="numeric"
            value={f.renotifyMinutes}
            onChange={(e) => set('renotifyMinutes', e.target.value)}
            aria-invalid={!!errors.renotifyMinutes} aria-describedby={errors.renotifyMinutes ? 'rule-renotifyMinutes-error' : undefined}
          />
          </label>
          {fieldError('renotifyMinutes')}
        </div>
        <label className="check">
          <input type="checkbox" checked={f.enabled} onChange={(e) => set('enabled', e.target.checked)} />
          Enabled
        </label>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  )
}
