import { useMemo } from 'react'
import { Link } from 'react-router'
import { stateLabel } from '../alerts/Badges'
import { Empty, ErrorState, Loading } from '../ui/States'
import { dateTime, relative } from '../ui/format'
import { DeliveryMarks } from './DeliveryBadges'
import { NotifyNav } from './NotifyNav'
import { useAlertChannels, useDeadLetters } from './useNotify'

/** Deliveries that failed every retry: which alert, through which channel, how many attempts, the last error. */
export default function DeadLettersPage() {
  const { query, items } = useDeadLetters()
  const { channels } = useAlertChannels()
  const channelNames = useMemo(() => new Map((channels ?? []).map((c) => [c.id, c.name])), [channels])
  return (
    <section className="page" aria-labelledby="dead-title">
      <header className="page-header">
        <h1 id="dead-title">Dead letters</h1>
        <div className="page-actions">
          <button type="button" className="btn btn-small" onClick={() => void query.refetch()} disabled={query.isFetching}>
            Refresh
          </button>
        </div>
      </header>
      <NotifyNav />
      <p className="muted">Notifications that were still failing after their last retry, oldest first. The alerts themselves are unaffected.</p>
      {query.isPending ? (
        <Loading label="Loading dead letters…" />
      ) : query.isError ? (
        <ErrorState error={query.error} onRetry={() => void query.refetch()} />
      ) : items.length === 0 ? (
        <Empty title="No dead letters.">Every notification was delivered, or is still being retried.</Empty>
      ) : (
        <table className="table">
          <caption className="visually-hidden">Dead letters</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Alert</th>
              <th scope="col">Transition</th>
              <th scope="col">Channel</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.id} data-delivery-id={d.id}>
                <td title={dateTime(d.at)}>{relative(d.at)}</td>
                <td>
                  <Link to={`/alerts/${encodeURIComponent(d.alertId)}`}>Alert {d.alertId.slice(-8)}</Link>
                </td>
                <td>
                  <span className="perm-tags">
                    {stateLabel(d.transition)}
                    <DeliveryMarks d={d} />
                  </span>
                </td>
                <td>{channelNames.get(d.channelId) ?? d.channelId}</td>
                <td>{d.attempt}</td>
                <td className="mono">{d.detail || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {query.hasNextPage && (
        <button type="button" className="btn" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
          More dead letters
        </button>
      )}
    </section>
  )
}
