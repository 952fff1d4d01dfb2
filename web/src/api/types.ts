// Shapes of the Breeze REST API (/api/v1), mirroring adapters/http/api/*_dto.go.
// Times are RFC 3339 strings; optional fields are absent rather than null.

import type { CommandAction } from './actions'

export interface Page<T> {
  items: T[]
  nextCursor: string
}

export interface User {
  id: string
  partnerId: string
  orgId?: string
  email: string
  name: string
  status: 'active' | 'disabled'
  totpEnabled: boolean
  lastLoginAt?: string
  version: number
  createdAt: string
  updatedAt: string
}

export interface Grant {
  id?: string
  roleId?: string
  roleName?: string
  level: 'global' | 'partner' | 'org' | 'site'
  partnerId?: string
  orgId?: string
  siteId?: string
  permissions: string[]
}

export interface Me {
  user: User
  kind: 'user' | 'api_key'
  apiKeyId?: string
  grants: Grant[]
  permissions: string[]
  mustEnrollTotp: boolean
}

export interface LoginResponse {
  accessToken: string
  refreshToken: string
  tokenType: 'Bearer'
  expiresIn: number
  user: User
  mustEnrollTotp: boolean
}

export interface TokenResponse {
  accessToken: string
  refreshToken: string
  tokenType: 'Bearer'
  expiresIn: number
}

export interface TotpEnrollment {
  secret: string
  otpauthUrl: string
}

export interface Partner {
  id: string
  name: string
  requireTotp: boolean
  /** Agent links of the partner's devices need a valid client certificate (mutual TLS). */
  requireMtls?: boolean
  version: number
  createdAt: string
  updatedAt: string
}

export interface Org {
  id: string
  partnerId: string
  name: string
  version: number
  createdAt: string
  updatedAt: string
}

export interface Site {
  id: string
  partnerId: string
  orgId: string
  name: string
  timezone: string
  version: number
  createdAt: string
  updatedAt: string
}

export interface DeviceGroup {
  id: string
  partnerId: string
  orgId: string
  siteId?: string
  name: string
  version: number
  createdAt: string
  updatedAt: string
}

export type DeviceStatus = 'online' | 'offline' | 'pending' | 'decommissioned'

export interface Device {
  id: string
  partnerId: string
  orgId: string
  siteId: string
  groupId?: string
  hostname: string
  os: string
  arch: string
  status: DeviceStatus
  lastSeenAt?: string
  agentVersion: string
  /** agent: runs the agent; network: a tracked discovery asset (no agent). Absent from older servers: agent. */
  kind?: 'agent' | 'network'
  version: number
  createdAt: string
  updatedAt: string
}

export interface DiskUsage {
  mount: string
  fsType: string
  total: number
  used: number
}

export interface NetRate {
  interface: string
  rxBps: number
  txBps: number
}

/** One heartbeat's telemetry (GET /devices/:id carries the latest). */
export interface MetricSample {
  at: string
  cpuPercent: number
  memoryUsed: number
  memoryTotal: number
  diskUsed: number
  diskTotal: number
  netRxBps: number
  netTxBps: number
  load1: number
  uptimeSeconds: number
  processCount: number
  detail?: { disks?: DiskUsage[]; network?: NetRate[]; load5?: number; load15?: number; plugins?: PluginMetric[] }
}

/** One agent-side plugin as the device's agent last reported it. */
export interface DevicePluginState {
  id: string
  version: string
  state: 'running' | 'starting' | 'failed' | 'disabled' | string
  error?: string
  /** The agent runs it without a signature (its development mode). */
  unsigned?: boolean
  /** "dev" when it came from the agent's own plugin dev directory. */
  source?: 'dev' | string
  reportedAt: string
}

export interface DeviceDetail extends Device {
  latest?: MetricSample
  /** What the agent last reported of its plugins; the server always sends the list (maybe empty). */
  plugins?: DevicePluginState[]
  /** The device's latest client certificate (mutual TLS); absent when it has none. */
  cert?: DeviceCert
}

