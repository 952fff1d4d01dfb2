import type { Device } from '../api/types'

export type SortKey = 'hostname' | 'status' | 'os' | 'org' | 'site' | 'lastSeenAt' | 'agentVersion'
export type SortDir = 'asc' | 'desc'

export const SORT_KEYS: SortKey[] = ['hostname', 'status', 'os', 'org', 'site', 'lastSeenAt', 'agentVersion']

const STATUS_ORDER: Record<string, number> = { online: 0, offline: 1, pending: 2, decommissioned: 3 }
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })

/** A sorted copy; ties fall back to the hostname, then the id, so the order is stable. */
export function sortDevices(list: Device[], key: SortKey, dir: SortDir, names: Map<string, string>): Device[] {
  const sign = dir === 'desc' ? -1 : 1
  const cmp = (a: Device, b: Device): number => {
    switch (key) {
      case 'status':
        return (STATUS_ORDER[a.status] ?? 9) - (STATUS_ORDER[b.status] ?? 9)
      case 'os':
        return collator.compare(a.os, b.os)
      case 'org':
        return collator.compare(names.get(a.orgId) ?? '', names.get(b.orgId) ?? '')
      case 'site':
        return collator.compare(names.get(a.siteId) ?? '', names.get(b.siteId) ?? '')
      case 'lastSeenAt':
        return (a.lastSeenAt ? Date.parse(a.lastSeenAt) : 0) - (b.lastSeenAt ? Date.parse(b.lastSeenAt) : 0)
      case 'agentVersion':
        return collator.compare(a.agentVersion ?? '', b.agentVersion ?? '')
      default:
        return 0
    }
  }
  return [...list].sort(
    (a, b) => sign * (cmp(a, b) || collator.compare(a.hostname, b.hostname)) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  )
}
