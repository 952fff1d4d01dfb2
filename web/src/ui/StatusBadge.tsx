import type { DeviceStatus } from '../api/types'

const LABELS: Record<DeviceStatus, string> = {
  online: 'Online',
  offline: 'Offline',
  pending: 'Pending',
  decommissioned: 'Decommissioned',
}

/** A device's presence: a word and a colour, never colour alone. */
export function StatusBadge({ status }: { status: string }) {
  const known = status in LABELS ? (status as DeviceStatus) : null
  return (
    <span className={`badge badge-${known ?? 'unknown'}`}>
      <span className="badge-dot" aria-hidden="true" />
      {known ? LABELS[known] : status || 'Unknown'}
    </span>
  )
}
