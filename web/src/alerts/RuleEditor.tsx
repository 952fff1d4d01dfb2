import { useState } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import type { Page } from '../api/types'
import { UnitPicker, emptyUnit } from '../admin/UnitPicker'
import { useMe } from '../auth/session'
import { useGroups, useTenant } from '../tenant/tenant'
import { Dialog } from '../ui/Dialog'
import { severityLabel } from './Badges'
import { ConditionFields } from './ConditionFields'
import { RemediationFields, useRemediation } from './RemediationFields'
import { RulePreview } from './RulePreview'
import { KINDS, emptyForm, formOf, formOfTemplate, previewOf, requestOf, validate, type RuleForm } from './ruleForm'
import { SEVERITIES, type AlertRule, type AlertTemplate, type RuleKind, type Severity } from './types'
import { ruleKeys } from './useAlerts'

/** The ready-made rules (GET /alert-templates), the editor's starting points. */
function useTemplates(enabled: boolean) {
  return useQuery({
    queryKey: ['alert-templates'],
    queryFn: ({ signal }) => api.get<Page<AlertTemplate>>('/alert-templates', undefined, signal).then((p) => p.items),
    enabled,
    staleTime: Infinity,
  })
}

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
  const remediation = useRemediation(rule, f.unit.level !== 'partner' ? f.unit.orgId || undefined : undefined)
  const templates = useTemplates(!rule)
  const formErrors = validate(f)
  const previewBody = Object.keys(formErrors).length === 0 ? previewOf(f, rule, me?.user.partnerId) : null

  const submit = async () => {
    const e = { ...validate(f), ...remediation.errors() }
    setErrors(e)
    if (Object.keys(e).length > 0) return
    setBusy(true)
    setError(null)
    try {
      const body = { ...requestOf(f, rule, me?.user.partnerId), ...remediation.body() }
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
              const t = templates.data?.find((x) => x.id === e.target.value)
              setF((x) => (t ? formOfTemplate(t, x.unit) : emptyForm(x.unit)))
              setErrors({})
            }}
          >
            <option value="">A blank rule</option>
            {(templates.data ?? []).map((t) => (
              <option key={t.id} value={t.id} title={t.description}>
                {t.name}
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
            {KINDS.map((k) => (
              <option key={k.id} value={k.id}>
                {k.label}
              </option>
            ))}
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
      <ConditionFields f={f} set={set} errors={errors} />
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
      <RulePreview body={previewBody} />
      <RemediationFields state={remediation} errors={errors} />
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
