// Shapes of /api/v1/notification-routes and /api/v1/notification-deliveries
// (adapters/http/notifyapi/dto.go).

import type { Severity } from '../alerts/types'

export interface NotificationRoute {
  id: string
  partnerId: string
  /** Absent: the partner's default, for every one of its organizations. */
  orgId?: string
  name: string
  channelId: string
  severities: Severity[]
  /** 0: no limit. */
  ratePerHour: number
  enabled: boolean
  createdBy: string
  createdAt: string
}

/** POST body: orgId for an org's route, partnerId alone for a partner default. */
export interface RouteCreate {
  partnerId?: string
  orgId?: string
  name: string
  channelId: string
  severities: Severity[]
  ratePerHour: number
  enabled: boolean
}

/** PATCH body: the route's own fields, only those that change. */
export type RoutePatch = Partial<Pick<NotificationRoute, 'name' | 'channelId' | 'severities' | 'ratePerHour' | 'enabled'>>

export type DeliveryOutcome = 'delivered' | 'failed' | 'dead' | 'rate_limited'

export interface Delivery {
  id: string
  alertId: string
  routeId: string
  orgId: string
  channelId: string
  transition: string
  attempt: number
  outcome: DeliveryOutcome | string
  detail: string
  latencyMs: number
  at: string
}

/** The most a route's rate limit may be (core/app/notify.MaxRatePerHour). */
export const MAX_RATE_PER_HOUR = 100_000
