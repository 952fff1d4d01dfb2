import { useMemo } from 'react'
import { stateLabel } from '../alerts/Badges'
import { Empty, ErrorState, Loading } from '../ui/States'
import { dateTime, relative } from '../ui/format'
import { DeliveryMarks, OutcomeBadge } from './DeliveryBadges'
import { useAlertChannels, useAlertDeliveries, useRoutes } from './useNotify'

/** An alert's notifications: every attempt through every route, with its outcome. */
export function DeliveryLog({ alertId, orgId }: { alertId: string; orgId: string }) {
  const { query, items } = useAlertDeliveries(alertId)
  const routes = useRoutes(orgId)
  const { channels } = useAlertChannels()
  const routeNames = useMemo(() => new Map((routes.data ?? []).map((r) => [r.id, r.name])), [routes.data])
  const channelNames = useMemo(() => new Map((channels ?? []).map((c) => [c.id, c.name])), [channels])
  return (
    <section aria-labelledby="deliveries-title">
      <div className="section-head">
        <h2 id="deliveries-title" className="section-title">
          Notifications
        </h2>
        <button type="button" className="btn btn-small" onClick={() => void query.refetch()} disabled={query.isFetching}>
          Refresh
        </button>
      </div>
      {query.isPending ? (
        <Loading label="Loading the notifications…" />
      ) : query.isError ? (
        <ErrorState error={query.error} onRetry={() => void query.refetch()} />
      ) : items.length === 0 ? (
        <Empty title="No notifications sent.">No route has taken this alert yet, or none matches its severity.</Empty>
      ) : (
        <table className="table">
          <caption className="visually-hidden">Notifications</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Transition</th>
              <th scope="col">Route</th>
              <th scope="col">Attempt</th>
              <th scope="col">Outcome</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.id} data-delivery-id={d.id}>
                <td title={dateTime(d.at)}>{relative(d.at)}</td>
                <td>{stateLabel(d.transition)}</td>
                <td>
                  {routeNames.get(d.routeId) ?? <span className="muted">a deleted route</span>}
                  <span className="muted"> via {channelNames.get(d.channelId) ?? d.channelId}</span>
                </td>
                <td>{d.attempt}</td>
                <td>
                  <span className="perm-tags">
                    <OutcomeBadge outcome={d.outcome} />
                    <DeliveryMarks d={d} />
                  </span>
                </td>
                <td className="mono">{d.detail || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {query.hasNextPage && (
        <button type="button" className="btn" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
          More notifications
        </button>
      )}
    </section>
  )
}
