import { useMemo } from 'react'
import { useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { api } from '../api/client'
import type { Command, Page } from '../api/types'
import { commandKeys, isFinal } from '../live/events'

export const COMMAND_PAGE = 50
/** While a command is unfinished and the live stream is down, the history is read this often. */
export const ACTIVE_POLL_MS = 3000

export function useDeviceCommands(deviceId: string, live: boolean) {
  const query = useInfiniteQuery({
    queryKey: commandKeys.device(deviceId),
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<Command>>(`/devices/${encodeURIComponent(deviceId)}/commands`, { limit: COMMAND_PAGE, cursor: pageParam }, signal),
    initialPageParam: '',
    getNextPageParam: (last: Page<Command>) => last.nextCursor || undefined,
    refetchInterval: (q) => {
      if (live) return false
      const pending = q.state.data?.pages.some((p) => p.items.some((c) => !isFinal(c.status)))
      return pending ? ACTIVE_POLL_MS : false
    },
  })
  const commands = useMemo(() => query.data?.pages.flatMap((p) => p.items) ?? [], [query.data])
  return { query, commands }
}

/** One command with its bodies; read when a final command lacks them (it came from a live event). */
export function useCommand(c: Command, enabled: boolean) {
  return useQuery({
    queryKey: commandKeys.detail(c.id),
    queryFn: ({ signal }) => api.get<Command>(`/commands/${encodeURIComponent(c.id)}`, undefined, signal),
    enabled,
    staleTime: Infinity,
  })
}

export function newIdempotencyKey(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
}
