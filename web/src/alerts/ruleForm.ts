// The rule editor's form state and its mapping to and from the API's rule.
// Each condition kind is one entry of KINDS (its label, its params from and
// to the form, its checks and its one-line description), mirroring the
// server's table in core/app/alerts/conditions.

import type { Unit } from '../admin/UnitPicker'
import { ACTIONS } from '../api/actions'
import type {
  AlertRule,
  AssetGoneParams,
  AssetNewParams,
  AlertRuleRequest,
  AlertTemplate,
  CommandFailedParams,
  DeviceOfflineParams,
  InventoryFactParams,
  MetricThresholdParams,
  PluginFailedParams,
  RuleKind,
  RuleParams,
  Severity,
} from './types'

export const METRICS = [
  { id: 'cpu', label: 'CPU (%)' },
  { id: 'memory', label: 'Memory (%)' },
  { id: 'disk', label: 'Disk (%)' },
  { id: 'load1', label: 'Load (1 min)' },
  { id: 'load5', label: 'Load (5 min)' },
  { id: 'load15', label: 'Load (15 min)' },
  { id: 'net_rx', label: 'Network received (bytes/s)' },
  { id: 'net_tx', label: 'Network sent (bytes/s)' },
  { id: 'plugin', label: 'A collector plugin’s metric' },
] as const

export const COMPARATORS = ['>', '>=', '<', '<='] as const

export const FACT_SOURCES = [
  { id: 'fact', label: 'A collector plugin’s fact' },
  { id: 'inventory', label: 'An inventory field' },
  { id: 'software', label: 'Installed software' },
] as const

export const FACT_OPS = ['>', '>=', '<', '<=', '==', '!=', 'contains', '!contains'] as const
export const SOFTWARE_OPS = [
  { id: 'installed', label: 'is installed' },
  { id: 'missing', label: 'is missing' },
] as const
export const INVENTORY_FIELDS = ['os.name', 'os.platform', 'os.version', 'os.kernelVersion', 'cpu.model', 'cpu.cores', 'memoryTotal', 'software.count'] as const

/** The actions a command_failed rule may watch (the dashboard's action table). */
export const COMMAND_ACTIONS = Object.entries(ACTIONS).map(([id, a]) => ({ id, label: a.label }))

const PLUGIN_ID = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export interface RuleForm {
  name: string
  description: string
  enabled: boolean
  severity: Severity
  kind: RuleKind
  // metric_threshold
  metric: string
  mount: string
  iface: string
  plugin: string
  pluginMetric: string
  comparator: MetricThresholdParams['comparator']
  threshold: string
  durationSeconds: string
  clearThreshold: string
  // device_offline
  offlineMinutes: string
  // inventory_fact
  factSource: InventoryFactParams['source']
  factPlugin: string
  factKey: string
  factName: string
  factOp: string
  factValue: string
  // command_failed
  cmdAction: string
  cmdScriptId: string
  autoResolveMinutes: string
  // plugin_failed
  pluginId: string
  // asset_new, asset_gone (and autoResolveMinutes)
  assetIncludeBack: boolean
  assetTrackedOnly: boolean
  renotifyMinutes: string
  unit: Unit
  groupId: string
}

const num = (s: string) => (s.trim() === '' ? NaN : Number(s))
const str = (v: unknown) => (v === undefined || v === null ? '' : String(v))
const isInt = (s: string, lo: number, hi: number) => {
  const n = num(s)
  return Number.isInteger(n) && n >= lo && n <= hi
}

interface KindSpec {
  id: RuleKind
  label: string
  /** The params of the form (already valid). */
  params: (f: RuleForm) => RuleParams
  /** Fills the form from stored params. */
  read: (f: RuleForm, p: Record<string, unknown>) => void
  /** Adds field errors the server would answer with 400. */
  check: (f: RuleForm, e: Record<string, string>) => void
  describe: (p: Record<string, unknown>) => string
}

const seconds = (s: number) => (s >= 60 && s % 60 === 0 ? `${s / 60} min` : `${s} s`)

