import type { QueryClient } from '@tanstack/react-query'
import { api } from '../api/client'
import type { Scan } from './types'
import { discoveryKeys } from './useDiscovery'

/** Starts a scan of the profile now (202 with the queued scan) and makes the views that show scans read again. */
export async function runScan(qc: QueryClient, profileId: string): Promise<Scan> {
  const scan = await api.post<Scan>(`/discovery/profiles/${encodeURIComponent(profileId)}/scans`)
  qc.setQueryData(discoveryKeys.scan(scan.id), scan)
  await qc.invalidateQueries({ queryKey: ['discovery', 'scans', profileId] })
  await qc.invalidateQueries({ queryKey: ['discovery', 'active-scans'] })
  return scan
}
