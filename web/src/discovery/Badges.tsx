import { Link } from 'react-router'
import type { Asset, Scan } from './types'

const SCAN_LABELS: Record<string, [string, string]> = {
  queued: ['Queued', 'pill'],
  running: ['Running', 'pill pill-info'],
  succeeded: ['Succeeded', 'pill pill-ok'],
  failed: ['Failed', 'pill pill-bad'],
  cancelled: ['Cancelled', 'pill pill-warn'],
  timed_out: ['Timed out', 'pill pill-bad'],
}

/** A scan's status in words (never colour alone). */
export function ScanStatusBadge({ status }: { status: string }) {
  const [label, cls] = SCAN_LABELS[status] ?? [status, 'pill']
  return <span className={cls}>{label}</span>
}

/** Addresses covered of the profile's addresses, as a bar and as numbers. */
export function ScanProgress({ scan: s }: { scan: Scan }) {
  const total = Math.max(0, s.addresses)
  const done = Math.min(Math.max(0, s.scanned), total || s.scanned)
  const pct = total ? Math.floor((done / total) * 100) : 0
  return (
    <span className="scan-progress">
      <progress max={total || 1} value={done} aria-label={`Scan progress: ${done.toLocaleString()} of ${total.toLocaleString()} addresses`} />
      <span className="hint">
        {done.toLocaleString()} / {total.toLocaleString()} ({pct} %)
      </span>
    </span>
  )
}

const STATE_LABELS: Record<string, [string, string]> = {
  candidate: ['Candidate', 'pill pill-warn'],
  managed: ['Managed', 'pill pill-ok'],
  tracked: ['Tracked', 'pill pill-info'],
  ignored: ['Ignored', 'pill'],
}

/** An asset's state; a managed one links to its device. */
export function AssetStateBadge({ asset: a }: { asset: Pick<Asset, 'state' | 'deviceId'> }) {
  const [label, cls] = STATE_LABELS[a.state] ?? [a.state, 'pill']
  if (a.state === 'managed' && a.deviceId)
    return (
      <Link to={`/devices/${encodeURIComponent(a.deviceId)}`} className={cls}>
        {label}
      </Link>
    )
  return <span className={cls}>{label}</span>
}

/** "New" (found first by the latest scan that saw it) and "Gone" (a complete scan missed it). */
export function AssetMarks({ asset: a }: { asset: Pick<Asset, 'new' | 'gone'> }) {
  return (
    <>
      {a.new && <span className="pill pill-info asset-new">New</span>}
      {a.gone && (
        <span className="pill pill-bad asset-gone" title="The latest complete scan of its range did not see it">
          Gone
        </span>
      )}
    </>
  )
}
