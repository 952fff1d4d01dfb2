import { useMemo, useState } from 'react'
import { useQuery } from '@tanstack/react-query'
import { api, ApiError } from '../api/client'
import type { DeviceInventory } from '../api/types'
import { Empty, ErrorState, Loading } from '../ui/States'
import { bytes, dateTime } from '../ui/format'

const SOFTWARE_SHOWN = 500

export function InventoryPanel({ deviceId }: { deviceId: string }) {
  const inv = useQuery({
    queryKey: ['devices', 'inventory', deviceId],
    queryFn: ({ signal }) => api.get<DeviceInventory>(`/devices/${encodeURIComponent(deviceId)}/inventory`, undefined, signal),
  })
  if (inv.isPending) return <Loading label="Loading the inventory…" />
  if (inv.isError) {
    if (inv.error instanceof ApiError && inv.error.status === 404)
      return <Empty title="No inventory yet.">The agent sends one shortly after it first connects.</Empty>
    return <ErrorState error={inv.error} onRetry={() => void inv.refetch()} />
  }
  const d = inv.data
  return (
    <div className="inventory">
      <p className="muted">Collected {dateTime(d.at)}; received {dateTime(d.updatedAt)}.</p>
      <dl className="facts">
        {d.os && (
          <>
            <dt>Hostname</dt>
            <dd>{d.os.hostname}</dd>
            <dt>Operating system</dt>
            <dd>
              {d.os.platform} {d.os.version} ({d.os.name})
            </dd>
            <dt>Kernel</dt>
            <dd className="mono">{d.os.kernelVersion}</dd>
          </>
        )}
        {d.cpu && (
          <>
            <dt>Processor</dt>
            <dd>
              {d.cpu.model} — {d.cpu.cores} cores, {d.cpu.threads} threads
            </dd>
          </>
        )}
        <dt>Memory</dt>
        <dd>{bytes(d.memoryTotal)}</dd>
      </dl>
      <Table caption="Disks" head={['Name', 'Model', 'Size']} rows={d.disks.map((x) => [x.name, x.model ?? '', bytes(x.size)])} />
      <Table
        caption="Filesystems"
        head={['Mount', 'Device', 'Type', 'Size']}
        rows={d.filesystems.map((x) => [x.mount, x.device, x.fsType, bytes(x.total)])}
      />
      <Table
        caption="Network interfaces"
        head={['Name', 'MAC', 'Addresses']}
        rows={d.interfaces.map((x) => [x.name, x.mac ?? '', (x.addresses ?? []).join(', ')])}
      />
      <Software list={d.software} />
    </div>
  )
}

function Table({ caption, head, rows }: { caption: string; head: string[]; rows: string[][] }) {
  if (rows.length === 0) return <Empty title={`${caption}: not reported.`} />
  return (
    <table className="table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          {head.map((h) => (
            <th key={h} scope="col">
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            {r.map((c, j) => (
              <td key={j}>{c}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function Software({ list }: { list: DeviceInventory['software'] }) {
  const [q, setQ] = useState('')
  const filtered = useMemo(() => {
    const n = q.trim().toLowerCase()
    const out = n ? list.filter((s) => s.name.toLowerCase().includes(n)) : list
    return [...out].sort((a, b) => a.name.localeCompare(b.name))
  }, [list, q])
  return (
    <section aria-labelledby="software-title">
      <h2 id="software-title" className="section-title">
        Installed software ({list.length.toLocaleString()})
      </h2>
      {list.length === 0 ? (
        <Empty title="No software reported." />
      ) : (
        <>
          <label className="field-inline">
            <span className="visually-hidden">Filter software</span>
            <input type="search" placeholder="Filter by name" value={q} onChange={(e) => setQ(e.target.value)} />
          </label>
          {filtered.length === 0 ? (
            <Empty title="No package matches." />
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Version</th>
                  <th scope="col">Source</th>
                </tr>
              </thead>
              <tbody>
                {filtered.slice(0, SOFTWARE_SHOWN).map((s, i) => (
                  <tr key={`${s.name}-${s.version}-${i}`}>
                    <td>{s.name}</td>
                    <td className="mono">{s.version}</td>
                    <td>{s.source}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {filtered.length > SOFTWARE_SHOWN && (
            <p className="muted">
              Showing {SOFTWARE_SHOWN} of {filtered.length.toLocaleString()}; type to narrow the list.
            </p>
          )}
        </>
      )}
    </section>
  )
}