/** A device's client certificate for mutual TLS on its link. */
export interface DeviceCert {
  serial: string
  caId: string
  state: 'valid' | 'expired' | 'revoked'
  notBefore: string
  notAfter: string
  issuedAt: string
  revokedAt?: string
}

/** One downsampled bucket of GET /devices/:id/metrics. */
export interface MetricPoint {
  at: string
  samples: number
  cpuAvg: number
  cpuMax: number
  memoryUsed: number
  memoryTotal: number
  diskUsed: number
  diskTotal: number
  netRxBps: number
  netTxBps: number
  load1: number
}

/** A collector plugin's metric in a heartbeat. */
export interface PluginMetric {
  plugin: string
  name: string
  value: number
  unit?: string
  labels?: Record<string, string>
}

/** GET /devices/:id/plugin-metrics: one collector metric, downsampled. */
export interface DevicePluginMetrics {
  deviceId: string
  plugin: string
  metric: string
  from: string
  to: string
  stepSeconds: number
  points: { at: string; samples: number; avg: number; min: number; max: number }[]
}

export interface DeviceMetrics {
  deviceId: string
  from: string
  to: string
  stepSeconds: number
  points: MetricPoint[]
}

export interface DeviceInventory {
  deviceId: string
  updatedAt: string
  at: string
  os?: { name: string; platform: string; version: string; kernelVersion: string; hostname: string }
  cpu?: { model: string; cores: number; threads: number }
  memoryTotal: number
  disks: { name: string; size: number; model?: string }[]
  filesystems: { mount: string; device: string; fsType: string; total: number }[]
  interfaces: { name: string; mac?: string; addresses?: string[] }[]
  software: { name: string; version: string; source: string }[]
}

export interface EnrollmentKey {
  id: string
  partnerId: string
  orgId: string
  siteId: string
  deviceGroupId?: string
  name: string
  prefix: string
  expiresAt: string
  maxUses: number
  uses: number
  usable: boolean
  revokedAt?: string
  createdBy?: string
  createdAt: string
}

export interface CreatedEnrollmentKey extends EnrollmentKey {
  key: string
  installCommand?: string
}

export interface Role {
  id: string
  partnerId?: string
  name: string
  description: string
  permissions: string[]
  builtIn: boolean
  version: number
  createdAt: string
  updatedAt: string
}

export interface RoleAssignment {
  id: string
  userId: string
  roleId: string
  level: 'global' | 'partner' | 'org' | 'site'
  partnerId?: string
  orgId?: string
  siteId?: string
  createdBy?: string
  createdAt: string
}

export interface PermissionInfo {
  name: string
  resource: string
  action: string
}

export interface ApiKey {
  id: string
  userId: string
  partnerId: string
  orgId?: string
  siteId?: string
  name: string
  prefix: string
  permissions: string[]
  expiresAt?: string
  lastUsedAt?: string
  revokedAt?: string
  createdAt: string
}

export interface CreatedApiKey extends ApiKey {
  key: string
}

export interface AuditLogEntry {
  id: string
  seq: number
  at: string
  actorType: 'user' | 'api_key' | 'agent' | 'system' | 'anonymous'
  actorId?: string
  action: string
  resourceType?: string
  resourceId?: string
  partnerId?: string
  orgId?: string
  outcome: 'success' | 'denied' | 'failure'
  ip?: string
  userAgent?: string
  requestId?: string
  details?: unknown
  prevHash: string
  hash: string
}

// ---------- remote work (notes/api.md) ----------

export type CommandStatus = 'queued' | 'sent' | 'running' | 'succeeded' | 'failed' | 'timed_out' | 'expired' | 'cancelled'

export const FINAL_COMMAND_STATUSES: readonly CommandStatus[] = ['succeeded', 'failed', 'timed_out', 'expired', 'cancelled']

