// The task form shared by the schedule editor and the rule editor's
// remediation: a library script with its parameter values, or a built-in
// action with its payload.

import type { Script } from '../api/types'
import { paramValuesProblem, paramsToSend } from '../scripts/ParamInput'
import { payloadOf, payloadProblem, valuesOf } from './taskActions'
import type { Task } from './types'

export interface TaskForm {
  kind: 'script' | 'action'
  scriptId: string
  /** parameter name → value as typed */
  params: Record<string, string>
  action: string
  /** payload field → value as typed */
  payload: Record<string, string>
}

export function emptyTask(kind: TaskForm['kind'] = 'script'): TaskForm {
  return { kind, scriptId: '', params: {}, action: 'collect_inventory', payload: {} }
}

export function taskFormOf(t: Task | undefined): TaskForm {
  if (!t) return emptyTask()
  if (t.kind === 'script')
    return { ...emptyTask('script'), scriptId: t.scriptId, params: Object.fromEntries(Object.entries(t.params ?? {}).map(([k, v]) => [k, String(v)])) }
  return { ...emptyTask('action'), action: t.action, payload: valuesOf(t.action, t.payload) }
}

/** The first problem, or null; script is the chosen one's definition when it is loaded. */
export function taskProblem(f: TaskForm, script: Script | undefined): string | null {
  if (f.kind === 'script') {
    if (!f.scriptId) return 'Choose a script.'
    return script ? paramValuesProblem(script.params ?? [], f.params) : null
  }
  if (!f.action) return 'Choose an action.'
  return payloadProblem(f.action, f.payload)
}

/** The task's JSON; without the script's definition (not loaded, deleted), its stored values go back as they are. */
export function taskOf(f: TaskForm, script: Script | undefined): Task {
  if (f.kind === 'script')
    return { kind: 'script', scriptId: f.scriptId, params: script ? paramsToSend(script.params ?? [], f.params) : { ...f.params } }
  return { kind: 'action', action: f.action, payload: payloadOf(f.action, f.payload) }
}
