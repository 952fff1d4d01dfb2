import { usePartners, useOrgs, useSites, useGroups, useTenant } from './tenant'

/**
 * Partner → organization → site → group. A level shows only when the caller
 * can read it; the partner level only when there is more than one partner.
 */
export function TenantSwitcher() {
  const { sel, setPartner, setOrg, setSite, setGroup } = useTenant()
  const partners = usePartners()
  const orgs = useOrgs(sel.partnerId)
  const sites = useSites(sel.orgId)
  const groups = useGroups(sel.orgId, sel.siteId)

  const showPartners = (partners.data?.length ?? 0) > 1
  const orgsReadable = orgs.fetchStatus !== 'idle' || orgs.data !== undefined
  const failed = [partners, orgs, sites, groups].some((q) => q.isError)

  return (
    <nav className="tenant-switcher" aria-label="Tenant">
      {showPartners && (
        <label>
          <span className="field-label">Partner</span>
          <select value={sel.partnerId ?? ''} onChange={(e) => setPartner(e.target.value || undefined)}>
            <option value="">All partners</option>
            {partners.data!.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {orgsReadable && (
        <label>
          <span className="field-label">Organization</span>
          <select value={sel.orgId ?? ''} onChange={(e) => setOrg(e.target.value || undefined)} disabled={orgs.isPending}>
            <option value="">{orgs.isPending ? 'Loading…' : 'All organizations'}</option>
            {orgs.data?.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <label>
        <span className="field-label">Site</span>
        <select value={sel.siteId ?? ''} onChange={(e) => setSite(e.target.value || undefined)} disabled={!sel.orgId}>
          <option value="">{sel.orgId ? 'All sites' : 'Choose an organization'}</option>
          {sites.data?.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span className="field-label">Group</span>
        <select value={sel.groupId ?? ''} onChange={(e) => setGroup(e.target.value || undefined)} disabled={!sel.orgId}>
          <option value="">{sel.orgId ? 'All groups' : 'Choose an organization'}</option>
          {groups.data?.map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </select>
      </label>
      {failed && (
        <span className="tenant-error" role="status">
          Some tenant lists could not be loaded.
        </span>
      )}
    </nav>
  )
}
