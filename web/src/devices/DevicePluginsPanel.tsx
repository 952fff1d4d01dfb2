import type { DevicePluginState } from '../api/types'
import { PluginStatePill } from '../plugins/PluginStateBadge'
import { UnsignedBadge } from '../plugins/UnsignedBadge'
import { Empty } from '../ui/States'
import { dateTime, relative } from '../ui/format'

/** The agent-side plugins the device's agent last reported. Errors come from the agent: text only. */
export function DevicePluginsPanel({ plugins }: { plugins?: DevicePluginState[] }) {
  // An older server omits the field; treat it as nothing reported.
  const list = plugins ?? []
  return (
    <>
      <h2 className="section-title">Plugins on this device</h2>
      {list.length === 0 ? (
        <Empty title="No plugins reported" />
      ) : (
        <table className="table">
          <caption className="visually-hidden">Plugins on this device</caption>
          <thead>
            <tr>
              <th scope="col">Plugin</th>
              <th scope="col">Version</th>
              <th scope="col">State</th>
              <th scope="col">Error</th>
              <th scope="col">Reported</th>
            </tr>
          </thead>
          <tbody>
            {list.map((p) => (
              <tr key={p.id}>
                <td>
                  <span className="mono">{p.id}</span>
                  {(p.unsigned || p.source === 'dev') && (
                    <>
                      {' '}
                      <UnsignedBadge unsigned={p.unsigned} source={p.source} />
                    </>
                  )}
                </td>
                <td className="mono">{p.version || '—'}</td>
                <td>
                  <PluginStatePill state={p.state} />
                </td>
                <td>{p.error ? <span className="plugin-error">{p.error}</span> : <span className="muted">—</span>}</td>
                <td title={dateTime(p.reportedAt)}>{relative(p.reportedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  )
}
