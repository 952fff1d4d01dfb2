import { lazy, Suspense, useState } from 'react'
import { Link, useParams, useSearchParams } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import { api, ApiError, errorMessage } from '../api/client'
import type { DeviceDetail } from '../api/types'
import { useMe } from '../auth/session'
import { can, canOn, P } from '../auth/permissions'
import { useLiveEvents, LIVE_FALLBACK_POLL_MS } from '../live/live'
import { useGroups, useSites, useTenantNames } from '../tenant/tenant'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { Dialog } from '../ui/Dialog'
import { Empty, ErrorState, Loading } from '../ui/States'
import { StatusBadge } from '../ui/StatusBadge'
import { TabPanel, Tabs } from '../ui/Tabs'
import { bytes, dateTime, percent, relative } from '../ui/format'
import { DevicePluginsPanel } from './DevicePluginsPanel'
import { DeviceUpdatePanel } from './DeviceUpdatePanel'
import { InventoryPanel } from './InventoryPanel'
import { deviceKeys, useDevice } from './useDevices'
import { pluginMetricNames } from './metricsSeries'

import { AlertsPanel } from '../alerts/AlertsPanel'
import { CommandsPanel } from '../remote/CommandsPanel'
import { FilesPanel } from '../remote/FilesPanel'
import type { TabDef } from '../ui/Tabs'

// uPlot and the charts load only when the Metrics tab opens; xterm only with the Terminal tab.
const MetricsPanel = lazy(() => import('./MetricsPanel'))
const TerminalPanel = lazy(() => import('../remote/TerminalPanel'))

type Tab = 'overview' | 'metrics' | 'inventory' | 'alerts' | 'commands' | 'terminal' | 'files'
const TAB_IDS: Tab[] = ['overview', 'metrics', 'inventory', 'alerts', 'commands', 'terminal', 'files']
const NO_REMOTE = 'Needs the remote:access permission on this device’s organization or site.'

