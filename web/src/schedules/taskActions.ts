// The built-in agent actions a schedule or a remediation can run, each with
// its payload's fields (protocol/*Payload, core/app/commands/actions). One
// entry per action; one with no fields takes no payload. run_script is not
// here (a task names a library script instead), nor uninstall_agent (not
// something to repeat or to run unattended).

import { actionLabel } from '../api/actions'

export interface PayloadField {
  key: string
  label: string
  type: 'text' | 'int' | 'list' | 'intList' | 'select'
  required?: boolean
  options?: string[]
  hint?: string
  min?: number
  max?: number
}

export const TASK_ACTIONS: Record<string, PayloadField[]> = {
  collect_inventory: [],
  list_processes: [],
  list_services: [],
  uptime: [],
  restart_service: [{ key: 'name', label: 'Service name', type: 'text', required: true }],
  reboot: [{ key: 'delaySeconds', label: 'Delay (seconds)', type: 'int', min: 0, max: 86400 }],
  kill_process: [
    { key: 'pid', label: 'Process id', type: 'int', required: true, min: 1 },
    { key: 'signal', label: 'Signal', type: 'select', options: ['TERM', 'KILL'] },
  ],
  discover: [
    { key: 'plugin', label: 'Scanner plugin id', type: 'text', required: true },
    { key: 'targets', label: 'Targets (CIDRs or hosts, comma-separated)', type: 'list', required: true },
    { key: 'ports', label: 'Ports (comma-separated, optional)', type: 'intList' },
  ],
}

export const TASK_ACTION_IDS = Object.keys(TASK_ACTIONS).map((id) => ({ id, label: actionLabel(id) }))

export function payloadFields(action: string): PayloadField[] {
  return Object.hasOwn(TASK_ACTIONS, action) ? TASK_ACTIONS[action]! : []
}

const INT = /^-?\d+$/
const split = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)

/** The first problem of the payload's text values, or null. */
export function payloadProblem(action: string, values: Record<string, string>): string | null {
  for (const f of payloadFields(action)) {
    const v = (values[f.key] ?? '').trim()
    if (v === '') {
      if (f.required) return `${f.label} is required.`
      continue
    }
    if (f.type === 'int') {
      const n = Number(v)
      if (!INT.test(v) || (f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max))
        return `${f.label}: a whole number${f.min !== undefined ? ` from ${f.min}` : ''}${f.max !== undefined ? ` to ${f.max}` : ''}.`
    }
    if (f.type === 'intList' && !split(v).every((x) => INT.test(x) && Number(x) >= 1 && Number(x) <= 65535))
      return `${f.label}: numbers from 1 to 65535.`
    if (f.type === 'select' && f.options && !f.options.includes(v)) return `${f.label}: one of ${f.options.join(', ')}.`
  }
  return null
}

/** The JSON payload of the form's text values (empty optional fields left out). */
export function payloadOf(action: string, values: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of payloadFields(action)) {
    const v = (values[f.key] ?? '').trim()
    if (v === '') continue
    if (f.type === 'int') out[f.key] = Number(v)
    else if (f.type === 'list') out[f.key] = split(v)
    else if (f.type === 'intList') out[f.key] = split(v).map(Number)
    else out[f.key] = v
  }
  return out
}

/** The form's text values of a stored payload. */
export function valuesOf(action: string, payload: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const f of payloadFields(action)) {
    const v = payload?.[f.key]
    if (v === undefined || v === null) continue
    out[f.key] = Array.isArray(v) ? v.join(', ') : String(v)
  }
  return out
}
