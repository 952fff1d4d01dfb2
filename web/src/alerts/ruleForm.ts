// The rule editor's form state and its mapping to and from the API's rule.

import type { Unit } from '../admin/UnitPicker'
import type { AlertRule, AlertRuleRequest, DeviceOfflineParams, MetricThresholdParams, RuleKind, Severity } from './types'

export const METRICS = [
  { id: 'cpu', label: 'CPU (%)' },
  { id: 'memory', label: 'Memory (%)' },
  { id: 'disk', label: 'Disk (%)' },
  { id: 'load1', label: 'Load (1 min)' },
  { id: 'load5', label: 'Load (5 min)' },
  { id: 'load15', label: 'Load (15 min)' },
] as const

export const COMPARATORS = ['>', '>=', '<', '<='] as const

export interface RuleForm {
  name: string
  description: string
  enabled: boolean
  severity: Severity
  kind: RuleKind
  metric: string
  mount: string
  comparator: MetricThresholdParams['comparator']
  threshold: string
  durationSeconds: string
  clearThreshold: string
  offlineMinutes: string
  renotifyMinutes: string
  unit: Unit
  groupId: string
}

/** Starting points (the issue's seeded defaults). */
export const TEMPLATES: { id: string; label: string; form: Partial<RuleForm> }[] = [
  { id: 'offline', label: 'Device offline for 10 minutes', form: { name: 'Device offline', kind: 'device_offline', severity: 'critical', offlineMinutes: '10' } },
  { id: 'cpu', label: 'CPU above 90 % for 15 minutes', form: { name: 'High CPU', kind: 'metric_threshold', severity: 'warning', metric: 'cpu', comparator: '>', threshold: '90', durationSeconds: '900', clearThreshold: '80' } },
  { id: 'memory', label: 'Memory above 95 % for 10 minutes', form: { name: 'High memory', kind: 'metric_threshold', severity: 'warning', metric: 'memory', comparator: '>', threshold: '95', durationSeconds: '600', clearThreshold: '90' } },
  { id: 'disk', label: 'Any disk above 90 %', form: { name: 'Disk almost full', kind: 'metric_threshold', severity: 'critical', metric: 'disk', comparator: '>', threshold: '90', durationSeconds: '300', clearThreshold: '85' } },
]

export function emptyForm(unit: Unit): RuleForm {
  return {
    name: '', description: '', enabled: true, severity: 'warning', kind: 'metric_threshold', metric: 'cpu', mount: '',
    comparator: '>', threshold: '90', durationSeconds: '600', clearThreshold: '', offlineMinutes: '10', renotifyMinutes: '0',
    unit, groupId: '',
  }
}

export function formOf(r: AlertRule): RuleForm {
  const f = emptyForm({ level: 'partner', partnerId: r.partnerId, orgId: r.orgId ?? '', siteId: '' })
  f.name = r.name
  f.description = r.description
  f.enabled = r.enabled
  f.severity = r.severity
  f.kind = r.kind === 'device_offline' ? 'device_offline' : 'metric_threshold'
  f.renotifyMinutes = String(Math.round(r.renotifySeconds / 60))
  if (r.kind === 'device_offline') {
    f.offlineMinutes = String((r.params as DeviceOfflineParams).minutes ?? '')
  } else {
    const p = r.params as MetricThresholdParams
    f.metric = p.metric ?? 'cpu'
    f.mount = p.mount ?? ''
    f.comparator = p.comparator ?? '>'
    f.threshold = String(p.threshold ?? '')
    f.durationSeconds = String(p.durationSeconds ?? '')
    f.clearThreshold = p.clearThreshold === undefined ? '' : String(p.clearThreshold)
  }
  const first = r.scopeIds[0] ?? ''
  if (r.scopeKind === 'org') f.unit = { ...f.unit, level: 'org', orgId: first }
  if (r.scopeKind === 'site') f.unit = { ...f.unit, level: 'site', siteId: first }
  if (r.scopeKind === 'group') {
    f.unit = { ...f.unit, level: 'org' }
    f.groupId = first
  }
  return f
}

