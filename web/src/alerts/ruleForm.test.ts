import { describe, expect, it } from 'vitest'
import { KINDS, describeRule, emptyForm, formOf, formOfTemplate, previewOf, requestOf, validate } from './ruleForm'
import type { AlertRule, RuleKind } from './types'

const unit = { level: 'org' as const, partnerId: 'p1', orgId: 'org-1', siteId: '' }

const rule = (kind: RuleKind, params: Record<string, unknown>): AlertRule => ({
  id: 'r1', partnerId: 'p1', orgId: 'org-1', name: 'R', description: '', enabled: true, severity: 'warning', kind, params,
  scopeKind: 'org', scopeIds: ['org-1'], excludeDeviceIds: ['d9'], renotifySeconds: 0, version: 2, createdAt: '', updatedAt: '',
})

describe('the rule form', () => {
  it('reads every kind’s params and writes them back unchanged', () => {
    const cases: [RuleKind, Record<string, unknown>][] = [
      ['metric_threshold', { metric: 'net_rx', comparator: '>', threshold: 1e8, durationSeconds: 120, interface: 'eth0' }],
      ['metric_threshold', { metric: 'plugin', comparator: '>=', threshold: 3, durationSeconds: 60, plugin: 'acme.gpu', pluginMetric: 'temp', clearThreshold: 1 }],
      ['device_offline', { minutes: 15 }],
      ['inventory_fact', { source: 'fact', plugin: 'breeze.failedunits', key: 'systemd.failed_count', op: '>', value: '0' }],
      ['inventory_fact', { source: 'inventory', key: 'os.version', op: '==', value: '22.04' }],
      ['inventory_fact', { source: 'software', name: 'telnet', op: 'installed' }],
      ['command_failed', { action: 'run_script', scriptId: '0190e0a0-0000-7000-8000-000000000001', autoResolveMinutes: 60 }],
      ['command_failed', {}],
      ['plugin_failed', { pluginId: 'breeze.failedunits' }],
      ['plugin_failed', {}],
      ['asset_new', {}],
      ['asset_new', { includeBack: true, autoResolveMinutes: 1440 }],
      ['asset_gone', { trackedOnly: true }],
      ['asset_gone', { autoResolveMinutes: 60 }],
    ]
    for (const [kind, params] of cases) {
      const f = formOf(rule(kind, params))
      expect(validate(f)).toEqual({})
      expect(requestOf(f, rule(kind, params)).params).toEqual(params)
    }
  })

  it('catches what the server would refuse', () => {
    const f = { ...emptyForm(unit), name: 'x', kind: 'metric_threshold' as const, metric: 'plugin', plugin: 'Not An Id', pluginMetric: '' }
    expect(validate(f)).toMatchObject({ plugin: expect.any(String), pluginMetric: expect.any(String) })
    const fact = { ...emptyForm(unit), name: 'x', kind: 'inventory_fact' as const, factSource: 'fact' as const, factPlugin: 'p', factKey: 'k', factOp: '>', factValue: 'many' }
    expect(validate(fact)).toEqual({ factValue: 'A number, for this comparison.' })
    const sw = { ...emptyForm(unit), name: 'x', kind: 'inventory_fact' as const, factSource: 'software' as const, factName: '', factOp: '==' }
    expect(Object.keys(validate(sw)).sort()).toEqual(['factName', 'factOp'])
    const cmd = { ...emptyForm(unit), name: 'x', kind: 'command_failed' as const, cmdScriptId: '../etc', autoResolveMinutes: '-5' }
    expect(Object.keys(validate(cmd)).sort()).toEqual(['autoResolveMinutes', 'cmdScriptId'])
    const pl = { ...emptyForm(unit), name: 'x', kind: 'plugin_failed' as const, pluginId: 'A B' }
    expect(Object.keys(validate(pl))).toEqual(['pluginId'])
  })

  it('starts from a template over the chosen scope', () => {
    const f = formOfTemplate({ id: 'failed-units', name: 'Failed systemd units', description: 'd', severity: 'warning', kind: 'inventory_fact',
      params: { source: 'fact', plugin: 'breeze.failedunits', key: 'systemd.failed_count', op: '>', value: '0' } }, unit)
    expect(requestOf(f)).toMatchObject({ name: 'Failed systemd units', kind: 'inventory_fact', severity: 'warning', orgId: 'org-1',
      scopeKind: 'org', scopeIds: ['org-1'], params: { source: 'fact', plugin: 'breeze.failedunits', key: 'systemd.failed_count', op: '>', value: '0' } })
  })

  it('previews an existing rule as its owner would create it: no version, its exclusions', () => {
    const r = rule('device_offline', { minutes: 5 })
    const body = previewOf(formOf(r), r, 'p1')
    expect(body).not.toHaveProperty('version')
    expect(body).toMatchObject({ orgId: 'org-1', excludeDeviceIds: ['d9'], params: { minutes: 5 } })
  })

  it('describes every kind in one line', () => {
    expect(KINDS.map((k) => k.id).sort()).toEqual([
      'asset_gone', 'asset_new', 'command_failed', 'device_offline', 'inventory_fact', 'metric_threshold', 'plugin_failed',
    ])
    expect(describeRule(rule('asset_new', { includeBack: true }))).toBe('A scan finds a new host (or one back)')
    expect(describeRule(rule('asset_gone', { trackedOnly: true, autoResolveMinutes: 60 }))).toBe('A complete scan misses a tracked host, resolves after 60 min')
    const bad = { ...emptyForm(unit), name: 'x', kind: 'asset_gone' as const, autoResolveMinutes: '99999' }
    expect(validate(bad)).toEqual({ autoResolveMinutes: 'Whole minutes, 0 to 43200.' })
    expect(describeRule(rule('inventory_fact', { source: 'software', name: 'telnet', op: 'installed' }))).toBe('Software telnet is installed')
    expect(describeRule(rule('command_failed', { action: 'run_script', autoResolveMinutes: 30 }))).toBe('Run script failed, resolves after 30 min')
    expect(describeRule(rule('plugin_failed', {}))).toBe('Plugin any failed')
    expect(describeRule(rule('metric_threshold', { metric: 'net_tx', interface: 'eth1', comparator: '>', threshold: 5, durationSeconds: 60 }))).toBe('net_tx eth1 > 5 for 1 min')
  })
})
