// Picks what runs: a library script and its parameter values, or a built-in
// action and its payload fields.

import type { Script } from '../api/types'
import { ParamInput, paramValue } from '../scripts/ParamInput'
import { useScripts } from '../scripts/useScripts'
import { payloadFields, TASK_ACTION_IDS } from './taskActions'
import type { TaskForm } from './task'

/** The scripts a task may name for an org (its own and its partner's), and the chosen one. */
export function useTaskScript(orgId: string | undefined, scriptId: string, enabled = true) {
  const { query, scripts } = useScripts({ orgId: orgId || undefined }, enabled)
  return { query, scripts, script: scripts.find((s) => s.id === scriptId) as Script | undefined }
}

export function TaskFields({
  value: f,
  onChange,
  orgId,
  idPrefix,
  legend = 'Task',
  secrets = true,
  partnerScriptsOnly = false,
}: {
  value: TaskForm
  onChange: (t: TaskForm) => void
  orgId?: string
  idPrefix: string
  legend?: string
  /** false: secret parameters are not offered (a rule keeps its values in clear, so the server refuses them). */
  secrets?: boolean
  /** Only partner-wide scripts (a partner-wide owner cannot use one organization's script). */
  partnerScriptsOnly?: boolean
}) {
  const { query, scripts: all, script } = useTaskScript(orgId, f.scriptId, f.kind === 'script')
  const scripts = partnerScriptsOnly ? all.filter((s) => !s.orgId) : all
  const set = (patch: Partial<TaskForm>) => onChange({ ...f, ...patch })
  const params = (script?.params ?? []).filter((p) => secrets || p.type !== 'secret')
  const hidden = (script?.params ?? []).filter((p) => !secrets && p.type === 'secret')
  return (
    <fieldset className="fieldset">
      <legend>{legend}</legend>
      <div className="segmented" role="radiogroup" aria-label={`${legend} kind`}>
        <label className="check">
          <input type="radio" name={`${idPrefix}-task-kind`} checked={f.kind === 'script'} onChange={() => set({ kind: 'script' })} />
          A script
        </label>
        <label className="check">
          <input type="radio" name={`${idPrefix}-task-kind`} checked={f.kind === 'action'} onChange={() => set({ kind: 'action' })} />
          A built-in action
        </label>
      </div>
      {f.kind === 'script' ? (
        <>
          <label className="field">
            <span className="field-label">Script</span>
            <select value={f.scriptId} onChange={(e) => set({ scriptId: e.target.value, params: {} })}>
              <option value="">{query.isPending ? 'Loading scripts…' : 'Choose a script…'}</option>
              {f.scriptId && !scripts.some((s) => s.id === f.scriptId) && !query.isPending && <option value={f.scriptId}>A script you cannot see ({f.scriptId})</option>}
              {scripts.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
          {params.map((p) => (
            <ParamInput key={p.name} p={p} value={paramValue(p, f.params)} onChange={(v) => set({ params: { ...f.params, [p.name]: v } })} />
          ))}
          {script && params.length === 0 && hidden.length === 0 && <p className="hint">This script takes no parameters.</p>}
          {hidden.length > 0 && (
            <p className="hint">
              Secret parameters cannot be set here ({hidden.map((p) => p.name).join(', ')}): the script runs without them.
            </p>
          )}
        </>
      ) : (
        <>
          <label className="field">
            <span className="field-label">Action</span>
            <select value={f.action} onChange={(e) => set({ action: e.target.value, payload: {} })}>
              {TASK_ACTION_IDS.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.label}
                </option>
              ))}
            </select>
          </label>
          {payloadFields(f.action).map((p) => (
            <label key={p.key} className="field">
              <span className="field-label">
                {p.label}
                {p.required ? ' (required)' : ''}
              </span>
              {p.type === 'select' ? (
                <select value={f.payload[p.key] ?? ''} onChange={(e) => set({ payload: { ...f.payload, [p.key]: e.target.value } })}>
                  <option value="">Default</option>
                  {p.options!.map((o) => (
                    <option key={o} value={o}>
                      {o}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  inputMode={p.type === 'int' ? 'numeric' : undefined}
                  value={f.payload[p.key] ?? ''}
                  maxLength={1000}
                  onChange={(e) => set({ payload: { ...f.payload, [p.key]: e.target.value } })}
                />
              )}
            </label>
          ))}
        </>
      )}
    </fieldset>
  )
}
