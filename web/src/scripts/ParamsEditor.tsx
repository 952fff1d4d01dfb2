import type { ParamType, ScriptParam } from '../api/types'

export const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/
const TYPES: ParamType[] = ['string', 'number', 'boolean', 'secret']

export function blankParam(): ScriptParam {
  return { name: '', type: 'string', description: '', required: false, default: '', passAs: 'env' }
}

/** Problems of a parameter list, for the form (the server checks again). */
export function paramsProblem(params: ScriptParam[]): string | null {
  const seen = new Set<string>()
  for (const p of params) {
    if (!PARAM_NAME.test(p.name)) return `Parameter name "${p.name}" must be letters, digits or _ (not starting with a digit).`
    const key = p.name.toUpperCase()
    if (seen.has(key)) return `Parameter ${p.name} is declared twice.`
    seen.add(key)
    if (p.type === 'secret' && p.default) return `Secret parameter ${p.name} cannot have a default.`
    if (p.type === 'secret' && p.passAs === 'arg')
      return `Secret parameter ${p.name} must be passed in the environment: arguments are visible to every user of the device.`
    if (p.type === 'number' && p.default && !Number.isFinite(Number(p.default))) return `The default of ${p.name} is not a number.`
  }
  return null
}

export function ParamsEditor({
  params,
  onChange,
  readOnly,
}: {
  params: ScriptParam[]
  onChange: (p: ScriptParam[]) => void
  readOnly?: boolean
}) {
  const set = (i: number, patch: Partial<ScriptParam>) => onChange(params.map((p, j) => (j === i ? { ...p, ...patch } : p)))
  return (
    <fieldset className="fieldset" disabled={readOnly}>
      <legend>Parameters</legend>
      {params.length === 0 && <p className="hint">No parameters. Each one reaches the script as BREEZE_PARAM_NAME or as an argument.</p>}
      {params.map((p, i) => (
        <div key={i} className="param-row" role="group" aria-label={`Parameter ${i + 1}`}>
          <label className="field">
            <span className="field-label">Name</span>
            <input className="mono" value={p.name} onChange={(e) => set(i, { name: e.target.value })} maxLength={64} aria-invalid={!!p.name && !PARAM_NAME.test(p.name)} />
          </label>
          <label className="field">
            <span className="field-label">Type</span>
            <select value={p.type} onChange={(e) => set(i, { type: e.target.value as ParamType, ...(e.target.value === 'secret' ? { default: '', passAs: 'env' } : {}) })}>
              {TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">Passed as</span>
            <select value={p.passAs || 'env'} onChange={(e) => set(i, { passAs: e.target.value as 'env' | 'arg' })}>
              <option value="env">environment (BREEZE_PARAM_{p.name.toUpperCase() || 'NAME'})</option>
              <option value="arg" disabled={p.type === 'secret'}>
                argument{p.type === 'secret' ? ' (not for secrets)' : ''}
              </option>
            </select>
          </label>
          <label className="field">
            <span className="field-label">Default</span>
            {p.type === 'boolean' ? (
              <select value={p.default} onChange={(e) => set(i, { default: e.target.value })}>
                <option value="">none</option>
                <option value="true">true</option>
                <option value="false">false</option>
              </select>
            ) : (
              <input
                value={p.default}
                disabled={p.type === 'secret'}
                type={p.type === 'number' ? 'number' : 'text'}
                onChange={(e) => set(i, { default: e.target.value })}
              />
            )}
          </label>
          <label className="field param-desc">
            <span className="field-label">Description</span>
            <input value={p.description} onChange={(e) => set(i, { description: e.target.value })} maxLength={500} />
          </label>
          <label className="check">
            <input type="checkbox" checked={p.required} onChange={(e) => set(i, { required: e.target.checked })} />
            Required
          </label>
          {!readOnly && (
            <button type="button" className="btn btn-small" onClick={() => onChange(params.filter((_, j) => j !== i))} aria-label={`Remove parameter ${p.name || i + 1}`}>
              Remove
            </button>
          )}
        </div>
      ))}
      {!readOnly && (
        <button type="button" className="btn btn-small" onClick={() => onChange([...params, blankParam()])}>
          Add parameter
        </button>
      )}
    </fieldset>
  )
}