const num = (s: string) => (s.trim() === '' ? NaN : Number(s))

/** Field errors the server would answer with 400, caught before sending. */
export function validate(f: RuleForm): Record<string, string> {
  const e: Record<string, string> = {}
  if (!f.name.trim()) e.name = 'A rule needs a name.'
  if (f.kind === 'metric_threshold') {
    if (!Number.isFinite(num(f.threshold))) e.threshold = 'A number.'
    const d = num(f.durationSeconds)
    if (!Number.isInteger(d) || d < 1 || d > 86400) e.durationSeconds = 'Whole seconds, 1 to 86400.'
    if (f.clearThreshold.trim() !== '') {
      const c = num(f.clearThreshold)
      const above = f.comparator.startsWith('>')
      if (!Number.isFinite(c)) e.clearThreshold = 'A number, or empty.'
      else if (Number.isFinite(num(f.threshold)) && (above ? c > num(f.threshold) : c < num(f.threshold)))
        e.clearThreshold = above ? 'At or below the threshold.' : 'At or above the threshold.'
    }
  } else {
    const m = num(f.offlineMinutes)
    if (!Number.isInteger(m) || m < 1 || m > 43200) e.offlineMinutes = 'Whole minutes, 1 to 43200.'
  }
  const r = num(f.renotifyMinutes || '0')
  if (!Number.isInteger(r) || r < 0 || r > 43200) e.renotifyMinutes = 'Whole minutes, 0 to 43200.'
  if (f.unit.level === 'org' && !f.unit.orgId) e.scope = 'Choose the organization.'
  if (f.unit.level === 'site' && !f.unit.siteId) e.scope = 'Choose the site.'
  return e
}

/** The request body; owner fields only on create (a rule's owner never changes). */
export function requestOf(f: RuleForm, existing?: AlertRule, myPartnerId = ''): AlertRuleRequest {
  const params: MetricThresholdParams | DeviceOfflineParams =
    f.kind === 'device_offline'
      ? { minutes: num(f.offlineMinutes) }
      : {
          metric: f.metric,
          comparator: f.comparator,
          threshold: num(f.threshold),
          durationSeconds: num(f.durationSeconds),
          ...(f.metric === 'disk' && f.mount.trim() ? { mount: f.mount.trim() } : {}),
          ...(f.clearThreshold.trim() !== '' ? { clearThreshold: num(f.clearThreshold) } : {}),
        }
  const u = f.unit
  const scope =
    u.level === 'partner'
      ? { scopeKind: 'partner' as const }
      : f.groupId
        ? { scopeKind: 'group' as const, scopeIds: [f.groupId] }
        : u.level === 'org'
          ? { scopeKind: 'org' as const, scopeIds: [u.orgId] }
          : { scopeKind: 'site' as const, scopeIds: [u.siteId] }
  const body: AlertRuleRequest = {
    name: f.name.trim(),
    description: f.description.trim(),
    enabled: f.enabled,
    severity: f.severity,
    kind: f.kind,
    params,
    ...scope,
    excludeDeviceIds: existing?.excludeDeviceIds ?? [],
    renotifySeconds: num(f.renotifyMinutes || '0') * 60,
  }
  if (existing) return { ...body, version: existing.version }
  // An org's rule when it watches one org, a site or a group; else partner-wide.
  return u.level === 'partner' ? { ...body, partnerId: u.partnerId || myPartnerId } : { ...body, orgId: u.orgId }
}

export function describeRule(r: AlertRule): string {
  if (r.kind === 'device_offline') return `Offline for ${(r.params as DeviceOfflineParams).minutes} min`
  if (r.kind === 'metric_threshold') {
    const p = r.params as MetricThresholdParams
    const what = p.metric + (p.mount ? ` ${p.mount}` : '')
    const d = p.durationSeconds >= 60 && p.durationSeconds % 60 === 0 ? `${p.durationSeconds / 60} min` : `${p.durationSeconds} s`
    return `${what} ${p.comparator} ${p.threshold} for ${d}${p.clearThreshold !== undefined ? `, clears at ${p.clearThreshold}` : ''}`
  }
  return r.kind
}
