import { useDeviceUpdateStates } from '../updates/useUpdates'
import { useEffect, useMemo, useState } from 'react'
import { useSearchParams, Link } from 'react-router'
import { useMe } from '../auth/session'
import { can, P } from '../auth/permissions'
import { useTenant, useTenantNames } from '../tenant/tenant'
import { LIVE_FALLBACK_POLL_MS, useLiveEvents } from '../live/live'
import { Empty, ErrorState, Loading } from '../ui/States'
import { useDebounced } from '../ui/useDebounced'
import { DeviceGrid } from './DeviceGrid'
import { BulkActions } from './BulkActions'
import { SORT_KEYS, sortDevices, type SortDir, type SortKey } from './sort'
import { AUTOLOAD_LIMIT, useDeviceList } from './useDevices'

const STATUSES = ['online', 'offline', 'pending', 'decommissioned']
const OSES = ['linux', 'windows', 'darwin']

export default function DeviceListPage() {
  const me = useMe()
  const updateStates = useDeviceUpdateStates()
  const { sel } = useTenant()
  const [params, setParams] = useSearchParams()
  const status = params.get('status') ?? ''
  const os = params.get('os') ?? ''
  const sortParam = params.get('sort') as SortKey | null
  const sort: SortKey = sortParam && SORT_KEYS.includes(sortParam) ? sortParam : 'hostname'
  const dir: SortDir = params.get('dir') === 'desc' ? 'desc' : 'asc'
  const [search, setSearch] = useState(params.get('q') ?? '')
  const q = useDebounced(search.trim(), 300)

  const setParam = (k: string, v: string) =>
    setParams(
      (p) => {
        const n = new URLSearchParams(p)
        if (v) n.set(k, v)
        else n.delete(k)
        return n
      },
      { replace: true },
    )
  // The debounced search goes into the URL (setParam only reads its arguments).
  useEffect(() => setParam('q', q), [q])

  const { connected } = useLiveEvents()
  const filters = { orgId: sel.orgId, siteId: sel.siteId, groupId: sel.groupId, status, os, q }
  const { query, devices, complete } = useDeviceList(filters, {
    refetchInterval: connected ? false : LIVE_FALLBACK_POLL_MS,
  })
  const names = useTenantNames()
  const rows = useMemo(() => sortDevices(devices, sort, dir, names), [devices, sort, dir, names])

  // The selection keeps only devices still listed.
  const [selected, setSelected] = useState<Set<string>>(new Set())
  useEffect(() => {
    setSelected((s) => {
      if (s.size === 0) return s
      const listed = new Set(devices.map((d) => d.id))
      const kept = new Set([...s].filter((id) => listed.has(id)))
      return kept.size === s.size ? s : kept
    })
  }, [devices])
  const select = (ids: string[], on: boolean) =>
    setSelected((s) => {
      const n = new Set(s)
      for (const id of ids) {
        if (on) n.add(id)
        else n.delete(id)
      }
      return n
    })
  const selectedDevices = useMemo(() => rows.filter((d) => selected.has(d.id)), [rows, selected])

  const onSort = (key: SortKey) => {
    setParams(
      (p) => {
        const n = new URLSearchParams(p)
        const nextDir = sort === key && dir === 'asc' ? 'desc' : 'asc'
        n.set('sort', key)
        n.set('dir', nextDir)
        return n
      },
      { replace: true },
    )
  }

  const filtered = !!(status || os || q || sel.orgId)
  return (
    <section className="page page-fill" aria-labelledby="devices-title">
      <header className="page-header">
        <h1 id="devices-title">Devices</h1>
        <span className="count" role="status" aria-live="polite">
          {query.isPending
            ? ''
            : complete
              ? `${devices.length.toLocaleString()} device${devices.length === 1 ? '' : 's'}`
              : `${devices.length.toLocaleString()} loaded…`}
        </span>
        <div className="page-actions">
          {!connected && (
            <button type="button" className="btn btn-small" onClick={() => void query.refetch()} disabled={query.isFetching}>
              {query.isFetching && !query.isFetchingNextPage ? 'Refreshing…' : 'Refresh'}
            </button>
          )}
          {can(me, P.enrollWrite) && (
            <Link to="/enrollment-keys" className="btn btn-small btn-primary">
              Add devices
            </Link>
          )}
        </div>
      </header>
      <div className="filters" role="search">
        <label className="field-inline">
          <span className="visually-hidden">Search hostnames</span>
          <input
            type="search"
            placeholder="Search hostnames"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            maxLength={200}
          />
        </label>
        <label className="field-inline">
          <span className="field-label">Status</span>
          <select value={status} onChange={(e) => setParam('status', e.target.value)}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="field-inline">
          <span className="field-label">OS</span>
          <select value={os} onChange={(e) => setParam('os', e.target.value)}>
            <option value="">Any</option>
            {OSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      {selected.size > 0 && (
        <BulkActions
          devices={selectedDevices}
          canWrite={can(me, P.devicesWrite)}
          canExecute={can(me, P.devicesExecute)}
          onClear={() => setSelected(new Set())} />
      )}
      {query.isPending ? (
        <Loading label="Loading devices…" />
      ) : query.isError && devices.length === 0 ? (
        <ErrorState error={query.error} onRetry={() => void query.refetch()} />
      ) : devices.length === 0 ? (
        filtered ? (
          <Empty title="No device matches these filters." />
        ) : (
          <Empty title="No devices yet.">
            {can(me, P.enrollWrite) ? (
              <>
                Create an <Link to="/enrollment-keys">enrollment key</Link> and run its install command on a machine.
              </>
            ) : (
              'Devices appear here once an agent enrolls.'
            )}
          </Empty>
        )
      ) : (
        <>
          {query.isError && <ErrorState error={query.error} onRetry={() => void query.fetchNextPage()} />}
          {!complete && devices.length >= AUTOLOAD_LIMIT && (
            <button type="button" className="btn" onClick={() => void query.fetchNextPage()}>
              Load more
            </button>
          )}
          <DeviceGrid
            rows={rows}
            names={names}
            selected={selected}
            onSelect={select}
            onSelectOnly={(ids) => setSelected(new Set(ids))}
            sort={sort}
            dir={dir}
            onSort={onSort}
            updates={updateStates.data}
          />
        </>
      )}
    </section>
  )
}
