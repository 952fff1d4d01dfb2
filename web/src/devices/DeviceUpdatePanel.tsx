import { deviceStateLabel, useDeviceUpdate } from '../updates/useUpdates'
import { dateTime } from '../ui/format'

/** The device's state in its newest agent rollout (nothing when it was in none). */
export function DeviceUpdatePanel({ deviceId }: { deviceId: string }) {
  const q = useDeviceUpdate(deviceId)
  if (!q.data) return null
  const u = q.data
  const bad = u.state === 'failed' || u.state === 'rolled_back'
  return (
    <>
      <h2 className="section-title">Agent update</h2>
      <dl className="facts" aria-label="Agent update">
        <dt>State</dt>
        <dd>
          <span className={`pill ${bad ? 'pill-warn' : u.state === 'linked' ? 'pill-ok' : ''}`}>{deviceStateLabel(u.state)}</span>
        </dd>
        <dt>From version</dt>
        <dd className="mono">{u.fromVersion || '—'}</dd>
        {u.error && (
          <>
            <dt>Error</dt>
            <dd className="plugin-error">{u.error}</dd>
          </>
        )}
        <dt>Updated</dt>
        <dd>{dateTime(u.updatedAt)}</dd>
      </dl>
    </>
  )
}
