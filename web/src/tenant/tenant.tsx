// The tenant the technician works in (partner → organization → site →
// group). It narrows the device list, enrollment keys and the audit log; the
// server still scopes every answer to the caller's grants.

import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react'
import { useQuery } from '@tanstack/react-query'
import { fetchAll } from '../api/lists'
import type { DeviceGroup, Org, Partner, Site } from '../api/types'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'

export interface TenantSelection {
  partnerId?: string
  orgId?: string
  siteId?: string
  groupId?: string
}

interface TenantContext {
  sel: TenantSelection
  setPartner: (id?: string) => void
  setOrg: (id?: string) => void
  setSite: (id?: string) => void
  setGroup: (id?: string) => void
}

const Ctx = createContext<TenantContext | null>(null)

export function TenantProvider({ children, initial }: { children: ReactNode; initial?: TenantSelection }) {
  const [sel, setSel] = useState<TenantSelection>(initial ?? {})
  // Choosing a level clears the levels below it.
  const setPartner = useCallback((partnerId?: string) => setSel({ partnerId }), [])
  const setOrg = useCallback((orgId?: string) => setSel((s) => ({ partnerId: s.partnerId, orgId })), [])
  const setSite = useCallback((siteId?: string) => setSel((s) => ({ partnerId: s.partnerId, orgId: s.orgId, siteId })), [])
  const setGroup = useCallback((groupId?: string) => setSel((s) => ({ ...s, groupId })), [])
  const value = useMemo(() => ({ sel, setPartner, setOrg, setSite, setGroup }), [sel, setPartner, setOrg, setSite, setGroup])
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>
}

export function useTenant(): TenantContext {
  const c = useContext(Ctx)
  if (!c) throw new Error('useTenant outside TenantProvider')
  return c
}

const STALE = 60_000

export function usePartners() {
  const me = useMe()
  return useQuery({
    queryKey: ['partners', 'all'],
    queryFn: ({ signal }) => fetchAll<Partner>('/partners', {}, 5000, signal),
    enabled: can(me, P.partnersRead),
    staleTime: STALE,
  })
}

export function useOrgs(partnerId?: string) {
  const me = useMe()
  return useQuery({
    queryKey: ['orgs', 'all', partnerId ?? ''],
    queryFn: ({ signal }) => fetchAll<Org>('/orgs', { partnerId }, 5000, signal),
    enabled: can(me, P.orgsRead),
    staleTime: STALE,
  })
}

export function useSites(orgId?: string, opts: { all?: boolean } = {}) {
  const me = useMe()
  return useQuery({
    queryKey: ['sites', 'all', orgId ?? ''],
    queryFn: ({ signal }) => fetchAll<Site>('/sites', { orgId }, 10000, signal),
    enabled: can(me, P.sitesRead) && (!!orgId || !!opts.all),
    staleTime: STALE,
  })
}

export function useGroups(orgId?: string, siteId?: string, opts: { all?: boolean } = {}) {
  const me = useMe()
  return useQuery({
    queryKey: ['device-groups', 'all', orgId ?? '', siteId ?? ''],
    queryFn: ({ signal }) => fetchAll<DeviceGroup>('/device-groups', { orgId, siteId }, 10000, signal),
    enabled: can(me, P.groupsRead) && (!!orgId || !!opts.all),
    staleTime: STALE,
  })
}

/** id → name of every organization, site and group the caller can read. */
export function useTenantNames() {
  const orgs = useOrgs()
  const sites = useSites(undefined, { all: true })
  const groups = useGroups(undefined, undefined, { all: true })
  return useMemo(() => {
    const m = new Map<string, string>()
    for (const list of [orgs.data, sites.data, groups.data]) for (const x of list ?? []) m.set(x.id, x.name)
    return m
  }, [orgs.data, sites.data, groups.data])
}
