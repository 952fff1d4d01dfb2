// The device table: a WAI-ARIA grid whose rows are virtualised, so 10 000
// devices keep only the visible rows (and a few more) in the DOM.
// Keyboard: ↑/↓, PageUp/PageDown, Home/End move; Space selects; Enter opens;
// Ctrl/Cmd+A selects all; Escape clears the selection.

import { deviceStateLabel } from '../updates/useUpdates'
import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react'
import { useVirtualizer } from '@tanstack/react-virtual'
import { Link, useNavigate } from 'react-router'
import type { Device } from '../api/types'
import { StatusBadge } from '../ui/StatusBadge'
import { relative } from '../ui/format'
import type { SortDir, SortKey } from './sort'

const ROW_HEIGHT = 40

interface Column {
  key: SortKey
  label: string
}

const COLUMNS: Column[] = [
  { key: 'hostname', label: 'Hostname' },
  { key: 'status', label: 'Status' },
  { key: 'os', label: 'OS' },
  { key: 'org', label: 'Organization' },
  { key: 'site', label: 'Site' },
  { key: 'lastSeenAt', label: 'Last seen' },
  { key: 'agentVersion', label: 'Agent' },
]

interface GridProps {
  rows: Device[]
  names: Map<string, string>
  selected: Set<string>
  onSelect: (ids: string[], on: boolean) => void
  onSelectOnly: (ids: string[]) => void
  sort: SortKey
  dir: SortDir
  onSort: (key: SortKey) => void
  /** Each device's state in its newest agent rollout (absent: none). */
  updates?: Map<string, string>
}

