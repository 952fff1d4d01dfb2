import { useMemo } from 'react'
import { useInfiniteQuery, useQueries, useQuery } from '@tanstack/react-query'
import { api } from '../api/client'
import { fetchAll } from '../api/lists'
import type { Page } from '../api/types'
import { LIVE_FALLBACK_POLL_MS, useLiveEvents } from '../live/live'
import type { Alert, AlertRule, AlertStateFilter, Severity } from './types'

export const alertKeys = {
  all: ['alerts'] as const,
  list: (f: AlertFilter) => ['alerts', 'list', f] as const,
  detail: (id: string) => ['alerts', 'detail', id] as const,
}

export const ruleKeys = {
  all: ['alert-rules'] as const,
  list: (orgId?: string) => ['alert-rules', 'list', orgId ?? ''] as const,
  detail: (id: string) => ['alert-rules', 'detail', id] as const,
}

export interface AlertFilter {
  state?: AlertStateFilter
  severity?: Severity
  deviceId?: string
  ruleId?: string
  orgId?: string
  siteId?: string
  /** Opened at or after (RFC 3339). */
  from?: string
  /** Opened before (RFC 3339). */
  to?: string
}

/** Alerts matching f, page by page; polled only while the live stream is down. */
export function useAlerts(f: AlertFilter, enabled = true) {
  const { connected } = useLiveEvents()
  const query = useInfiniteQuery({
    queryKey: alertKeys.list(f),
    queryFn: ({ pageParam, signal }) => api.get<Page<Alert>>('/alerts', { ...f, limit: 100, cursor: pageParam }, signal),
    initialPageParam: '',
    getNextPageParam: (last: Page<Alert>) => last.nextCursor || undefined,
    refetchInterval: connected ? false : LIVE_FALLBACK_POLL_MS,
    enabled,
  })
  const alerts = useMemo(() => query.data?.pages.flatMap((p) => p.items) ?? [], [query.data])
  return { query, alerts }
}

export function useAlert(id: string) {
  const { connected } = useLiveEvents()
  return useQuery({
    queryKey: alertKeys.detail(id),
    queryFn: ({ signal }) => api.get<Alert>(`/alerts/${encodeURIComponent(id)}`, undefined, signal),
    refetchInterval: connected ? false : LIVE_FALLBACK_POLL_MS,
  })
}

/** Every rule the caller may read (an org's own and its partner's), for names and the rules page. */
export function useRules(orgId?: string, enabled = true) {
  return useQuery({
    queryKey: ruleKeys.list(orgId),
    queryFn: ({ signal }) => fetchAll<AlertRule>('/alert-rules', { orgId }, 5000, signal),
    enabled,
    staleTime: 30_000,
  })
}

/** id → hostname of the devices on screen, read one by one (a page shows few distinct devices). */
export function useHostnames(ids: string[]): Map<string, string> {
  const unique = useMemo(() => [...new Set(ids)].slice(0, 100), [ids])
  const results = useQueries({
    queries: unique.map((id) => ({
      queryKey: ['devices', 'hostname', id],
      queryFn: ({ signal }: { signal: AbortSignal }) =>
        api.get<{ hostname: string }>(`/devices/${encodeURIComponent(id)}`, undefined, signal).then((d) => d.hostname),
      staleTime: 5 * 60_000,
      retry: false,
    })),
  })
  const key = results.map((r) => r.data ?? '').join('\u0000')
  return useMemo(() => new Map(unique.flatMap((id, i) => (results[i]?.data ? [[id, results[i]!.data!] as const] : []))), [unique, key])
}
