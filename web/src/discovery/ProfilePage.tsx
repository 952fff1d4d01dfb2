import { useState } from 'react'
import { Link, useParams } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import { ApiError, errorMessage } from '../api/client'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { useTenantNames } from '../tenant/tenant'
import { Empty, ErrorState, Loading } from '../ui/States'
import { ProfileEditor } from './ProfileEditor'
import { runScan } from './runScan'
import { ScansTable } from './ScansTable'
import { useProfile, useScans, useSiteDevices } from './useDiscovery'

/** One profile: what it scans and how, and its scans (polled while one runs). */
export default function ProfilePage() {
  const { id = '' } = useParams()
  const me = useMe()
  const qc = useQueryClient()
  const names = useTenantNames()
  const profile = useProfile(id)
  const scans = useScans(id)
  const devices = useSiteDevices(profile.data?.siteId ?? '')
  const [editing, setEditing] = useState(false)
  const [starting, setStarting] = useState(false)
  const [notice, setNotice] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const canManage = can(me, P.discoveryManage)

  if (profile.isPending) return <Loading label="Loading the profile…" />
  if (profile.isError) {
    if (profile.error instanceof ApiError && profile.error.status === 404)
      return (
        <Empty title="This profile does not exist, or you cannot see it.">
          <Link to="/discovery/profiles">Back to the profiles</Link>
        </Empty>
      )
    return <ErrorState error={profile.error} onRetry={() => void profile.refetch()} />
  }
  const p = profile.data
  const hostnames = new Map((devices.data ?? []).map((d) => [d.id, d.hostname]))
  const running = scans.data?.some((s) => s.status === 'queued' || s.status === 'running')
  const run = async () => {
    setStarting(true)
    setError(null)
    setNotice(null)
    try {
      await runScan(qc, p.id)
      setNotice('Scan started.')
    } catch (e) {
      setError(errorMessage(e))
    } finally {
      setStarting(false)
    }
  }

  return (
    <section className="page" aria-labelledby="profile-title">
      <p className="breadcrumb">
        <Link to="/discovery/profiles">Discovery profiles</Link>
      </p>
      <header className="page-header">
        <h1 id="profile-title">{p.name}</h1>
        {canManage && (
          <div className="page-actions">
            <button type="button" className="btn btn-small btn-primary" disabled={starting || running} onClick={() => void run()}>
              {starting ? 'Starting…' : 'Run now'}
            </button>
            <button type="button" className="btn btn-small" onClick={() => setEditing(true)}>
              Edit…
            </button>
          </div>
        )}
      </header>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <dl className="facts">
        <dt>Site</dt>
        <dd>
          {names.get(p.siteId) ?? p.siteId} <span className="muted">{names.get(p.orgId) ?? ''}</span>
        </dd>
        <dt>Targets</dt>
        <dd className="mono">{p.targets.join(', ')}</dd>
        {p.exclusions.length > 0 && (
          <>
            <dt>Exclusions</dt>
            <dd className="mono">{p.exclusions.join(', ')}</dd>
          </>
        )}
        <dt>Addresses</dt>
        <dd>{p.addresses.toLocaleString()}</dd>
        <dt>Methods</dt>
        <dd>{p.methods.join(', ')}</dd>
        {p.methods.includes('tcp') && (
          <>
            <dt>TCP ports</dt>
            <dd className="mono">{p.ports.join(', ')}</dd>
          </>
        )}
        <dt>Limits</dt>
        <dd>
          {p.ratePerSecond.toLocaleString()} probes/s, {p.concurrency} at once, scan timeout {p.timeoutSeconds.toLocaleString()} s
        </dd>
        <dt>Scanning devices</dt>
        <dd>
          {p.scannerDeviceIds.map((d, i) => (
            <span key={d}>
              {i > 0 && ', '}
              <Link to={`/devices/${encodeURIComponent(d)}`}>{hostnames.get(d) ?? d}</Link>
            </span>
          ))}
          {p.split && p.scannerDeviceIds.length > 1 ? ' (targets split between them)' : ''}
        </dd>
        {p.snmp && (
          <>
            <dt>SNMP</dt>
            <dd>
              v{p.snmp.version}
              {p.snmp.version === '3' ? `, user ${p.snmp.user ?? ''}, ${p.snmp.authProto || 'no auth'}, ${p.snmp.privProto || 'no privacy'}` : ''}
              {p.snmp.community?.set ? ', community set' : ''}, port {p.snmp.port}
            </dd>
          </>
        )}
      </dl>
      <p>
        <Link to={`/discovery?profileId=${encodeURIComponent(p.id)}`}>Assets this profile found</Link>
      </p>
      <h2>Scans</h2>
      {scans.isPending ? (
        <Loading label="Loading scans…" />
      ) : scans.isError ? (
        <ErrorState error={scans.error} onRetry={() => void scans.refetch()} />
      ) : scans.data.length === 0 ? (
        <Empty title="Not scanned yet.">{canManage ? 'Run it now, or schedule it under Schedules.' : null}</Empty>
      ) : (
        <ScansTable scans={scans.data} canManage={canManage} hostnames={hostnames} />
      )}
      {editing && <ProfileEditor profile={p} onClose={() => setEditing(false)} />}
    </section>
  )
}
