// A plugin's settings form, as data: which fields its settingsSchema asks
// for, the form's starting values, and the settings object to send back.
// Secrets are never put in the form: the server answers "********" for a
// stored one, and the same mask sent back keeps it (notes/plugins.md).

import type { SettingProperty, SettingsSchema, SettingValue } from '../api/types'

export const SECRET_MASK = '********'

export interface Field {
  key: string
  prop: SettingProperty
  required: boolean
}

/** The schema's fields: required ones first, then the rest by name. */
export function fieldsOf(schema: SettingsSchema | null | undefined): Field[] {
  const props = schema?.properties ?? {}
  const required = new Set((schema?.required ?? []).filter((k) => k in props))
  return Object.keys(props)
    .filter((k) => props[k])
    .sort((a, b) => Number(required.has(b)) - Number(required.has(a)) || a.localeCompare(b))
    .map((key) => ({ key, prop: props[key]!, required: required.has(key) }))
}

export function fieldLabel(f: Field): string {
  return f.prop.title?.trim() || f.key
}

/** Form values: text as typed (numbers too), checkboxes as booleans, secrets empty. */
export type Draft = Record<string, string | boolean>

export function hasStoredSecret(stored: Record<string, SettingValue> | undefined, key: string): boolean {
  const v = stored?.[key]
  return v !== undefined && v !== null && v !== ''
}

export function initialDraft(fields: Field[], stored: Record<string, SettingValue> = {}): Draft {
  const d: Draft = {}
  for (const { key, prop } of fields) {
    const v = stored[key]
    if (prop.secret) d[key] = '' // never the stored value, whatever the server sent
    else if (prop.type === 'boolean' && !prop.enum?.length) d[key] = typeof v === 'boolean' ? v : prop.default === true
    else d[key] = v === undefined || v === null ? '' : String(v)
  }
  return d
}

export interface Built {
  settings: Record<string, SettingValue>
  errors: Record<string, string>
}

function checkString(prop: SettingProperty, s: string): string | null {
  const n = [...s].length
  if (prop.minLength !== undefined && n < prop.minLength) return `At least ${prop.minLength} characters.`
  if (prop.maxLength !== undefined && n > prop.maxLength) return `At most ${prop.maxLength} characters.`
  if (prop.format === 'uri') {
    let u: URL | null = null
    try {
      u = new URL(s)
    } catch {
      // not a URL
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || !u.host) return 'Enter an absolute http(s) URL.'
  }
  if (prop.pattern) {
    let re: RegExp | null = null
    try {
      re = new RegExp(prop.pattern, 'u')
    } catch {
      // a Go pattern JavaScript cannot read: the server checks it
    }
    if (re && !re.test(s)) return `Must match ${prop.pattern}.`
  }
  return null
}

function checkNumber(prop: SettingProperty, raw: string): { value?: number; error?: string } {
  const value = Number(raw.trim())
  if (raw.trim() === '' || !Number.isFinite(value)) return { error: 'Enter a number.' }
  if (prop.type === 'integer' && !Number.isInteger(value)) return { error: 'Enter a whole number.' }
  if (prop.minimum !== undefined && value < prop.minimum) return { error: `At least ${prop.minimum}.` }
  if (prop.maximum !== undefined && value > prop.maximum) return { error: `At most ${prop.maximum}.` }
  return { value }
}

/**
 * The settings to PUT and the problems to show. An untouched secret with a
 * stored value is sent as the mask (kept); cleared lists secrets to drop.
 * Empty optional fields are left out so the plugin's defaults apply.
 */
export function buildSettings(
  fields: Field[],
  draft: Draft,
  stored: Record<string, SettingValue> = {},
  cleared: ReadonlySet<string> = new Set(),
): Built {
  const settings: Record<string, SettingValue> = {}
  const errors: Record<string, string> = {}
  for (const { key, prop, required } of fields) {
    const v = draft[key]
    if (prop.enum?.length) {
      const hit = prop.enum.find((e) => String(e) === String(v ?? ''))
      if (v === '' || v === undefined || hit === undefined) {
        if (required) errors[key] = 'Choose a value.'
      } else settings[key] = hit
      continue
    }
    if (prop.type === 'boolean') {
      settings[key] = v === true
      continue
    }
    const text = typeof v === 'string' ? v : ''
    if (prop.secret && text === '') {
      if (hasStoredSecret(stored, key) && !cleared.has(key)) settings[key] = SECRET_MASK
      else if (required) errors[key] = 'Required.'
      continue
    }
    if (text.trim() === '') {
      if (required) errors[key] = 'Required.'
      continue
    }
    if (prop.type === 'integer' || prop.type === 'number') {
      const n = checkNumber(prop, text)
      if (n.error) errors[key] = n.error
      else settings[key] = n.value!
      continue
    }
    const problem = checkString(prop, prop.secret ? text : text.trim())
    if (problem) errors[key] = problem
    else settings[key] = prop.secret ? text : text.trim()
  }
  return { settings, errors }
}
