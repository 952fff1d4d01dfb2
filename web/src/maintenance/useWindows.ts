import { useQuery } from '@tanstack/react-query'
import { fetchAll } from '../api/lists'
import type { MaintenanceWindow } from './types'

export const windowKeys = {
  all: ['maintenance-windows'] as const,
  list: (orgId?: string) => ['maintenance-windows', 'list', orgId ?? ''] as const,
}

/** Every window the caller may read (an org's own and its partner's). */
export function useWindows(orgId?: string, enabled = true) {
  return useQuery({
    queryKey: windowKeys.list(orgId),
    queryFn: ({ signal }) => fetchAll<MaintenanceWindow>('/maintenance-windows', { orgId }, 5000, signal),
    enabled,
    staleTime: 15_000,
  })
}
