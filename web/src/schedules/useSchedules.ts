import { useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { api, request } from '../api/client'
import { fetchAll } from '../api/lists'
import type { Page } from '../api/types'
import type { Fire, PreviewRequest, PreviewResponse, Schedule } from './types'

/**
 * Schedules change by themselves as they fire: their views read them again
 * this often while the tab is shown, and at once when it is shown again (a
 * hidden tab does not poll), so a technician watching sees a fire land
 * without reloading. No event on the live stream says a schedule fired.
 */
export const POLL_MS = 10_000

// Read again on a timer and when the tab comes back (the app's default is not to).
const live = { staleTime: POLL_MS, refetchInterval: POLL_MS, refetchOnWindowFocus: true } as const

export const scheduleKeys = {
  all: ['schedules'] as const,
  list: (orgId?: string, state = '') => ['schedules', 'list', orgId ?? '', state] as const,
  detail: (id: string) => ['schedules', 'detail', id] as const,
  fires: (id: string) => ['schedules', 'fires', id] as const,
  preview: (b: PreviewRequest | null) => ['schedules', 'preview', b] as const,
}

/** Every schedule the caller may read (an org's own and its partner's); state '' all, 'true' enabled, 'false' paused. */
export function useSchedules(orgId?: string, enabled = true, state: '' | 'true' | 'false' = '') {
  return useQuery({
    queryKey: scheduleKeys.list(orgId, state),
    queryFn: ({ signal }) => fetchAll<Schedule>('/schedules', { orgId, enabled: state }, 5000, signal),
    enabled,
    ...live, // next and last runs move on by themselves
  })
}

export function useSchedule(id: string) {
  return useQuery({
    queryKey: scheduleKeys.detail(id),
    queryFn: ({ signal }) => api.get<Schedule>(`/schedules/${encodeURIComponent(id)}`, undefined, signal),
    ...live,
  })
}

/** A schedule's fires, newest first, a page at a time. */
export function useFires(id: string) {
  return useInfiniteQuery({
    queryKey: scheduleKeys.fires(id),
    queryFn: ({ pageParam, signal }) => api.get<Page<Fire>>(`/schedules/${encodeURIComponent(id)}/fires`, { limit: 50, cursor: pageParam }, signal),
    initialPageParam: '',
    getNextPageParam: (last: Page<Fire>) => last.nextCursor || undefined,
    ...live, // a new fire shows up, and the latest one's counts move
  })
}

/** The next fire times the server computes for a timing (null: nothing to ask yet). */
export function usePreview(body: PreviewRequest | null) {
  return useQuery({
    queryKey: scheduleKeys.preview(body),
    // a POST with the query's signal: a newer timing cancels the older question
    queryFn: ({ signal }) => request<PreviewResponse>('POST', '/schedules/preview', { body, signal }),
    enabled: body !== null,
    staleTime: 60_000,
    retry: false,
  })
}