export function DeviceGrid({ rows, names, selected, onSelect, onSelectOnly, sort, dir, onSort, updates }: GridProps) {
  const scrollRef = useRef<HTMLDivElement>(null)
  const navigate = useNavigate()
  const [active, setActive] = useState(0)
  const anchor = useRef<number | null>(null)
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  })

  useEffect(() => {
    if (active > rows.length - 1) setActive(Math.max(0, rows.length - 1))
  }, [rows.length, active])

  const moveTo = useCallback(
    (i: number) => {
      const n = Math.max(0, Math.min(rows.length - 1, i))
      setActive(n)
      virtualizer.scrollToIndex(n, { align: 'auto' })
    },
    [rows.length, virtualizer],
  )

  const allSelected = rows.length > 0 && rows.every((d) => selected.has(d.id))
  const someSelected = !allSelected && rows.some((d) => selected.has(d.id))

  const toggleRow = (i: number, e: { shiftKey: boolean }) => {
    const d = rows[i]
    if (!d) return
    if (e.shiftKey && anchor.current !== null) {
      const [a, b] = [Math.min(anchor.current, i), Math.max(anchor.current, i)]
      onSelect(
        rows.slice(a, b + 1).map((x) => x.id),
        true,
      )
    } else {
      onSelect([d.id], !selected.has(d.id))
      anchor.current = i
    }
    setActive(i)
  }

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (rows.length === 0) return
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 400) / ROW_HEIGHT) - 1)
    switch (e.key) {
      case 'ArrowDown':
        moveTo(active + 1)
        break
      case 'ArrowUp':
        moveTo(active - 1)
        break
      case 'PageDown':
        moveTo(active + page)
        break
      case 'PageUp':
        moveTo(active - page)
        break
      case 'Home':
        moveTo(0)
        break
      case 'End':
        moveTo(rows.length - 1)
        break
      case ' ':
        toggleRow(active, e)
        break
      case 'Enter': {
        const d = rows[active]
        if (d) navigate(`/devices/${encodeURIComponent(d.id)}`)
        break
      }
      case 'Escape':
        onSelectOnly([])
        break
      case 'a':
        if (!(e.ctrlKey || e.metaKey)) return
        onSelectOnly(rows.map((d) => d.id))
        break
      default:
        return
    }
    e.preventDefault()
  }

  const activeId = rows[active] ? `device-row-${rows[active]!.id}` : undefined

  return (
    <div
      className="grid"
      role="grid"
      aria-label="Devices"
      aria-rowcount={rows.length + 1}
      aria-colcount={COLUMNS.length + 1}
      aria-multiselectable="true"
      aria-activedescendant={activeId}
      tabIndex={0}
      onKeyDown={onKeyDown}
    >
      <div role="rowgroup" className="grid-head">
        <div role="row" aria-rowindex={1} className="grid-row device-cols">
          <div role="columnheader" className="cell cell-check">
            <input
              type="checkbox"
              tabIndex={-1}
              aria-label={allSelected ? 'Clear the selection' : 'Select all listed devices'}
              checked={allSelected}
              ref={(el) => {
                if (el) el.indeterminate = someSelected
              }}
              onChange={() => onSelectOnly(allSelected ? [] : rows.map((d) => d.id))}
            />
          </div>
          {COLUMNS.map((c) => (
            <div
              key={c.key}
              role="columnheader"
              className="cell"
              aria-sort={sort === c.key ? (dir === 'asc' ? 'ascending' : 'descending') : 'none'}
            >
              <button type="button" className="sort-button" onClick={() => onSort(c.key)}>
                {c.label}
                <span className="sort-mark" aria-hidden="true">
                  {sort === c.key ? (dir === 'asc' ? '▲' : '▼') : ''}
                </span>
              </button>
            </div>
          ))}
        </div>
      </div>
      <div ref={scrollRef} className="grid-body" role="rowgroup">
        <div className="grid-spacer" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((v) => {
            const d = rows[v.index]!
            const isSel = selected.has(d.id)
            return (
              <div
                key={d.id}
                id={`device-row-${d.id}`}
                role="row"
                aria-rowindex={v.index + 2}
                aria-selected={isSel}
                className={`grid-row device-cols${isSel ? ' selected' : ''}${v.index === active ? ' active' : ''}`}
                style={{ transform: `translateY(${v.start}px)`, height: ROW_HEIGHT }}
                onClick={(e: MouseEvent) => {
                  if ((e.target as HTMLElement).closest('a,input')) return
                  setActive(v.index)
                }}
              >
                <div role="gridcell" className="cell cell-check">
                  <input
                    type="checkbox"
                    tabIndex={-1}
                    aria-label={`Select ${d.hostname}`}
                    checked={isSel}
                    onChange={(e) => toggleRow(v.index, { shiftKey: (e.nativeEvent as globalThis.MouseEvent).shiftKey === true })}
                  />
                </div>
                <div role="gridcell" className="cell cell-strong">
                  <Link to={`/devices/${encodeURIComponent(d.id)}`} tabIndex={-1}>
                    {d.hostname}
                  </Link>
                  {d.kind === 'network' && (
                    <span className="badge badge-unknown" title="A tracked network device: watched by its site's agents, no agent of its own">
                      Network
                    </span>
                  )}
                </div>
                <div role="gridcell" className="cell">
                  <StatusBadge status={d.status} />
                </div>
                <div role="gridcell" className="cell">
                  {d.os}
                  {d.arch ? ` · ${d.arch}` : ''}
                </div>
                <div role="gridcell" className="cell">
                  {names.get(d.orgId) ?? '—'}
                </div>
                <div role="gridcell" className="cell">
                  {names.get(d.siteId) ?? '—'}
                </div>
                <div role="gridcell" className="cell" title={d.lastSeenAt ?? ''}>
                  {relative(d.lastSeenAt)}
                </div>
                <div role="gridcell" className="cell mono">
                  {d.agentVersion || '—'}
                  <UpdatePill state={updates?.get(d.id)} />
                </div>
              </div>
            )
          })}
        </div>
      </div>
    </div>
  )
}

/** A device's update state next to its version; nothing once it is done. */
function UpdatePill({ state }: { state?: string }) {
  if (!state || state === 'linked' || state === 'skipped') return null
  const bad = state === 'failed' || state === 'rolled_back'
  return (
    <span className={`pill ${bad ? 'pill-warn' : ''}`} title="Agent update (its newest rollout)">
      {deviceStateLabel(state)}
    </span>
  )
}