export default function DevicePage() {
  const { id = '' } = useParams()
  const me = useMe()
  const [params, setParams] = useSearchParams()
  const tabParam = params.get('tab') as Tab | null
  const tab: Tab = tabParam && TAB_IDS.includes(tabParam) ? tabParam : 'overview'
  const { connected } = useLiveEvents()
  const device = useDevice(id, connected ? false : LIVE_FALLBACK_POLL_MS)
  const [dialog, setDialog] = useState<'move' | 'decommission' | null>(null)
  const qc = useQueryClient()
  const names = useTenantNames()

  if (device.isPending) return <Loading label="Loading the device…" />
  if (device.isError) {
    if (device.error instanceof ApiError && device.error.status === 404)
      return (
        <Empty title="This device does not exist, or you cannot see it.">
          <Link to="/devices">Back to the devices</Link>
        </Empty>
      )
    return <ErrorState error={device.error} onRetry={() => void device.refetch()} />
  }
  const d = device.data
  const writable = can(me, P.devicesWrite) && d.status !== 'decommissioned'
  const remote = canOn(me, P.remoteAccess, d)
  const remoteUsable = remote && d.status !== 'decommissioned'
  // A network device has no agent: no metrics, inventory or remote work.
  const network = d.kind === 'network'
  const allTabs: TabDef<Tab>[] = [
    { id: 'overview', label: 'Overview' },
    { id: 'metrics', label: 'Metrics' },
    { id: 'inventory', label: 'Inventory' },
    // only for callers who may read alerts
    ...(can(me, P.alertsRead) ? [{ id: 'alerts' as const, label: 'Alerts' }] : []),
    { id: 'commands', label: 'Commands' },
    { id: 'terminal', label: 'Terminal', disabled: !remoteUsable, title: remote ? undefined : NO_REMOTE },
    { id: 'files', label: 'Files', disabled: !remoteUsable, title: remote ? undefined : NO_REMOTE },
  ]
  const tabs = network ? allTabs.filter((t) => t.id === 'overview' || t.id === 'alerts') : allTabs
  const shown: Tab = tabs.some((t) => t.id === tab) ? tab : 'overview'

  return (
    <section className="page" aria-labelledby="device-title">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/devices">Devices</Link> / <span>{d.hostname}</span>
      </nav>
      <header className="page-header">
        <h1 id="device-title">{d.hostname}</h1>
        <StatusBadge status={d.status} />
        {network && <span className="badge badge-unknown">Network</span>}
        <span className="muted">
          {d.os}
          {d.arch ? ` · ${d.arch}` : ''} · seen {relative(d.lastSeenAt)}
        </span>
        {writable && (
          <div className="page-actions">
            <button type="button" className="btn btn-small" onClick={() => setDialog('move')}>
              Move…
            </button>
            <button type="button" className="btn btn-small btn-danger" onClick={() => setDialog('decommission')}>
              Decommission…
            </button>
          </div>
        )}
      </header>
      <Tabs
        tabs={tabs}
        value={shown}
        label="Device sections"
        onChange={(t) =>
          setParams(
            (p) => {
              const n = new URLSearchParams(p)
              if (t === 'overview') n.delete('tab')
              else n.set('tab', t)
              return n
            },
            { replace: true },
          )
        }
      />
      <TabPanel id={shown}>
        {shown === 'overview' && <Overview d={d} names={names} />}
        {shown === 'metrics' && (
          <Suspense fallback={<Loading label="Loading charts…" />}>
            <MetricsPanel
              deviceId={d.id}
              live={!connected ? LIVE_FALLBACK_POLL_MS : false}
              pluginMetrics={pluginMetricNames(d.latest?.detail?.plugins)}
            />
          </Suspense>
        )}
        {shown === 'inventory' && <InventoryPanel deviceId={d.id} />}
        {shown === 'alerts' && can(me, P.alertsRead) && <AlertsPanel deviceId={d.id} />}
        {shown === 'commands' && <CommandsPanel device={d} canExecute={canOn(me, P.devicesExecute, d)} live={connected} />}
        {(shown === 'terminal' || shown === 'files') && !remoteUsable && <RemoteRefused d={d} remote={remote} what={shown} />}
        {shown === 'terminal' && remoteUsable && (
          <Suspense fallback={<Loading label="Loading the terminal…" />}>
            <TerminalPanel deviceId={d.id} hostname={d.hostname} />
          </Suspense>
        )}
        {shown === 'files' && remoteUsable && <FilesPanel deviceId={d.id} os={d.os} />}
      </TabPanel>
      {dialog === 'decommission' && (
        <ConfirmDialog
          title={`Decommission ${d.hostname}?`}
          confirmLabel="Decommission"
          danger
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api.post(`/devices/${encodeURIComponent(d.id)}/decommission`)
            await qc.invalidateQueries({ queryKey: deviceKeys.all })
          }}
        >
          <p>
            The agent&apos;s token is revoked and its live link closed. The device stays listed as decommissioned; to
            manage it again, enroll it anew.
          </p>
        </ConfirmDialog>
      )}
      {dialog === 'move' && <MoveDeviceDialog d={d} onClose={() => setDialog(null)} />}
    </section>
  )
}

function RemoteRefused({ d, remote, what }: { d: DeviceDetail; remote: boolean; what: 'terminal' | 'files' }) {
  const title = what === 'terminal' ? 'The terminal is not available.' : 'File transfer is not available.'
  return (
    <Empty title={title}>
      {!remote
        ? `Your role does not grant remote access (remote:access) on ${d.hostname}’s organization or site. Ask an administrator for a technician role.`
        : 'The device is decommissioned.'}
    </Empty>
  )
}

