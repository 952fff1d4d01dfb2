// Shapes of /api/v1/alert-rules and /api/v1/alerts (adapters/http/api/alerts_dto.go).

import type { Task } from '../schedules/types'

export type Severity = 'info' | 'warning' | 'critical'
export type AlertState = 'open' | 'acknowledged' | 'resolved'
export type RuleKind = 'metric_threshold' | 'device_offline' | 'inventory_fact' | 'command_failed' | 'plugin_failed' | 'asset_new' | 'asset_gone'
export type ScopeKind = 'partner' | 'org' | 'site' | 'group' | 'devices'

export const SEVERITIES: Severity[] = ['info', 'warning', 'critical']
export const ALERT_STATES: AlertState[] = ['open', 'acknowledged', 'resolved']
/** A list filter: one state, or every alert still standing (open or acknowledged). */
export type AlertStateFilter = AlertState | 'unresolved'
export const ALERT_STATE_FILTERS: AlertStateFilter[] = ['unresolved', ...ALERT_STATES]

/** core/app/alerts/conditions/metric_threshold.go */
export interface MetricThresholdParams {
  metric: string
  mount?: string
  interface?: string
  plugin?: string
  pluginMetric?: string
  comparator: '>' | '>=' | '<' | '<='
  threshold: number
  durationSeconds: number
  clearThreshold?: number
}

/** core/app/alerts/conditions/device_offline.go */
export interface DeviceOfflineParams {
  minutes: number
}

/** core/app/alerts/conditions/inventory_fact.go */
export interface InventoryFactParams {
  source: 'fact' | 'inventory' | 'software'
  plugin?: string
  key?: string
  name?: string
  op: string
  value?: string
}

/** core/app/alerts/conditions/command_failed.go */
export interface CommandFailedParams {
  action?: string
  scriptId?: string
  autoResolveMinutes?: number
}

/** core/app/alerts/conditions/plugin_failed.go */
export interface PluginFailedParams {
  pluginId?: string
}

/** core/app/alerts/conditions/asset.go */
export interface AssetNewParams {
  includeBack?: boolean
  autoResolveMinutes?: number
}

/** core/app/alerts/conditions/asset.go */
export interface AssetGoneParams {
  trackedOnly?: boolean
  autoResolveMinutes?: number
}

export type RuleParams =
  | MetricThresholdParams
  | DeviceOfflineParams
  | InventoryFactParams
  | CommandFailedParams
  | PluginFailedParams
  | AssetNewParams
  | AssetGoneParams

/** GET /alert-templates: the ready-made rules (every new organization starts with them). */
export interface AlertTemplate {
  id: string
  name: string
  description: string
  severity: Severity
  kind: RuleKind
  params: Record<string, unknown>
}

/** POST /alert-rules/preview: the devices a rule would watch now. */
export interface RuleCoverage {
  count: number
  truncated?: boolean
  devices: { id: string; hostname: string; orgId: string; siteId: string; status: string }[]
}

export interface AlertRule {
  id: string
  partnerId: string
  orgId?: string
  name: string
  description: string
  enabled: boolean
  severity: Severity
  kind: RuleKind | string
  params: RuleParams | Record<string, unknown>
  scopeKind: ScopeKind
  scopeIds: string[]
  excludeDeviceIds: string[]
  renotifySeconds: number
  version: number
  createdAt: string
  updatedAt: string
  // Self-healing (notes/issue15.md): what runs on the device when an alert opens.
  remediation?: Remediation
  /** 0: at every opening; N: at most once per N hours per (rule, device). */
  remediationEveryHours?: number
}

export interface AlertRuleRequest {
  partnerId?: string
  orgId?: string
  name: string
  description?: string
  enabled?: boolean
  severity: Severity
  kind: RuleKind
  params: RuleParams
  scopeKind: ScopeKind
  scopeIds?: string[]
  excludeDeviceIds?: string[]
  renotifySeconds?: number
  version?: number
  remediation?: Remediation
  remediationEveryHours?: number
}

export interface AlertTransition {
  from?: AlertState
  to: AlertState
  actor: string
  note?: string
  at: string
  /** An entry that changes no state: a snooze set (with its end) or ended. */
  action?: 'snoozed' | 'unsnoozed' | 'remediation'
  until?: string
}

export interface Alert {
  id: string
  partnerId: string
  orgId: string
  siteId: string
  deviceId: string
  ruleId: string
  kind: string
  severity: Severity
  state: AlertState
  message: string
  value: number
  openedAt: string
  acknowledgedAt?: string
  acknowledgedBy?: string
  resolvedAt?: string
  resolvedBy?: string
  note?: string
  /** Notifications are held until then. */
  snoozedUntil?: string
  /** A maintenance window covers the device (computed when read). */
  inMaintenance?: boolean
  maintenanceUntil?: string
  version: number
  history?: AlertTransition[]
  /** The latest remediation run for this alert. */
  remediation?: AlertRemediation
}

/** A rule's remediation: a library script or a built-in action, run on the alerting device. */
export type Remediation = Task

export interface AlertRemediation {
  commandId?: string
  scriptRunId?: string
  /** a command status: queued, sent, running, succeeded, failed, timed_out, … */
  status: string
  at: string
}
