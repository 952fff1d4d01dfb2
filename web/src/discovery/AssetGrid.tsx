// The asset table: a grid whose rows are virtualised (like the device grid),
// so the 65,536 hosts of a /16 keep only the visible rows in the DOM.
// Every string in it came from the network and is rendered as text.

import { useRef } from 'react'
import { useVirtualizer } from '@tanstack/react-virtual'
import { Link } from 'react-router'
import { dateTime, relative } from '../ui/format'
import { AssetMarks, AssetStateBadge } from './Badges'
import type { Asset } from './types'

const ROW_HEIGHT = 44
const COLUMNS = ['IP', 'MAC', 'Hostnames', 'Vendor', 'Open ports', 'State', 'First seen', 'Last seen']

export function portsText(a: Asset): string {
  return a.openPorts.map((p) => (p.service ? `${p.port}/${p.service}` : String(p.port))).join(', ')
}

export function AssetGrid({ rows }: { rows: Asset[] }) {
  const scrollRef = useRef<HTMLDivElement>(null)
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  })
  return (
    <div className="grid" role="grid" aria-label="Discovered assets" aria-rowcount={rows.length + 1} aria-colcount={COLUMNS.length}>
      <div role="rowgroup" className="grid-head">
        <div role="row" aria-rowindex={1} className="grid-row asset-cols">
          {COLUMNS.map((c) => (
            <div key={c} role="columnheader" className="cell">
              {c}
            </div>
          ))}
        </div>
      </div>
      <div ref={scrollRef} className="grid-body" role="rowgroup">
        <div className="grid-spacer" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((v) => {
            const a = rows[v.index]!
            const hostnames = a.hostnames.join(', ')
            const ports = portsText(a)
            return (
              <div
                key={a.id}
                role="row"
                aria-rowindex={v.index + 2}
                data-asset-id={a.id}
                className={`grid-row asset-cols${a.gone ? ' asset-row-gone' : ''}`}
                style={{ transform: `translateY(${v.start}px)`, height: ROW_HEIGHT }}
              >
                <div role="gridcell" className="cell cell-strong mono">
                  <Link to={`/discovery/assets/${encodeURIComponent(a.id)}`}>{a.ip}</Link> <AssetMarks asset={a} />
                </div>
                <div role="gridcell" className="cell mono">
                  {a.mac || '—'}
                </div>
                <div role="gridcell" className="cell" title={hostnames}>
                  {hostnames || '—'}
                </div>
                <div role="gridcell" className="cell" title={a.vendor ?? ''}>
                  {a.vendor || '—'}
                </div>
                <div role="gridcell" className="cell mono" title={ports}>
                  {ports || '—'}
                </div>
                <div role="gridcell" className="cell">
                  <AssetStateBadge asset={a} />
                </div>
                <div role="gridcell" className="cell" title={dateTime(a.firstSeen)}>
                  {relative(a.firstSeen)}
                </div>
                <div role="gridcell" className="cell" title={dateTime(a.lastSeen)}>
                  {relative(a.lastSeen)}
                </div>
              </div>
            )
          })}
        </div>
      </div>
    </div>
  )
}