function Overview({ d, names }: { d: DeviceDetail; names: Map<string, string> }) {
  const l = d.latest
  return (
    <div className="overview">
      <dl className="facts">
        <dt>Organization</dt>
        <dd>{names.get(d.orgId) ?? d.orgId}</dd>
        <dt>Site</dt>
        <dd>{names.get(d.siteId) ?? d.siteId}</dd>
        <dt>Group</dt>
        <dd>{d.groupId ? (names.get(d.groupId) ?? d.groupId) : 'none'}</dd>
        <dt>Operating system</dt>
        <dd>
          {d.os} {d.arch}
        </dd>
        <dt>Agent version</dt>
        <dd className="mono">{d.agentVersion || '—'}</dd>
        <dt>Last seen</dt>
        <dd title={d.lastSeenAt}>{d.lastSeenAt ? `${relative(d.lastSeenAt)} (${dateTime(d.lastSeenAt)})` : 'never'}</dd>
        <dt>Enrolled</dt>
        <dd>{dateTime(d.createdAt)}</dd>
        <dt>Device id</dt>
        <dd className="mono">{d.id}</dd>
        {d.kind !== 'network' && (
          <>
            <dt>Client certificate</dt>
            <dd>{certSummary(d)}</dd>
          </>
        )}
      </dl>
      {l ? (
        <>
          <h2 className="section-title">Latest telemetry ({relative(l.at)})</h2>
          <div className="tiles">
            <Tile label="CPU" value={`${Math.round(l.cpuPercent)} %`} />
            <Tile label="Memory" value={percent(l.memoryUsed, l.memoryTotal)} sub={`${bytes(l.memoryUsed)} of ${bytes(l.memoryTotal)}`} />
            <Tile label="Disk" value={percent(l.diskUsed, l.diskTotal)} sub={`${bytes(l.diskUsed)} of ${bytes(l.diskTotal)}`} />
            <Tile label="Network" value={`↓ ${bytes(l.netRxBps)}/s`} sub={`↑ ${bytes(l.netTxBps)}/s`} />
            <Tile label="Load" value={l.load1.toFixed(2)} sub={`${l.processCount} processes`} />
            <Tile label="Uptime" value={uptime(l.uptimeSeconds)} />
          </div>
          {l.detail?.disks && l.detail.disks.length > 0 && (
            <table className="table">
              <caption>Filesystems</caption>
              <thead>
                <tr>
                  <th scope="col">Mount</th>
                  <th scope="col">Type</th>
                  <th scope="col">Used</th>
                  <th scope="col">Size</th>
                </tr>
              </thead>
              <tbody>
                {l.detail.disks.map((k) => (
                  <tr key={k.mount}>
                    <td className="mono">{k.mount}</td>
                    <td>{k.fsType}</td>
                    <td>{percent(k.used, k.total)}</td>
                    <td>{bytes(k.total)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      ) : (
        <Empty title="No telemetry yet.">The agent reports its first sample when it connects.</Empty>
      )}
      <DevicePluginsPanel plugins={d.plugins} />
      <DeviceUpdatePanel deviceId={d.id} />
    </div>
  )
}

// certSummary says what mutual TLS would see of the device: its latest
// certificate's state, expiry (or revocation) and serial.
function certSummary(d: DeviceDetail) {
  const c = d.cert
  if (!c) return 'none yet (the agent asks for one over its link)'
  const when =
    c.state === 'revoked' && c.revokedAt
      ? `Revoked ${dateTime(c.revokedAt)}`
      : c.state === 'expired'
        ? `Expired ${dateTime(c.notAfter)}`
        : `Valid until ${dateTime(c.notAfter)}`
  return (
    <span title={`issued ${dateTime(c.issuedAt)} by CA ${c.caId}`}>
      {when} · serial <span className="mono">{c.serial}</span>
    </span>
  )
}

function Tile({ label, value, sub }: { label: string; value: string; sub?: string }) {
  return (
    <div className="tile">
      <span className="tile-label">{label}</span>
      <span className="tile-value">{value}</span>
      {sub && <span className="tile-sub">{sub}</span>}
    </div>
  )
}

function uptime(s: number): string {
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  return d > 0 ? `${d} d ${h} h` : h > 0 ? `${h} h ${m} min` : `${m} min`
}

function MoveDeviceDialog({ d, onClose }: { d: DeviceDetail; onClose: () => void }) {
  const qc = useQueryClient()
  const [siteId, setSiteId] = useState(d.siteId)
  const [groupId, setGroupId] = useState(d.groupId ?? '')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const sites = useSites(d.orgId)
  const groups = useGroups(d.orgId)
  const eligible = (groups.data ?? []).filter((g) => !g.siteId || g.siteId === siteId)
  const submit = async () => {
    setBusy(true)
    setError(null)
    try {
      await api.patch(`/devices/${encodeURIComponent(d.id)}`, { siteId, groupId, version: d.version })
      await qc.invalidateQueries({ queryKey: deviceKeys.all })
      onClose()
    } catch (e) {
      setError(errorMessage(e))
      setBusy(false)
    }
  }
  return (
    <Dialog
      title={`Move ${d.hostname}`}
      onClose={onClose}
      onSubmit={submit}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Moving…' : 'Move'}
          </button>
        </>
      }
    >
      <label className="field">
        <span className="field-label">Site</span>
        <select
          value={siteId}
          onChange={(e) => {
            setSiteId(e.target.value)
            setGroupId('')
          }}
        >
          {(sites.data ?? [{ id: d.siteId, name: d.siteId }]).map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field-label">Group</span>
        <select value={groupId} onChange={(e) => setGroupId(e.target.value)}>
          <option value="">No group</option>
          {eligible.map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </select>
      </label>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  )
}
