// The notifications API: routes (list, create, change through PATCH,
// delete) and the dead-letter list (deliveries whose retries ran out).

import { useMemo } from 'react'
import { useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { api } from '../api/client'
import { fetchAll } from '../api/lists'
import type { Page } from '../api/types'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { usePlugins } from '../plugins/usePlugins'
import type { Delivery, NotificationRoute, RouteCreate, RoutePatch } from './types'

export const notifyKeys = {
  routes: ['notification-routes'] as const,
  routeList: (orgId?: string) => ['notification-routes', 'list', orgId ?? ''] as const,
  dead: ['notification-deliveries', 'dead'] as const,
  alertDeliveries: (alertId: string) => ['notification-deliveries', 'alert', alertId] as const,
}

const path = (id: string) => `/notification-routes/${encodeURIComponent(id)}`

/** The routes the caller may read; with orgId, that org's own and its partner's defaults. */
export function useRoutes(orgId?: string) {
  return useQuery({
    queryKey: notifyKeys.routeList(orgId),
    queryFn: ({ signal }) => fetchAll<NotificationRoute>('/notification-routes', { orgId }, 5000, signal),
  })
}

export const createRoute = (body: RouteCreate) => api.post<NotificationRoute>('/notification-routes', body)
export const patchRoute = (id: string, body: RoutePatch) => api.patch<NotificationRoute>(path(id), body)
export const deleteRoute = (id: string) => api.del(path(id))

/** The dead-letter list, page by page. */
export function useDeadLetters() {
  const query = useInfiniteQuery({
    queryKey: notifyKeys.dead,
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<Delivery>>('/notification-deliveries', { state: 'dead', limit: 100, cursor: pageParam }, signal),
    initialPageParam: '',
    getNextPageParam: (last: Page<Delivery>) => last.nextCursor || undefined,
  })
  const items = useMemo(() => query.data?.pages.flatMap((p) => p.items) ?? [], [query.data])
  return { query, items }
}

/** One alert's delivery log (every attempt through every route), page by page. */
export function useAlertDeliveries(alertId: string) {
  const query = useInfiniteQuery({
    queryKey: notifyKeys.alertDeliveries(alertId),
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<Delivery>>(`/alerts/${encodeURIComponent(alertId)}/deliveries`, { limit: 100, cursor: pageParam }, signal),
    initialPageParam: '',
    getNextPageParam: (last: Page<Delivery>) => last.nextCursor || undefined,
  })
  const items = useMemo(() => query.data?.pages.flatMap((p) => p.items) ?? [], [query.data])
  return { query, items }
}

/**
 * The installed alert-channel plugins, to choose a route's channel from.
 * Listing plugins needs plugins:manage; without it (or on error) the
 * list is undefined and the channel is typed by its id.
 */
export function useAlertChannels() {
  const me = useMe()
  const allowed = can(me, P.pluginsManage)
  const plugins = usePlugins(allowed)
  const channels = useMemo(() => plugins.data?.filter((p) => p.kind === 'alert_channel'), [plugins.data])
  return { channels: allowed && !plugins.isError ? channels : undefined, loading: allowed && plugins.isPending }
}
