import { useEffect, useMemo } from 'react'
import { useInfiniteQuery, useQueries, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../api/client'
import { fetchAll, MAX_PAGE } from '../api/lists'
import type { Device, Page } from '../api/types'
import { ACTIVE_SCAN, type Asset, type AssetEvent, type Profile, type Scan } from './types'

/** How often a view with a queued or running scan reads it again. */
export const SCAN_POLL_MS = 2_000
/** Beyond this many assets the table stops reading ahead and offers "Load more". */
export const ASSET_AUTOLOAD = 20_000

export const discoveryKeys = {
  all: ['discovery'] as const,
  profiles: (orgId?: string, siteId?: string) => ['discovery', 'profiles', orgId ?? '', siteId ?? ''] as const,
  profile: (id: string) => ['discovery', 'profile', id] as const,
  scans: (profileId: string) => ['discovery', 'scans', profileId] as const,
  active: (orgId?: string) => ['discovery', 'active-scans', orgId ?? ''] as const,
  scan: (id: string) => ['discovery', 'scan', id] as const,
  assets: (f: AssetFilter) => ['discovery', 'assets', f] as const,
  asset: (id: string) => ['discovery', 'asset', id] as const,
  events: (id: string) => ['discovery', 'events', id] as const,
}

export const isActive = (s: Scan) => (ACTIVE_SCAN as string[]).includes(s.status)

export function useProfiles(orgId?: string, siteId?: string, enabled = true) {
  return useQuery({
    queryKey: discoveryKeys.profiles(orgId, siteId),
    queryFn: ({ signal }) => fetchAll<Profile>('/discovery/profiles', { orgId, siteId }, 5000, signal),
    enabled,
  })
}

export function useProfile(id: string, enabled = true) {
  return useQuery({
    queryKey: discoveryKeys.profile(id),
    queryFn: ({ signal }) => api.get<Profile>(`/discovery/profiles/${encodeURIComponent(id)}`, undefined, signal),
    enabled,
  })
}

/** How many of a profile's scans its history shows. */
export const RECENT_SCANS = 50

/**
 * A profile's latest scans, newest first. The list is read once (and again when a
 * scan starts or ends); the queued and running ones are followed one by one
 * (GET /discovery/scans/:id, with their commands) every SCAN_POLL_MS.
 */
export function useScans(profileId: string) {
  const qc = useQueryClient()
  const list = useQuery({
    queryKey: discoveryKeys.scans(profileId),
    queryFn: async ({ signal }) => {
      // the server lists newest first: the latest RECENT_SCANS are the history shown
      const page = await api.get<Page<Scan>>('/discovery/scans', { profileId, limit: RECENT_SCANS }, signal)
      return page.items
    },
  })
  const active = useMemo(() => (list.data ?? []).filter(isActive), [list.data])
  const live = useQueries({
    queries: active.map((s) => ({
      queryKey: discoveryKeys.scan(s.id),
      queryFn: ({ signal }: { signal: AbortSignal }) => api.get<Scan>(`/discovery/scans/${encodeURIComponent(s.id)}`, undefined, signal),
      initialData: s,
      initialDataUpdatedAt: 0, // stale at once: read the details now
      refetchInterval: (q: { state: { data?: Scan } }) => (q.state.data && isActive(q.state.data) ? SCAN_POLL_MS : false),
    })),
  })
  const ended = live.filter((q) => q.data && !isActive(q.data)).length
  useEffect(() => {
    // one of them ended: the list reads again (its counts are final; active ones drop out of polling),
    // and the assets it merged are read afresh wherever they show next
    if (ended > 0) {
      void qc.invalidateQueries({ queryKey: discoveryKeys.scans(profileId) })
      void qc.invalidateQueries({ queryKey: ['discovery', 'assets'] })
      void qc.invalidateQueries({ queryKey: ['discovery', 'asset'] })
    }
  }, [ended, qc, profileId])
  const byId = new Map(live.flatMap((q) => (q.data ? [[q.data.id, q.data] as const] : [])))
  const data = list.data?.map((s) => byId.get(s.id) ?? s)
  return { ...list, data } as typeof list
}

/** The queued and running scans of an organization (or every one the caller sees), for the profiles list. */
export function useActiveScans(orgId?: string, enabled = true) {
  return useQuery({
    queryKey: discoveryKeys.active(orgId),
    queryFn: async ({ signal }) => {
      const [running, queued] = await Promise.all(
        ['running', 'queued'].map((status) => fetchAll<Scan>('/discovery/scans', { orgId, status }, 1000, signal)),
      )
      return [...running!, ...queued!]
    },
    enabled,
    refetchInterval: (q) => ((q.state.data?.length ?? 0) > 0 ? SCAN_POLL_MS : 15_000),
  })
}

/** The scans named (an asset's seenByJobs, at most 10). */
export function useScansById(ids: string[]) {
  return useQueries({
    queries: ids.slice(0, 10).map((id) => ({
      queryKey: discoveryKeys.scan(id),
      queryFn: ({ signal }: { signal: AbortSignal }) => api.get<Scan>(`/discovery/scans/${encodeURIComponent(id)}`, undefined, signal),
      staleTime: 30_000,
      retry: false,
    })),
  })
}

export interface AssetFilter {
  orgId?: string
  siteId?: string
  state?: string
  new?: string
  q?: string
  profileId?: string
}

/** Every asset matching f: the first page shows at once, the rest stream in behind it (like the device list). */
export function useAssets(f: AssetFilter, enabled = true) {
  const query = useInfiniteQuery({
    queryKey: discoveryKeys.assets(f),
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<Asset>>('/discovery/assets', { ...f, limit: MAX_PAGE, cursor: pageParam }, signal),
    initialPageParam: '',
    getNextPageParam: (last: Page<Asset>) => last.nextCursor || undefined,
    enabled,
  })
  const assets = useMemo(() => query.data?.pages.flatMap((p) => p.items) ?? [], [query.data])
  const { hasNextPage, isFetchingNextPage, isError, fetchNextPage } = query
  const readAhead = hasNextPage && !isFetchingNextPage && !isError && assets.length < ASSET_AUTOLOAD
  useEffect(() => {
    if (readAhead) void fetchNextPage()
  }, [readAhead, fetchNextPage, assets.length])
  return { query, assets, complete: !hasNextPage }
}

export function useAsset(id: string) {
  return useQuery({
    queryKey: discoveryKeys.asset(id),
    queryFn: ({ signal }) => api.get<Asset>(`/discovery/assets/${encodeURIComponent(id)}`, undefined, signal),
  })
}

/** An asset's events, newest first, a page at a time. */
export function useAssetEvents(id: string) {
  return useInfiniteQuery({
    queryKey: discoveryKeys.events(id),
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<AssetEvent>>(`/discovery/assets/${encodeURIComponent(id)}/events`, { limit: 50, cursor: pageParam }, signal),
    initialPageParam: '',
    getNextPageParam: (last: Page<AssetEvent>) => last.nextCursor || undefined,
  })
}

/** The devices of a site, to pick scanners from. */
export function useSiteDevices(siteId: string) {
  return useQuery({
    queryKey: ['devices', 'pick-site', siteId],
    queryFn: ({ signal }) => fetchAll<Device>('/devices', { siteId }, 2000, signal),
    enabled: !!siteId,
    staleTime: 30_000,
  })
}
