import { useEffect, useMemo } from 'react'
import { useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { api } from '../api/client'
import { MAX_PAGE } from '../api/lists'
import type { Device, DeviceDetail, Page } from '../api/types'

export interface DeviceFilters {
  orgId?: string
  siteId?: string
  groupId?: string
  status?: string
  os?: string
  q?: string
}

/** Beyond this many devices the list stops reading ahead and offers "Load more". */
export const AUTOLOAD_LIMIT = 50_000

export const deviceKeys = {
  all: ['devices'] as const,
  list: (f: DeviceFilters) => ['devices', 'list', f] as const,
  detail: (id: string) => ['devices', 'detail', id] as const,
}

/**
 * Every device matching the filters. The first page shows at once; the rest
 * stream in behind it, so sorting and "select all" see the whole set.
 */
export function useDeviceList(f: DeviceFilters, opts: { refetchInterval?: number | false } = {}) {
  const query = useInfiniteQuery({
    queryKey: deviceKeys.list(f),
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<Device>>('/devices', { ...f, limit: MAX_PAGE, cursor: pageParam }, signal),
    initialPageParam: '',
    getNextPageParam: (last: Page<Device>) => last.nextCursor || undefined,
    refetchInterval: opts.refetchInterval ?? false,
  })
  const devices = useMemo(() => query.data?.pages.flatMap((p) => p.items) ?? [], [query.data])
  const { hasNextPage, isFetchingNextPage, isError, fetchNextPage } = query
  const readAhead = hasNextPage && !isFetchingNextPage && !isError && devices.length < AUTOLOAD_LIMIT
  useEffect(() => {
    if (readAhead) void fetchNextPage()
  }, [readAhead, fetchNextPage, devices.length])
  return { query, devices, complete: !hasNextPage }
}

export function useDevice(id: string, refetchInterval: number | false = false) {
  return useQuery({
    queryKey: deviceKeys.detail(id),
    queryFn: ({ signal }) => api.get<DeviceDetail>(`/devices/${encodeURIComponent(id)}`, undefined, signal),
    refetchInterval,
  })
}
