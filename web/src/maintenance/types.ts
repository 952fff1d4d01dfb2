// Shapes of /api/v1/maintenance-windows (adapters/http/api/maintenance_dto.go).

import type { ScopeKind } from '../alerts/types'

export type WindowKind = 'once' | 'weekly'
export type Weekday = 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat'

export const WEEKDAYS: { id: Weekday; label: string }[] = [
  { id: 'mon', label: 'Mon' },
  { id: 'tue', label: 'Tue' },
  { id: 'wed', label: 'Wed' },
  { id: 'thu', label: 'Thu' },
  { id: 'fri', label: 'Fri' },
  { id: 'sat', label: 'Sat' },
  { id: 'sun', label: 'Sun' },
]

export interface MaintenanceWindow {
  id: string
  partnerId: string
  orgId?: string
  name: string
  description: string
  enabled: boolean
  scopeKind: ScopeKind
  scopeIds: string[]
  timeZone: string
  kind: WindowKind
  /** once: local date-times YYYY-MM-DDTHH:MM in timeZone */
  startsAt?: string
  endsAt?: string
  /** weekly */
  days?: Weekday[]
  at?: string
  durationMinutes?: number
  active: boolean
  nextStartsAt?: string
  nextEndsAt?: string
  version: number
  createdAt: string
  updatedAt: string
}

export interface MaintenanceWindowRequest {
  partnerId?: string
  orgId?: string
  name: string
  description?: string
  enabled?: boolean
  scopeKind: ScopeKind
  scopeIds?: string[]
  timeZone: string
  kind: WindowKind
  startsAt?: string
  endsAt?: string
  days?: Weekday[]
  at?: string
  durationMinutes?: number
  version?: number
}
