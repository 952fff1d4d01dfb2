import { useMemo, useState } from 'react'
import { Link, useParams } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import { api, ApiError, errorMessage } from '../api/client'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { useTenantNames } from '../tenant/tenant'
import { Empty, ErrorState, Loading } from '../ui/States'
import { dateTime, relative } from '../ui/format'
import { AssetMarks, AssetStateBadge, ScanStatusBadge } from './Badges'
import { DeployDialog } from './DeployDialog'
import type { Asset, SnmpInterface } from './types'
import { discoveryKeys, useAsset, useAssetEvents, useProfiles, useScansById } from './useDiscovery'

const EVENT_LABELS: Record<string, string> = {
  new: 'Found',
  gone: 'Gone',
  back: 'Back',
  ports_changed: 'Open ports changed',
  managed: 'Matched to an enrolled device',
  ignored: 'Ignored',
  unignored: 'No longer ignored',
  tracked: 'Tracked as a network device',
  deploy: 'Agent install command created',
}

const SNMP_KNOWN = ['sysName', 'sysDescr', 'sysObjectID', 'sysLocation']

/** The interfaces SNMP reported (a JSON array); null when it is not one. */
export function snmpInterfaces(raw?: string): SnmpInterface[] | null {
  if (!raw) return null
  try {
    const v: unknown = JSON.parse(raw)
    return Array.isArray(v) ? v.filter((x): x is SnmpInterface => !!x && typeof x === 'object') : null
  } catch {
    return null
  }
}

/** Text of a value from the network: strings as they are, anything else as JSON. */
const text = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v))

