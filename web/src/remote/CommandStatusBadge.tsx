import type { CommandStatus } from '../api/types'

const LOOK: Record<CommandStatus, { label: string; cls: string }> = {
  queued: { label: 'Queued', cls: 'pill' },
  sent: { label: 'Sent', cls: 'pill pill-info' },
  running: { label: 'Running', cls: 'pill pill-info' },
  succeeded: { label: 'Succeeded', cls: 'pill pill-ok' },
  failed: { label: 'Failed', cls: 'pill pill-bad' },
  timed_out: { label: 'Timed out', cls: 'pill pill-bad' },
  expired: { label: 'Expired', cls: 'pill pill-warn' },
  cancelled: { label: 'Cancelled', cls: 'pill pill-warn' },
}

/** A command's state as a word and a colour, never colour alone. */
export function CommandStatusBadge({ status }: { status: string }) {
  const look = LOOK[status as CommandStatus] ?? { label: status || 'Unknown', cls: 'pill' }
  return <span className={look.cls}>{look.label}</span>
}
