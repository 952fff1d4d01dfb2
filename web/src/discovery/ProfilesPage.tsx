import { useMemo, useState } from 'react'
import { Link } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { useTenant, useTenantNames } from '../tenant/tenant'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { Empty, ErrorState, Loading } from '../ui/States'
import { ScanProgress, ScanStatusBadge } from './Badges'
import { DiscoveryNav } from './DiscoveryNav'
import { AllowedRanges } from './AllowedRanges'
import { ProfileEditor } from './ProfileEditor'
import { runScan } from './runScan'
import type { Profile, Scan } from './types'
import { discoveryKeys, useActiveScans, useProfiles } from './useDiscovery'

/** The discovery profiles of the tenant's organization or site: what each scans, how, and its running scan. */
export default function ProfilesPage() {
  const me = useMe()
  const qc = useQueryClient()
  const { sel } = useTenant()
  const names = useTenantNames()
  const canRead = can(me, P.discoveryRead)
  const canManage = can(me, P.discoveryManage)
  const profiles = useProfiles(sel.orgId, sel.siteId, canRead)
  const active = useActiveScans(sel.orgId, canRead)
  const running = useMemo(() => {
    const m = new Map<string, Scan>()
    for (const s of active.data ?? []) if (!m.has(s.profileId)) m.set(s.profileId, s)
    return m
  }, [active.data])
  const [editing, setEditing] = useState<Profile | 'new' | null>(null)
  const [deleting, setDeleting] = useState<Profile | null>(null)
  const [starting, setStarting] = useState<string | null>(null)
  const [started, setStarted] = useState<{ profile: Profile; scan: Scan } | null>(null)
  const [error, setError] = useState<string | null>(null)

  if (!canRead)
    return (
      <Empty title="You cannot see network discovery.">
        Your role does not grant discovery:read. <Link to="/">Home</Link>
      </Empty>
    )

  const run = async (p: Profile) => {
    setStarting(p.id)
    setError(null)
    setStarted(null)
    try {
      setStarted({ profile: p, scan: await runScan(qc, p.id) })
    } catch (e) {
      setError(`${p.name}: ${errorMessage(e)}`)
    } finally {
      setStarting(null)
    }
  }

  return (
    <section className="page" aria-labelledby="profiles-title">
      <header className="page-header">
        <h1 id="profiles-title">Discovery profiles</h1>
        {profiles.data && (
          <span className="count">
            {profiles.data.length} profile{profiles.data.length === 1 ? '' : 's'}
          </span>
        )}
        {canManage && (
          <div className="page-actions">
            <button type="button" className="btn btn-small btn-primary" onClick={() => setEditing('new')}>
              New profile
            </button>
          </div>
        )}
      </header>
      <DiscoveryNav />
      <p className="hint">A profile scans a site’s network from the site’s own agents; what it finds shows under Assets.</p>
      {sel.orgId && (
        <AllowedRanges orgId={sel.orgId} orgName={names.get(sel.orgId) ?? 'this organization'} canEdit={canManage && can(me, P.orgsWrite)} />
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {started && (
        <p className="notice" role="status">
          Scan of {started.profile.name} started.{' '}
          <Link to={`/discovery/profiles/${encodeURIComponent(started.profile.id)}`}>Follow its progress</Link>
        </p>
      )}
      {profiles.isPending ? (
        <Loading label="Loading profiles…" />
      ) : profiles.isError ? (
        <ErrorState error={profiles.error} onRetry={() => void profiles.refetch()} />
      ) : profiles.data.length === 0 ? (
        <Empty title="No discovery profiles yet.">{canManage ? 'Create one to scan a site’s network for hosts without an agent.' : null}</Empty>
      ) : (
        <table className="table">
          <caption className="visually-hidden">Discovery profiles</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Site</th>
              <th scope="col">Targets</th>
              <th scope="col">Methods</th>
              <th scope="col">Scan</th>
              {canManage && (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {profiles.data.map((p) => {
              const scan = running.get(p.id)
              return (
                <tr key={p.id}>
                  <td>
                    <Link to={`/discovery/profiles/${encodeURIComponent(p.id)}`}>{p.name}</Link>
                  </td>
                  <td>
                    {names.get(p.siteId) ?? '—'}
                    <div className="hint">{names.get(p.orgId) ?? ''}</div>
                  </td>
                  <td className="mono">
                    {p.targets.slice(0, 3).join(', ')}
                    {p.targets.length > 3 ? ` +${p.targets.length - 3}` : ''}
                    <div className="hint">
                      {p.addresses.toLocaleString()} address{p.addresses === 1 ? '' : 'es'}
                      {p.exclusions.length > 0 ? `, ${p.exclusions.length} exclusion${p.exclusions.length === 1 ? '' : 's'}` : ''}
                    </div>
                  </td>
                  <td>{p.methods.join(', ')}</td>
                  <td>
                    {scan ? (
                      <>
                        <ScanStatusBadge status={scan.status} /> <ScanProgress scan={scan} />
                      </>
                    ) : (
                      <Link to={`/discovery/profiles/${encodeURIComponent(p.id)}`} aria-label={`Scans of ${p.name}`}>
                        History
                      </Link>
                    )}
                  </td>
                  {canManage && (
                    <td className="actions">
                      <button
                        type="button"
                        className="btn btn-small btn-primary"
                        disabled={starting === p.id || !!scan}
                        onClick={() => void run(p)}
                        aria-label={`Run ${p.name} now`}
                      >
                        {starting === p.id ? 'Starting…' : 'Run now'}
                      </button>
                      <button type="button" className="btn btn-small" onClick={() => setEditing(p)} aria-label={`Edit ${p.name}`}>
                        Edit…
                      </button>
                      <button type="button" className="btn btn-small btn-danger" onClick={() => setDeleting(p)} aria-label={`Delete ${p.name}`}>
                        Delete…
                      </button>
                    </td>
                  )}
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      {editing && <ProfileEditor profile={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} />}
      {deleting && (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          confirmLabel="Delete"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api.del(`/discovery/profiles/${encodeURIComponent(deleting.id)}`)
            await qc.invalidateQueries({ queryKey: discoveryKeys.all })
          }}
        >
          <p>It no longer scans. The assets it found stay.</p>
        </ConfirmDialog>
      )}
    </section>
  )
}