export const KINDS: KindSpec[] = [
  {
    id: 'metric_threshold',
    label: 'Metric threshold',
    params: (f): MetricThresholdParams => ({
      metric: f.metric,
      comparator: f.comparator,
      threshold: num(f.threshold),
      durationSeconds: num(f.durationSeconds),
      ...(f.metric === 'disk' && f.mount.trim() ? { mount: f.mount.trim() } : {}),
      ...((f.metric === 'net_rx' || f.metric === 'net_tx') && f.iface.trim() ? { interface: f.iface.trim() } : {}),
      ...(f.metric === 'plugin' ? { plugin: f.plugin.trim(), pluginMetric: f.pluginMetric.trim() } : {}),
      ...(f.clearThreshold.trim() !== '' ? { clearThreshold: num(f.clearThreshold) } : {}),
    }),
    read: (f, p) => {
      f.metric = str(p.metric) || 'cpu'
      f.mount = str(p.mount)
      f.iface = str(p.interface)
      f.plugin = str(p.plugin)
      f.pluginMetric = str(p.pluginMetric)
      f.comparator = (str(p.comparator) || '>') as RuleForm['comparator']
      f.threshold = str(p.threshold)
      f.durationSeconds = str(p.durationSeconds)
      f.clearThreshold = str(p.clearThreshold)
    },
    check: (f, e) => {
      if (!Number.isFinite(num(f.threshold))) e.threshold = 'A number.'
      if (!isInt(f.durationSeconds, 1, 86400)) e.durationSeconds = 'Whole seconds, 1 to 86400.'
      if (f.clearThreshold.trim() !== '') {
        const c = num(f.clearThreshold)
        const above = f.comparator.startsWith('>')
        if (!Number.isFinite(c)) e.clearThreshold = 'A number, or empty.'
        else if (Number.isFinite(num(f.threshold)) && (above ? c > num(f.threshold) : c < num(f.threshold)))
          e.clearThreshold = above ? 'At or below the threshold.' : 'At or above the threshold.'
      }
      if (f.metric === 'plugin') {
        if (!PLUGIN_ID.test(f.plugin.trim())) e.plugin = 'A plugin id, like breeze.failedunits.'
        if (!f.pluginMetric.trim()) e.pluginMetric = 'The metric’s name.'
      }
    },
    describe: (p) => {
      const m = p as unknown as MetricThresholdParams
      const what = m.metric === 'plugin' ? `${m.plugin} ${m.pluginMetric}` : m.metric + (m.mount ? ` ${m.mount}` : m.interface ? ` ${m.interface}` : '')
      const clear = m.clearThreshold !== undefined ? `, clears at ${m.clearThreshold}` : ''
      return `${what} ${m.comparator} ${m.threshold} for ${seconds(m.durationSeconds)}${clear}`
    },
  },
  {
    id: 'device_offline',
    label: 'Device offline',
    params: (f): DeviceOfflineParams => ({ minutes: num(f.offlineMinutes) }),
    read: (f, p) => {
      f.offlineMinutes = str(p.minutes)
    },
    check: (f, e) => {
      if (!isInt(f.offlineMinutes, 1, 43200)) e.offlineMinutes = 'Whole minutes, 1 to 43200.'
    },
    describe: (p) => `Offline for ${str(p.minutes)} min`,
  },
  {
    id: 'inventory_fact',
    label: 'Inventory fact',
    params: (f): InventoryFactParams =>
      f.factSource === 'software'
        ? { source: 'software', name: f.factName.trim(), op: f.factOp }
        : {
            source: f.factSource,
            ...(f.factSource === 'fact' ? { plugin: f.factPlugin.trim() } : {}),
            key: f.factKey.trim(),
            op: f.factOp,
            value: f.factValue.trim(),
          },
    read: (f, p) => {
      f.factSource = (str(p.source) || 'fact') as RuleForm['factSource']
      f.factPlugin = str(p.plugin)
      f.factKey = str(p.key)
      f.factName = str(p.name)
      f.factOp = str(p.op) || '=='
      f.factValue = str(p.value)
    },
    check: (f, e) => {
      if (f.factSource === 'software') {
        if (!f.factName.trim()) e.factName = 'The package name.'
        if (f.factOp !== 'installed' && f.factOp !== 'missing') e.factOp = 'Installed or missing.'
        return
      }
      if (f.factSource === 'fact' && !PLUGIN_ID.test(f.factPlugin.trim())) e.factPlugin = 'A plugin id, like breeze.failedunits.'
      if (!f.factKey.trim()) e.factKey = f.factSource === 'fact' ? 'The fact’s key.' : 'Choose the field.'
      if (!(FACT_OPS as readonly string[]).includes(f.factOp)) e.factOp = 'Choose a comparison.'
      else if (/^[<>]/.test(f.factOp) && !Number.isFinite(num(f.factValue))) e.factValue = 'A number, for this comparison.'
    },
    describe: (p) => {
      const x = p as unknown as InventoryFactParams
      if (x.source === 'software') return `Software ${x.name} ${x.op === 'installed' ? 'is installed' : 'is missing'}`
      return `${x.source === 'fact' ? `${x.plugin} ` : ''}${x.key} ${x.op} ${x.value ?? ''}`.trim()
    },
  },
  {
    id: 'command_failed',
    label: 'Command or script failed',
    params: (f): CommandFailedParams => ({
      ...(f.cmdAction ? { action: f.cmdAction } : {}),
      ...(f.cmdScriptId.trim() ? { scriptId: f.cmdScriptId.trim() } : {}),
      ...(num(f.autoResolveMinutes || '0') > 0 ? { autoResolveMinutes: num(f.autoResolveMinutes) } : {}),
    }),
    read: (f, p) => {
      f.cmdAction = str(p.action)
      f.cmdScriptId = str(p.scriptId)
      f.autoResolveMinutes = str(p.autoResolveMinutes ?? 0)
    },
    check: (f, e) => {
      if (f.cmdScriptId.trim() && !UUID.test(f.cmdScriptId.trim())) e.cmdScriptId = 'A script id, or empty.'
      if (!isInt(f.autoResolveMinutes || '0', 0, 43200)) e.autoResolveMinutes = 'Whole minutes, 0 to 43200.'
    },
    describe: (p) => {
      const x = p as unknown as CommandFailedParams
      const what = x.scriptId ? `Script ${x.scriptId.slice(0, 8)}…` : x.action ? (ACTIONS as Record<string, { label: string }>)[x.action]?.label ?? x.action : 'Any command'
      return `${what} failed${x.autoResolveMinutes ? `, resolves after ${x.autoResolveMinutes} min` : ''}`
    },
  },
  {
    id: 'plugin_failed',
    label: 'Agent plugin failed',
    params: (f): PluginFailedParams => (f.pluginId.trim() ? { pluginId: f.pluginId.trim() } : {}),
    read: (f, p) => {
      f.pluginId = str(p.pluginId)
    },
    check: (f, e) => {
      if (f.pluginId.trim() && !PLUGIN_ID.test(f.pluginId.trim())) e.pluginId = 'A plugin id, or empty for any plugin.'
    },
    describe: (p) => `Plugin ${str(p.pluginId) || 'any'} failed`,
  },
  {
    id: 'asset_new',
    label: 'New host on the network',
    params: (f): AssetNewParams => ({
      ...(f.assetIncludeBack ? { includeBack: true } : {}),
      ...(num(f.autoResolveMinutes || '0') > 0 ? { autoResolveMinutes: num(f.autoResolveMinutes) } : {}),
    }),
    read: (f, p) => {
      f.assetIncludeBack = p.includeBack === true
      f.autoResolveMinutes = str(p.autoResolveMinutes ?? 0)
    },
    check: (f, e) => {
      if (!isInt(f.autoResolveMinutes || '0', 0, 43200)) e.autoResolveMinutes = 'Whole minutes, 0 to 43200.'
    },
    describe: (p) => {
      const x = p as AssetNewParams
      return `A scan finds a new host${x.includeBack ? ' (or one back)' : ''}${x.autoResolveMinutes ? `, resolves after ${x.autoResolveMinutes} min` : ''}`
    },
  },
  {
    id: 'asset_gone',
    label: 'Host gone from the network',
    params: (f): AssetGoneParams => ({
      ...(f.assetTrackedOnly ? { trackedOnly: true } : {}),
      ...(num(f.autoResolveMinutes || '0') > 0 ? { autoResolveMinutes: num(f.autoResolveMinutes) } : {}),
    }),
    read: (f, p) => {
      f.assetTrackedOnly = p.trackedOnly === true
      f.autoResolveMinutes = str(p.autoResolveMinutes ?? 0)
    },
    check: (f, e) => {
      if (!isInt(f.autoResolveMinutes || '0', 0, 43200)) e.autoResolveMinutes = 'Whole minutes, 0 to 43200.'
    },
    describe: (p) => {
      const x = p as AssetGoneParams
      return `A complete scan misses a ${x.trackedOnly ? 'tracked ' : ''}host${x.autoResolveMinutes ? `, resolves after ${x.autoResolveMinutes} min` : ''}`
    },
  },
]

