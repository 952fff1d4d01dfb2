// Shape of GET /api/v1/fleet/summary (adapters/http/fleetapi/dto.go).

import type { DeviceStatus } from '../api/types'
import type { AlertState, Severity } from '../alerts/types'

export interface FleetDeviceCounts {
  online: number
  offline: number
  pending: number
  decommissioned: number
  total: number
}

export interface FleetAlertCounts {
  info: number
  warning: number
  critical: number
  total: number
}

export interface AttentionDevice {
  deviceId: string
  hostname: string
  status: DeviceStatus | string
  orgId: string
  orgName: string
  siteId: string
  siteName: string
  worstSeverity: Severity | string
  openAlerts: number
  latestAt: string
}

export interface FleetActivity {
  alertId: string
  deviceId: string
  hostname: string
  orgId: string
  severity: Severity | string
  kind: string
  message: string
  from?: AlertState
  to: AlertState | string
  actor: string
  at: string
}

export interface FleetSummary {
  devices: FleetDeviceCounts
  alerts: FleetAlertCounts
  attention: AttentionDevice[]
  activity: FleetActivity[]
  generatedAt: string
}
