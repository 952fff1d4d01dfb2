import { useState } from 'react'
import { TaskFields, useTaskScript } from '../schedules/TaskFields'
import { MAX_EVERY_HOURS, remediationBody, remediationErrors, remediationFormOf, type RemediationForm } from './remediation'
import type { AlertRule } from './types'

/** The remediation's state for the rule editor: its form, its checks and its part of the rule's body. */
export function useRemediation(rule: AlertRule | undefined, orgId: string | undefined) {
  const [form, setForm] = useState<RemediationForm>(() => remediationFormOf(rule))
  const { script } = useTaskScript(orgId, form.task.scriptId, form.kind === 'script')
  return {
    form,
    setForm,
    orgId,
    errors: () => remediationErrors(form, script, rule),
    body: () => remediationBody(form, script, rule),
  }
}

export type RemediationState = ReturnType<typeof useRemediation>

/** Self-healing: what runs on the alerting device when an alert of the rule opens. */
export function RemediationFields({ state, errors }: { state: RemediationState; errors: Record<string, string> }) {
  const { form: f, setForm } = state
  const set = (patch: Partial<RemediationForm>) => setForm({ ...f, ...patch })
  return (
    <fieldset className="fieldset">
      <legend>Remediation</legend>
      <label className="field">
        <span className="field-label">When an alert opens, run</span>
        <select
          value={f.kind}
          onChange={(e) => {
            const kind = e.target.value as RemediationForm['kind']
            set({ kind, task: kind === 'none' ? f.task : { ...f.task, kind } })
          }}
        >
          <option value="none">Nothing</option>
          <option value="script">A script on the device</option>
          <option value="action">A built-in action on the device</option>
        </select>
      </label>
      {f.kind !== 'none' && (
        <>
          <TaskFields
            value={{ ...f.task, kind: f.kind }}
            onChange={(t) => set({ task: t, kind: t.kind })}
            orgId={state.orgId}
            idPrefix="remediation"
            legend="Runs"
            secrets={false}
            partnerScriptsOnly={!state.orgId}
          />
          {errors.remediation && (
            <p className="field-error" id="rule-remediation-error">
              {errors.remediation}
            </p>
          )}
          <div>
            <label className="field">
              <span className="field-label">At most once every (hours, 0: every time an alert opens)</span>
              <input
                inputMode="numeric"
                value={f.everyHours}
                onChange={(e) => set({ everyHours: e.target.value })}
                aria-invalid={!!errors.remediationEveryHours}
                aria-describedby={errors.remediationEveryHours ? 'rule-remediationEveryHours-error' : undefined}
              />
            </label>
            {errors.remediationEveryHours && (
              <span className="field-error" id="rule-remediationEveryHours-error">
                {errors.remediationEveryHours}
              </span>
            )}
          </div>
          <p className="hint">
            Per device, up to {MAX_EVERY_HOURS} hours. Its result is recorded on the alert; if the condition clears afterwards, the alert
            resolves as auto-remediated. You need the right to run it on the rule’s devices, checked now and at every run.
          </p>
        </>
      )}
    </fieldset>
  )
}
