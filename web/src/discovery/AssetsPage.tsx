import { useEffect, useState } from 'react'
import { Link, useSearchParams } from 'react-router'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { useSites, useTenant } from '../tenant/tenant'
import { Empty, ErrorState, Loading } from '../ui/States'
import { useDebounced } from '../ui/useDebounced'
import { AssetGrid } from './AssetGrid'
import { DiscoveryNav } from './DiscoveryNav'
import { ASSET_STATES } from './types'
import { ASSET_AUTOLOAD, useAssets, useProfile, type AssetFilter } from './useDiscovery'

const STATE_LABELS: Record<string, string> = {
  candidate: 'Candidates (no agent)',
  managed: 'Managed',
  tracked: 'Tracked',
  ignored: 'Ignored',
}

/**
 * The discovered assets of the tenant's organization. The filters live in
 * the URL (/discovery?siteId=…&state=candidate&new=true&q=…&profileId=…).
 */
export default function AssetsPage() {
  const me = useMe()
  const { sel } = useTenant()
  const [params, setParams] = useSearchParams()
  const canRead = can(me, P.discoveryRead)
  const sites = useSites(sel.orgId, { all: true })
  // the tenant switcher's site until the filter names one ("siteId=" is any site)
  const siteId = params.get('siteId') ?? sel.siteId ?? ''
  const state = params.get('state') ?? ''
  const onlyNew = params.get('new') === 'true'
  const profileId = params.get('profileId') ?? ''
  const [search, setSearch] = useState(params.get('q') ?? '')
  const q = useDebounced(search.trim(), 300)
  const setParam = (k: string, v: string) =>
    setParams(
      (p) => {
        const n = new URLSearchParams(p)
        if (v || (k === 'siteId' && sel.siteId)) n.set(k, v)
        else n.delete(k)
        return n
      },
      { replace: true },
    )
  useEffect(() => setParam('q', q), [q])

  const filter: AssetFilter = {
    orgId: sel.orgId,
    siteId: siteId || undefined,
    state: (ASSET_STATES as readonly string[]).includes(state) ? state : undefined,
    new: onlyNew ? 'true' : undefined,
    q: q || undefined,
    profileId: profileId || undefined,
  }
  const { query, assets, complete } = useAssets(filter, canRead)
  const profile = useProfile(profileId, canRead && !!profileId).data?.name

  if (!canRead)
    return (
      <Empty title="You cannot see network discovery.">
        Your role does not grant discovery:read. <Link to="/">Home</Link>
      </Empty>
    )
  const filtered = !!(siteId || state || onlyNew || q || profileId)
  return (
    <section className="page page-fill" aria-labelledby="assets-title">
      <header className="page-header">
        <h1 id="assets-title">Discovered assets</h1>
        <span className="count" role="status" aria-live="polite">
          {query.isPending
            ? ''
            : complete
              ? `${assets.length.toLocaleString()} asset${assets.length === 1 ? '' : 's'}`
              : `${assets.length.toLocaleString()} loaded…`}
        </span>
        <div className="page-actions">
          <button type="button" className="btn btn-small" onClick={() => void query.refetch()} disabled={query.isFetching}>
            {query.isFetching && !query.isFetchingNextPage ? 'Refreshing…' : 'Refresh'}
          </button>
        </div>
      </header>
      <DiscoveryNav />
      <div className="filters" role="search">
        <label className="field-inline">
          <span className="visually-hidden">Search assets</span>
          <input
            type="search"
            placeholder="Search IP, MAC, vendor, hostname"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            maxLength={200}
          />
        </label>
        <label className="field-inline">
          <span className="field-label">Site</span>
          <select value={siteId} onChange={(e) => setParam('siteId', e.target.value)}>
            <option value="">Any</option>
            {siteId && !(sites.data ?? []).some((s) => s.id === siteId) && <option value={siteId}>{siteId}</option>}
            {(sites.data ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field-inline">
          <span className="field-label">State</span>
          <select value={state} onChange={(e) => setParam('state', e.target.value)}>
            <option value="">Any</option>
            {ASSET_STATES.map((s) => (
              <option key={s} value={s}>
                {STATE_LABELS[s]}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={onlyNew} onChange={(e) => setParam('new', e.target.checked ? 'true' : '')} />
          New only
        </label>
        {profileId && (
          <span className="pill pill-info">
            Found by {profile ?? 'a profile'}{' '}
            <button type="button" className="btn-icon" aria-label="Show assets of every profile" onClick={() => setParam('profileId', '')}>
              ×
            </button>
          </span>
        )}
      </div>
      {query.isPending ? (
        <Loading label="Loading assets…" />
      ) : query.isError && assets.length === 0 ? (
        <ErrorState error={query.error} onRetry={() => void query.refetch()} />
      ) : assets.length === 0 ? (
        filtered ? (
          <Empty title="No asset matches these filters." />
        ) : (
          <Empty title="No assets discovered yet.">
            <Link to="/discovery/profiles">Run a discovery profile</Link> to find the hosts on a site’s network.
          </Empty>
        )
      ) : (
        <>
          {query.isError && <ErrorState error={query.error} onRetry={() => void query.fetchNextPage()} />}
          {!complete && assets.length >= ASSET_AUTOLOAD && (
            <button type="button" className="btn" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
              Load more
            </button>
          )}
          <AssetGrid rows={assets} />
        </>
      )}
    </section>
  )
}