export const kindSpec = (k: string): KindSpec | undefined => KINDS.find((x) => x.id === k)

export function emptyForm(unit: Unit): RuleForm {
  return {
    name: '', description: '', enabled: true, severity: 'warning', kind: 'metric_threshold', metric: 'cpu', mount: '', iface: '',
    plugin: '', pluginMetric: '', comparator: '>', threshold: '90', durationSeconds: '600', clearThreshold: '', offlineMinutes: '10',
    factSource: 'fact', factPlugin: '', factKey: '', factName: '', factOp: '==', factValue: '', cmdAction: '', cmdScriptId: '',
    autoResolveMinutes: '0', pluginId: '', assetIncludeBack: false, assetTrackedOnly: false, renotifyMinutes: '0', unit, groupId: '',
  }
}

/** A template's rule as a form over unit (the caller's choice of scope kept). */
export function formOfTemplate(t: AlertTemplate, unit: Unit): RuleForm {
  const f = emptyForm(unit)
  f.name = t.name
  f.description = t.description
  f.severity = t.severity
  const spec = kindSpec(t.kind)
  if (spec) {
    f.kind = spec.id
    spec.read(f, t.params)
  }
  return f
}

export function formOf(r: AlertRule): RuleForm {
  const f = emptyForm({ level: 'partner', partnerId: r.partnerId, orgId: r.orgId ?? '', siteId: '' })
  f.name = r.name
  f.description = r.description
  f.enabled = r.enabled
  f.severity = r.severity
  const spec = kindSpec(r.kind) ?? KINDS[0]!
  f.kind = spec.id
  spec.read(f, r.params as Record<string, unknown>)
  f.renotifyMinutes = String(Math.round(r.renotifySeconds / 60))
  const first = r.scopeIds[0] ?? ''
  if (r.scopeKind === 'org') f.unit = { ...f.unit, level: 'org', orgId: first }
  if (r.scopeKind === 'site') f.unit = { ...f.unit, level: 'site', siteId: first }
  if (r.scopeKind === 'group') {
    f.unit = { ...f.unit, level: 'org' }
    f.groupId = first
  }
  return f
}

