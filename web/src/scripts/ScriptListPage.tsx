import { useState } from 'react'
import { Link } from 'react-router'
import type { Script } from '../api/types'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { useOrgs, useTenant, useTenantNames } from '../tenant/tenant'
import { Empty, ErrorState, Loading } from '../ui/States'
import { relative } from '../ui/format'
import { useDebounced } from '../ui/useDebounced'
import { RunDialog } from './RunDialog'
import { languageLabel, useScripts } from './useScripts'

export default function ScriptListPage() {
  const me = useMe()
  const { sel } = useTenant()
  const [search, setSearch] = useState('')
  const q = useDebounced(search.trim(), 300)
  const [orgFilter, setOrgFilter] = useState<string | null>(null)
  const orgId = orgFilter ?? sel.orgId ?? ''
  const orgs = useOrgs()
  const names = useTenantNames()
  const { query, scripts } = useScripts({ orgId: orgId || undefined, q: q || undefined })
  const [running, setRunning] = useState<Script | null>(null)
  const canWrite = can(me, P.scriptsWrite)
  const canRun = can(me, P.devicesExecute)

  return (
    <section className="page" aria-labelledby="scripts-title">
      <header className="page-header">
        <h1 id="scripts-title">Scripts</h1>
        {!query.isPending && <span className="count">{scripts.length} script{scripts.length === 1 ? '' : 's'}</span>}
        {canWrite && (
          <div className="page-actions">
            <Link to="/scripts/new" className="btn btn-small btn-primary">
              New script
            </Link>
          </div>
        )}
      </header>
      <div className="filters" role="search">
        <label className="field-inline">
          <span className="visually-hidden">Search scripts</span>
          <input type="search" placeholder="Search scripts" value={search} onChange={(e) => setSearch(e.target.value)} maxLength={200} />
        </label>
        <label className="field-inline">
          <span className="field-label">Organization</span>
          <select value={orgId} onChange={(e) => setOrgFilter(e.target.value)}>
            <option value="">All</option>
            {(orgs.data ?? []).map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {query.isPending ? (
        <Loading label="Loading scripts…" />
      ) : query.isError ? (
        <ErrorState error={query.error} onRetry={() => void query.refetch()} />
      ) : scripts.length === 0 ? (
        q || orgId ? (
          <Empty title="No script matches." />
        ) : (
          <Empty title="No scripts yet.">
            {canWrite ? (
              <>
                <Link to="/scripts/new">Write the first one</Link>: it can then run on one device or a whole organization.
              </>
            ) : (
              'Scripts written by your technicians appear here.'
            )}
          </Empty>
        )
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Language</th>
              <th scope="col">Shared with</th>
              <th scope="col">Version</th>
              <th scope="col">Updated</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {scripts.map((s) => (
              <tr key={s.id}>
                <td>
                  <Link to={`/scripts/${encodeURIComponent(s.id)}`}>{s.name}</Link>
                  {s.description && <div className="hint">{s.description}</div>}
                </td>
                <td>{languageLabel(s.language)}</td>
                <td>{s.orgId ? (names.get(s.orgId) ?? 'one organization') : 'every organization'}</td>
                <td>v{s.version}</td>
                <td>{relative(s.updatedAt)}</td>
                <td className="actions">
                  {canRun && (
                    <button type="button" className="btn btn-small" onClick={() => setRunning(s)}>
                      Run…
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {query.hasNextPage && (
        <button type="button" className="btn" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
          More scripts
        </button>
      )}
      {running && <RunDialog script={running} onClose={() => setRunning(null)} />}
    </section>
  )
}
