// The rule editor's remediation: nothing, a library script with its
// parameter values, or a built-in action with its payload, run on the
// alerting device when an alert opens, at most once every N hours.

import type { Script } from '../api/types'
import { emptyTask, taskFormOf, taskOf, taskProblem, type TaskForm } from '../schedules/task'
import type { AlertRule, AlertRuleRequest } from './types'

export const MAX_EVERY_HOURS = 8760

/** A rule keeps its values in clear, so the server refuses secret ones: the form leaves secret parameters out. */
export function withoutSecrets(script: Script | undefined): Script | undefined {
  return script && { ...script, params: (script.params ?? []).filter((p) => p.type !== 'secret') }
}

export interface RemediationForm {
  kind: 'none' | 'script' | 'action'
  task: TaskForm
  everyHours: string
}

export function remediationFormOf(rule?: Pick<AlertRule, 'remediation' | 'remediationEveryHours'>): RemediationForm {
  const r = rule?.remediation
  if (!r) return { kind: 'none', task: emptyTask(), everyHours: '0' }
  return { kind: r.kind, task: taskFormOf(r), everyHours: String(rule?.remediationEveryHours ?? 0) }
}

/** Whether the task differs from the stored one (an untouched one goes back as stored, not re-checked). */
function touched(f: RemediationForm, rule?: Pick<AlertRule, 'remediation'>): boolean {
  return !rule?.remediation || JSON.stringify(f.task) !== JSON.stringify(taskFormOf(rule.remediation))
}

export function remediationErrors(f: RemediationForm, script: Script | undefined, rule?: Pick<AlertRule, 'remediation'>): Record<string, string> {
  if (f.kind === 'none') return {}
  const e: Record<string, string> = {}
  const t = touched(f, rule) ? taskProblem(f.task, withoutSecrets(script)) : null
  if (t) e.remediation = t
  const h = f.everyHours.trim()
  if (!/^\d+$/.test(h) || Number(h) > MAX_EVERY_HOURS) e.remediationEveryHours = `From 0 to ${MAX_EVERY_HOURS} hours.`
  return e
}

/** The rule body's remediation fields; none sends neither (a PATCH replaces every field, so that removes it). */
export function remediationBody(
  f: RemediationForm,
  script: Script | undefined,
  rule?: Pick<AlertRule, 'remediation'>,
): Pick<AlertRuleRequest, 'remediation' | 'remediationEveryHours'> {
  if (f.kind === 'none') return {}
  return {
    remediation: taskOf({ ...f.task, kind: f.kind }, touched(f, rule) ? withoutSecrets(script) : undefined),
    remediationEveryHours: Number(f.everyHours.trim()),
  }
}