/** Field errors the server would answer with 400, caught before sending. */
export function validate(f: RuleForm): Record<string, string> {
  const e: Record<string, string> = {}
  if (!f.name.trim()) e.name = 'A rule needs a name.'
  kindSpec(f.kind)?.check(f, e)
  if (!isInt(f.renotifyMinutes || '0', 0, 43200)) e.renotifyMinutes = 'Whole minutes, 0 to 43200.'
  if (f.unit.level === 'org' && !f.unit.orgId) e.scope = 'Choose the organization.'
  if (f.unit.level === 'site' && !f.unit.siteId) e.scope = 'Choose the site.'
  return e
}

/** The request body; owner fields only on create (a rule's owner never changes). */
export function requestOf(f: RuleForm, existing?: AlertRule, myPartnerId = ''): AlertRuleRequest {
  const params = (kindSpec(f.kind) ?? KINDS[0]!).params(f)
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

/** The body of POST /alert-rules/preview: the rule as it would be created (an existing rule keeps its owner). */
export function previewOf(f: RuleForm, existing?: AlertRule, myPartnerId = ''): AlertRuleRequest {
  const body = requestOf(f, undefined, myPartnerId)
  if (!existing) return body
  const { partnerId: _p, orgId: _o, ...rest } = body
  return {
    ...rest,
    excludeDeviceIds: existing.excludeDeviceIds,
    ...(existing.orgId ? { orgId: existing.orgId } : { partnerId: existing.partnerId }),
  }
}

export function describeRule(r: AlertRule): string {
  const spec = kindSpec(r.kind)
  return spec ? spec.describe(r.params as Record<string, unknown>) : r.kind
}
