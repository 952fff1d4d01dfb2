// The fields of a plugin's settingsSchema as form controls. Every string
// from the schema (titles, descriptions, enum values) is plugin-supplied and
// rendered as text. Secret fields are password inputs that start empty and
// show a mask placeholder when a value is stored; leaving one empty keeps it.

import { useCallback, useId, useMemo, useState } from 'react'
import type { SettingsSchema, SettingValue } from '../api/types'
import { buildSettings, fieldLabel, fieldsOf, hasStoredSecret, initialDraft, SECRET_MASK, type Built, type Draft, type Field } from './settings'

export interface SettingsDraft {
  fields: Field[]
  draft: Draft
  stored: Record<string, SettingValue>
  cleared: ReadonlySet<string>
  touched: boolean
  set: (key: string, v: string | boolean) => void
  clear: (key: string, on: boolean) => void
  build: () => Built
  reset: (stored: Record<string, SettingValue>) => void
}

export function useSettingsDraft(schema: SettingsSchema | null | undefined, initial: Record<string, SettingValue> = {}): SettingsDraft {
  const fields = useMemo(() => fieldsOf(schema), [schema])
  const [stored, setStored] = useState(initial)
  const [draft, setDraft] = useState(() => initialDraft(fields, initial))
  const [cleared, setCleared] = useState<ReadonlySet<string>>(new Set())
  const [touched, setTouched] = useState(false)
  const set = useCallback((key: string, v: string | boolean) => {
    setDraft((d) => ({ ...d, [key]: v }))
    setTouched(true)
  }, [])
  const clear = useCallback((key: string, on: boolean) => {
    setCleared((c) => {
      const n = new Set(c)
      if (on) n.add(key)
      else n.delete(key)
      return n
    })
    setTouched(true)
  }, [])
  const reset = useCallback(
    (s: Record<string, SettingValue>) => {
      setStored(s)
      setDraft(initialDraft(fields, s))
      setCleared(new Set())
      setTouched(false)
    },
    [fields],
  )
  const build = useCallback(() => buildSettings(fields, draft, stored, cleared), [fields, draft, stored, cleared])
  return { fields, draft, stored, cleared, touched, set, clear, build, reset }
}

export function SettingsFields({ form, errors, disabled }: { form: SettingsDraft; errors: Record<string, string>; disabled?: boolean }) {
  if (form.fields.length === 0) return <p className="muted">This plugin has no settings.</p>
  return (
    <div className="settings-fields">
      {form.fields.map((f) => (
        <SettingField key={f.key} f={f} form={form} error={errors[f.key]} disabled={disabled} />
      ))}
    </div>
  )
}

function SettingField({ f, form, error, disabled }: { f: Field; form: SettingsDraft; error?: string; disabled?: boolean }) {
  const id = useId()
  const hintId = `${id}-hint`
  const errId = `${id}-err`
  const { prop, key, required } = f
  const value = form.draft[key]
  const described = [prop.description || (prop.secret && hasStoredSecret(form.stored, key)) ? hintId : '', error ? errId : '']
    .filter(Boolean)
    .join(' ') || undefined
  const common = {
    id,
    name: key,
    disabled,
    'aria-describedby': described,
    'aria-invalid': error ? true : undefined,
  } as const
  const label = (
    <span className="field-label">
      {fieldLabel(f)}
      {required && <span className="required-mark"> (required)</span>}
    </span>
  )
  const defaultHint = prop.default !== undefined && prop.default !== null && prop.default !== '' ? String(prop.default) : ''

  let control
  if (prop.enum?.length) {
    control = (
      <select {...common} required={required} value={String(value ?? '')} onChange={(e) => form.set(key, e.target.value)}>
        <option value="">{required ? 'Choose…' : defaultHint ? `Default (${defaultHint})` : 'Not set'}</option>
        {prop.enum.map((e) => (
          <option key={String(e)} value={String(e)}>
            {String(e)}
          </option>
        ))}
      </select>
    )
  } else if (prop.type === 'boolean') {
    return (
      <div className="field">
        <label className="check" htmlFor={id}>
          <input {...common} type="checkbox" checked={value === true} onChange={(e) => form.set(key, e.target.checked)} />
          {fieldLabel(f)}
        </label>
        {prop.description && (
          <p id={hintId} className="hint">
            {prop.description}
          </p>
        )}
        {error && (
          <p id={errId} className="field-error">
            {error}
          </p>
        )}
      </div>
    )
  } else if (prop.secret) {
    const stored = hasStoredSecret(form.stored, key)
    const cleared = form.cleared.has(key)
    control = (
      <div className="secret-input">
        <input
          {...common}
          type="password"
          autoComplete="new-password"
          spellCheck={false}
          required={required && !stored}
          maxLength={prop.maxLength}
          placeholder={stored && !cleared ? SECRET_MASK : ''}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => {
            form.set(key, e.target.value)
            if (cleared && e.target.value) form.clear(key, false)
          }}
        />
        {stored && !required && (
          <button type="button" className="btn btn-small" disabled={disabled} aria-pressed={cleared} onClick={() => form.clear(key, !cleared)}>
            {cleared ? 'Keep stored value' : 'Remove stored value'}
          </button>
        )}
      </div>
    )
  } else if (prop.type === 'integer' || prop.type === 'number') {
    control = (
      <input
        {...common}
        type="number"
        inputMode={prop.type === 'integer' ? 'numeric' : 'decimal'}
        step={prop.type === 'integer' ? 1 : 'any'}
        min={prop.minimum}
        max={prop.maximum}
        required={required}
        placeholder={defaultHint}
        value={typeof value === 'string' ? value : ''}
        onChange={(e) => form.set(key, e.target.value)}
      />
    )
  } else {
    control = (
      <input
        {...common}
        type={prop.format === 'uri' ? 'url' : 'text'}
        required={required}
        minLength={prop.minLength}
        maxLength={prop.maxLength}
        placeholder={defaultHint}
        value={typeof value === 'string' ? value : ''}
        onChange={(e) => form.set(key, e.target.value)}
      />
    )
  }
  const secretNote =
    prop.secret && hasStoredSecret(form.stored, key)
      ? form.cleared.has(key)
        ? 'The stored value will be removed when you save.'
        : 'A value is stored. Leave this empty to keep it; type to replace it.'
      : ''
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {control}
      {(prop.description || secretNote) && (
        <p id={hintId} className="hint">
          {prop.description}
          {prop.description && secretNote ? ' ' : ''}
          {secretNote}
        </p>
      )}
      {error && (
        <p id={errId} className="field-error">
          {error}
        </p>
      )}
    </div>
  )
}
