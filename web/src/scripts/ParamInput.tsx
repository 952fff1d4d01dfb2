// A script's parameter values, as the run dialog, a schedule and a rule's
// remediation ask for them: an input of the parameter's type, a password
// field for secrets (the server seals them and redacts them in answers).

import type { ScriptParam } from '../api/types'

/** The value shown for p: the one entered, else its default. */
export function paramValue(p: ScriptParam, values: Record<string, string>): string {
  return values[p.name] ?? p.default ?? (p.type === 'boolean' ? 'false' : '')
}

/** The first problem of the values, or null (the server checks again). */
export function paramValuesProblem(params: ScriptParam[], values: Record<string, string>): string | null {
  for (const p of params) {
    const v = paramValue(p, values)
    if (p.required && p.type !== 'boolean' && v === '') return `${p.name} is required.`
    if (p.type === 'number' && v !== '' && !Number.isFinite(Number(v))) return `${p.name} must be a number.`
  }
  return null
}

/** The params a run sends: every declared one with a value (booleans always). */
export function paramsToSend(params: ScriptParam[], values: Record<string, string>): Record<string, string> {
  const sent: Record<string, string> = {}
  for (const p of params) {
    const v = paramValue(p, values)
    if (v !== '' || p.type === 'boolean') sent[p.name] = v
  }
  return sent
}

export function ParamInput({ p, value, onChange }: { p: ScriptParam; value: string; onChange: (v: string) => void }) {
  const label = (
    <span className="field-label">
      {p.name}
      {p.required ? ' (required)' : ''}
    </span>
  )
  if (p.type === 'boolean')
    return (
      <label className="check">
        <input type="checkbox" checked={value === 'true'} onChange={(e) => onChange(e.target.checked ? 'true' : 'false')} />
        {p.name}
        {p.description && <span className="hint"> — {p.description}</span>}
      </label>
    )
  return (
    <label className="field">
      {label}
      <input
        type={p.type === 'secret' ? 'password' : p.type === 'number' ? 'number' : 'text'}
        autoComplete={p.type === 'secret' ? 'new-password' : 'off'}
        value={value}
        required={p.required}
        onChange={(e) => onChange(e.target.value)}
        step={p.type === 'number' ? 'any' : undefined}
      />
      {p.description && <span className="hint">{p.description}</span>}
    </label>
  )
}
