import { useOrgs, usePartners, useSites } from '../tenant/tenant'

export interface Unit {
  level: 'partner' | 'org' | 'site'
  partnerId: string
  orgId: string
  siteId: string
}

export const emptyUnit = (partnerId = '', orgId = '', siteId = ''): Unit => ({
  level: siteId ? 'site' : orgId ? 'org' : 'partner',
  partnerId,
  orgId,
  siteId,
})

/** The request fields for a unit: only the most specific id (the server derives the rest). */
export function unitBody(u: Unit): { partnerId?: string; orgId?: string; siteId?: string } {
  if (u.level === 'site') return { siteId: u.siteId }
  if (u.level === 'org') return { orgId: u.orgId }
  return u.partnerId ? { partnerId: u.partnerId } : {}
}

export function unitComplete(u: Unit): boolean {
  return u.level === 'partner' || (u.level === 'org' ? !!u.orgId : !!u.siteId)
}

/** Where a grant or an API key applies: the partner, an organization or a site. */
export function UnitPicker({ value, onChange }: { value: Unit; onChange: (u: Unit) => void }) {
  const partners = usePartners()
  const orgs = useOrgs(value.partnerId || undefined)
  const sites = useSites(value.orgId || undefined)
  return (
    <fieldset className="unit-picker">
      <legend>Applies to</legend>
      <div className="field-row">
        <label className="field">
          <span className="field-label">Level</span>
          <select value={value.level} onChange={(e) => onChange({ ...value, level: e.target.value as Unit['level'] })}>
            <option value="partner">Whole partner</option>
            <option value="org">One organization</option>
            <option value="site">One site</option>
          </select>
        </label>
        {(partners.data?.length ?? 0) > 1 && (
          <label className="field">
            <span className="field-label">Partner</span>
            <select value={value.partnerId} onChange={(e) => onChange({ ...value, partnerId: e.target.value, orgId: '', siteId: '' })}>
              <option value="">My partner</option>
              {partners.data!.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {value.level !== 'partner' && (
          <label className="field">
            <span className="field-label">Organization</span>
            <select required value={value.orgId} onChange={(e) => onChange({ ...value, orgId: e.target.value, siteId: '' })}>
              <option value="">Choose…</option>
              {orgs.data?.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {value.level === 'site' && (
          <label className="field">
            <span className="field-label">Site</span>
            <select required value={value.siteId} disabled={!value.orgId} onChange={(e) => onChange({ ...value, siteId: e.target.value })}>
              <option value="">Choose…</option>
              {sites.data?.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
    </fieldset>
  )
}