// The action names and how the dashboard offers them: api/actions.ts.
export type { CommandAction }

export interface ProcessInfo {
  pid: number
  ppid: number
  name: string
  user: string
  cpuPercent: number
  rss: number
  cmdline: string
}

export interface ServiceInfo {
  name: string
  description: string
  state: string
  enabled: boolean
}

export interface Command {
  id: string
  deviceId: string
  orgId: string
  siteId: string
  action: CommandAction | string
  payload?: unknown
  status: CommandStatus
  exitCode?: number
  stdout?: string
  stderr?: string
  truncated?: boolean
  error?: string
  data?: unknown
  idempotencyKey?: string
  batchId?: string
  scriptId?: string
  requestedBy?: string
  attempts?: number
  timeoutSeconds?: number
  createdAt: string
  expiresAt?: string
  sentAt?: string
  startedAt?: string
  finishedAt?: string
}

export type ScriptLanguage = 'sh' | 'bash' | 'python3' | 'pwsh'
export type ParamType = 'string' | 'number' | 'boolean' | 'secret'

export interface ScriptParam {
  name: string
  type: ParamType
  description: string
  required: boolean
  default: string
  passAs: 'env' | 'arg'
}

export interface Script {
  id: string
  partnerId: string
  orgId?: string
  name: string
  description: string
  language: ScriptLanguage
  body: string
  params: ScriptParam[]
  timeoutSeconds: number
  runAs: string
  osFilter: string[]
  version: number
  createdBy?: string
  createdAt: string
  updatedAt: string
}

export interface ScriptVersion {
  version: number
  language: ScriptLanguage
  body: string
  params: ScriptParam[]
  timeoutSeconds: number
  runAs: string
  osFilter: string[]
  createdBy?: string
  createdAt: string
}

export type RunCounts = Partial<Record<CommandStatus, number>>

export interface ScriptRun {
  id: string
  scriptId: string
  scriptVersion: number
  orgId: string
  targetKind: string
  targetId?: string
  deviceIds: string[]
  params: Record<string, unknown>
  requestedBy?: string
  createdAt: string
  total: number
  counts: RunCounts
}

export interface WsTicket {
  ticket: string
  expiresAt: string
}

// ---------- plugins (notes/plugins.md) ----------

export type PluginKind = 'alert_channel' | 'scanner' | 'script_runtime' | 'collector'
export type PluginState = 'running' | 'starting' | 'backoff' | 'failed' | 'stopped' | 'disabled'

/** One setting of a plugin's settingsSchema (sdk/manifest/schema.go). */
export interface SettingProperty {
  type: 'string' | 'integer' | 'number' | 'boolean'
  title?: string
  description?: string
  secret?: boolean
  enum?: (string | number | boolean)[]
  minimum?: number
  maximum?: number
  minLength?: number
  maxLength?: number
  pattern?: string
  format?: string
  default?: unknown
}

export interface SettingsSchema {
  type: 'object'
  properties?: Record<string, SettingProperty>
  required?: string[]
}

export interface Plugin {
  id: string
  name: string
  version: string
  kind: PluginKind | string
  description?: string
  side: 'server' | 'agent'
  signedBy: string
  /** No signature was checked (plugin dev mode, or the server's allow-unsigned switch). */
  unsigned?: boolean
  /** "dev" when the server's plugin dev mode loaded it from a directory; else "archive". */
  source?: 'dev' | 'archive' | string
  enabled: boolean
  state?: PluginState | string
  lastError?: string
  restarts?: number
  settingsSchema?: SettingsSchema | null
  installedAt?: string
  sha256?: string
}

export type SettingValue = string | number | boolean

export interface PluginOrgSettings {
  orgId: string
  enabled: boolean
  /** Secrets come back as SECRET_MASK. */
  settings: Record<string, SettingValue>
}

export interface PluginTestResult {
  ok: boolean
  message: string
}