/** One discovered host: every fact, SNMP included, its events, the scans that saw it, and the actions. */
export default function AssetPage() {
  const { id = '' } = useParams()
  const me = useMe()
  const qc = useQueryClient()
  const names = useTenantNames()
  const asset = useAsset(id)
  const events = useAssetEvents(id)
  const [deploying, setDeploying] = useState(false)
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const a = asset.data
  const scans = useScansById(a?.seenByJobs ?? [])
  const profiles = useProfiles(a?.orgId, undefined, !!a)
  const profileNames = useMemo(() => new Map((profiles.data ?? []).map((p) => [p.id, p.name])), [profiles.data])

  if (asset.isPending) return <Loading label="Loading the asset…" />
  if (asset.isError || !a) {
    if (asset.error instanceof ApiError && asset.error.status === 404)
      return (
        <Empty title="This asset does not exist, or you cannot see it.">
          <Link to="/discovery">Back to the assets</Link>
        </Empty>
      )
    return <ErrorState error={asset.error} onRetry={() => void asset.refetch()} />
  }

  const canManage = can(me, P.discoveryManage)
  const canDeploy = canManage && can(me, P.enrollWrite)
  const act = async (action: 'ignore' | 'unignore' | 'track' | 'untrack') => {
    setBusy(action)
    setError(null)
    try {
      const next = await api.post<Asset>(`/discovery/assets/${encodeURIComponent(a.id)}/${action}`)
      qc.setQueryData(discoveryKeys.asset(a.id), next)
      void qc.invalidateQueries({ queryKey: discoveryKeys.events(a.id) })
      void qc.invalidateQueries({ queryKey: ['discovery', 'assets'] })
    } catch (e) {
      setError(errorMessage(e))
    } finally {
      setBusy(null)
    }
  }
  const ifaces = snmpInterfaces(a.snmp.interfaces)
  const snmpOther = Object.keys(a.snmp)
    .filter((k) => !SNMP_KNOWN.includes(k) && k !== 'interfaces')
    .sort()
  const hasSnmp = Object.keys(a.snmp).length > 0
  const eventList = events.data?.pages.flatMap((p) => p.items) ?? []

  return (
    <section className="page" aria-labelledby="asset-title">
      <p className="breadcrumb">
        <Link to="/discovery">Discovered assets</Link>
      </p>
      <header className="page-header">
        <h1 id="asset-title" className="mono">
          {a.ip}
        </h1>
        <AssetStateBadge asset={a} /> <AssetMarks asset={a} />
        {canManage && (
          <div className="page-actions">
            {canDeploy && a.state !== 'managed' && (
              <button type="button" className="btn btn-small btn-primary" onClick={() => setDeploying(true)}>
                Deploy agent…
              </button>
            )}
            {a.state !== 'managed' && a.state !== 'tracked' && (
              <button type="button" className="btn btn-small" disabled={!!busy} onClick={() => void act('track')}>
                {busy === 'track' ? 'Tracking…' : 'Track as network device'}
              </button>
            )}
            {a.state === 'tracked' && (
              <button type="button" className="btn btn-small" disabled={!!busy} onClick={() => void act('untrack')}>
                {busy === 'untrack' ? 'Working…' : 'Untrack'}
              </button>
            )}
            {a.state === 'ignored' ? (
              <button type="button" className="btn btn-small" disabled={!!busy} onClick={() => void act('unignore')}>
                {busy === 'unignore' ? 'Working…' : 'Unignore'}
              </button>
            ) : (
              <button type="button" className="btn btn-small" disabled={!!busy} onClick={() => void act('ignore')}>
                {busy === 'ignore' ? 'Working…' : 'Ignore'}
              </button>
            )}
          </div>
        )}
      </header>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <h2>Facts</h2>
      <dl className="facts">
        <dt>IP</dt>
        <dd className="mono">{a.ip}</dd>
        <dt>MAC</dt>
        <dd className="mono">{a.mac || '—'}</dd>
        <dt>Vendor</dt>
        <dd>{a.vendor || '—'}</dd>
        <dt>Hostnames</dt>
        <dd>
          {a.hostnames.length === 0
            ? '—'
            : a.hostnames.map((h, i) => (
                <div key={i} className="mono">
                  {h}
                </div>
              ))}
        </dd>
        <dt>Site</dt>
        <dd>
          {names.get(a.siteId) ?? a.siteId} <span className="muted">{names.get(a.orgId) ?? ''}</span>
        </dd>
        <dt>Device</dt>
        <dd>{a.deviceId ? <Link to={`/devices/${encodeURIComponent(a.deviceId)}`}>Open the enrolled device</Link> : 'No agent'}</dd>
        <dt>First seen</dt>
        <dd title={a.firstSeen}>{dateTime(a.firstSeen)}</dd>
        <dt>Last seen</dt>
        <dd title={a.lastSeen}>
          {dateTime(a.lastSeen)} ({relative(a.lastSeen)})
        </dd>
        {Object.keys(a.attributes)
          .sort()
          .map((k) => (
            <Fact key={`attr-${k}`} name={k} value={a.attributes[k]} />
          ))}
      </dl>
      <h2>Open ports</h2>
      {a.openPorts.length === 0 ? (
        <p className="hint">None found.</p>
      ) : (
        <table className="table">
          <caption className="visually-hidden">Open ports</caption>
          <thead>
            <tr>
              <th scope="col">Port</th>
              <th scope="col">Service (a guess from the port)</th>
            </tr>
          </thead>
          <tbody>
            {a.openPorts.map((p) => (
              <tr key={p.port}>
                <td className="mono">{p.port}</td>
                <td>{p.service || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>SNMP</h2>
      {!hasSnmp ? (
        <p className="hint">No SNMP answer.</p>
      ) : (
        <>
          <dl className="facts" aria-label="SNMP facts">
            {SNMP_KNOWN.filter((k) => a.snmp[k] !== undefined).map((k) => (
              <Fact key={k} name={k} value={a.snmp[k]} />
            ))}
            {snmpOther.map((k) => (
              <Fact key={k} name={k} value={a.snmp[k]} />
            ))}
          </dl>
          {a.snmp.interfaces !== undefined &&
            (ifaces === null ? (
              <dl className="facts">
                <Fact name="interfaces" value={a.snmp.interfaces} />
              </dl>
            ) : (
              <table className="table">
                <caption>Interfaces</caption>
                <thead>
                  <tr>
                    <th scope="col">Index</th>
                    <th scope="col">Name</th>
                    <th scope="col">MAC</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {ifaces.map((x, i) => (
                    <tr key={i}>
                      <td>{text(x.index)}</td>
                      <td>{text(x.name)}</td>
                      <td className="mono">{text(x.mac)}</td>
                      <td>{text(x.operStatus)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ))}
        </>
      )}
      <h2>Seen by scans</h2>
      {a.seenByJobs.length === 0 ? (
        <p className="hint">No scan recorded.</p>
      ) : (
        <table className="table">
          <caption className="visually-hidden">Scans that saw this asset</caption>
          <thead>
            <tr>
              <th scope="col">Scan</th>
              <th scope="col">Profile</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {a.seenByJobs.slice(0, 10).map((jid, i) => {
              const s = scans[i]?.data
              return (
                <tr key={jid}>
                  <td title={jid}>{s ? dateTime(s.startedAt ?? s.createdAt) : <span className="mono">{jid.slice(0, 8)}</span>}</td>
                  <td>
                    {s ? <Link to={`/discovery/profiles/${encodeURIComponent(s.profileId)}`}>{profileNames.get(s.profileId) ?? 'Profile'}</Link> : '—'}
                  </td>
                  <td>{s ? <ScanStatusBadge status={s.status} /> : scans[i]?.isError ? 'not readable' : '…'}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      <h2>Events</h2>
      {events.isPending ? (
        <Loading label="Loading events…" />
      ) : events.isError ? (
        <ErrorState error={events.error} onRetry={() => void events.refetch()} />
      ) : eventList.length === 0 ? (
        <p className="hint">No events yet.</p>
      ) : (
        <>
          <ol className="timeline" aria-label="Asset events">
            {eventList.map((e) => (
              <li key={e.id}>
                <time dateTime={e.at} title={e.at}>
                  {dateTime(e.at)}
                </time>{' '}
                <strong>{EVENT_LABELS[e.kind] ?? e.kind}</strong>
                {e.detail && <span className="muted"> — {e.detail}</span>}
              </li>
            ))}
          </ol>
          {events.hasNextPage && (
            <button type="button" className="btn btn-small" disabled={events.isFetchingNextPage} onClick={() => void events.fetchNextPage()}>
              Older events
            </button>
          )}
        </>
      )}
      {deploying && <DeployDialog asset={a} onClose={() => setDeploying(false)} />}
    </section>
  )
}

function Fact({ name, value }: { name: string; value?: string }) {
  return (
    <>
      <dt>{name}</dt>
      <dd className="pre-wrap">{value ?? ''}</dd>
    </>
  )
}
