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
  /** Storm grouping: per window, the first groupAfter notifications go out alone, the rest as one digest (either 0: off). */
  groupAfter: number
  groupIntervalSeconds: number
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
  groupAfter: number
  groupIntervalSeconds: number
  enabled: boolean
}

/** PATCH body: the route's own fields, only those that change. */
export type RoutePatch = Partial<
  Pick<NotificationRoute, 'name' | 'channelId' | 'severities' | 'ratePerHour' | 'groupAfter' | 'groupIntervalSeconds' | 'enabled'>
>

/** core/domain/notify.go DeliveryOutcomes. */
export type DeliveryOutcome = 'delivered' | 'failed' | 'dead' | 'rate_limited' | 'held' | 'grouped' | 'suppressed'

export interface Delivery {
  id: string
  alertId: string
  routeId: string
  orgId: string
  channelId: string
  transition: string
  /** n > 0: the n-th reminder of a still open alert. */
  reminder?: number
  attempt: number
  outcome: DeliveryOutcome | string
  detail: string
  /** The storm digest that carried (or will carry) this alert. */
  digestId?: string
  /** Held (maintenance window, snooze): tried again then. */
  heldUntil?: string
  latencyMs: number
  at: string
}

/** The most a route's rate limit may be (core/app/notify.MaxRatePerHour). */
export const MAX_RATE_PER_HOUR = 100_000

/** Storm grouping bounds and defaults (core/domain/notify.go). */
export const MAX_GROUP_AFTER = 1000
export const MAX_GROUP_INTERVAL_SECONDS = 86_400
export const DEFAULT_GROUP_AFTER = 5
export const DEFAULT_GROUP_INTERVAL_SECONDS = 300
