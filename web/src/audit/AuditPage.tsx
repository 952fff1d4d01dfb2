import { Fragment, useState } from 'react'
import { useInfiniteQuery } from '@tanstack/react-query'
import { useSearchParams } from 'react-router'
import { api } from '../api/client'
import type { AuditLogEntry, Page } from '../api/types'
import { useTenant, useTenantNames } from '../tenant/tenant'
import { Empty, ErrorState, Loading } from '../ui/States'
import { dateTime } from '../ui/format'
import { useDebounced } from '../ui/useDebounced'

const TEXT_FILTERS = [
  { key: 'action', label: 'Action', placeholder: 'e.g. devices.decommission' },
  { key: 'actorId', label: 'Actor id', placeholder: 'user or API key id' },
  { key: 'resourceType', label: 'Resource type', placeholder: 'e.g. device' },
  { key: 'resourceId', label: 'Resource id', placeholder: '' },
] as const

/** datetime-local value (local time) → RFC 3339, or '' when empty or invalid. */
export function localToIso(v: string): string {
  if (!v) return ''
  const d = new Date(v)
  return Number.isNaN(d.getTime()) ? '' : d.toISOString()
}

export default function AuditPage() {
  const { sel } = useTenant()
  const names = useTenantNames()
  const [params, setParams] = useSearchParams()
  const [draft, setDraft] = useState(() => Object.fromEntries(TEXT_FILTERS.map((f) => [f.key, params.get(f.key) ?? ''])))
  const text = useDebounced(draft, 400)
  const from = params.get('from') ?? ''
  const to = params.get('to') ?? ''
  const filters = {
    ...Object.fromEntries(Object.entries(text).map(([k, v]) => [k, v.trim()])),
    orgId: sel.orgId,
    from: localToIso(from),
    to: localToIso(to),
  }
  const log = useInfiniteQuery({
    queryKey: ['audit-logs', filters],
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<AuditLogEntry>>('/audit-logs', { ...filters, limit: 100, cursor: pageParam }, signal),
    initialPageParam: '',
    getNextPageParam: (p: Page<AuditLogEntry>) => p.nextCursor || undefined,
  })
  const rows = log.data?.pages.flatMap((p) => p.items) ?? []
  const [open, setOpen] = useState<string | null>(null)
  const setParam = (k: string, v: string) =>
    setParams(
      (p) => {
        const n = new URLSearchParams(p)
        if (v) n.set(k, v)
        else n.delete(k)
        return n
      },
      { replace: true },
    )
  const setText = (k: string, v: string) => {
    setDraft((d) => ({ ...d, [k]: v }))
    setParam(k, v)
  }

  return (
    <section className="page" aria-labelledby="audit-title">
      <header className="page-header">
        <h1 id="audit-title">Audit log</h1>
        <span className="muted">{sel.orgId ? `Organization: ${names.get(sel.orgId) ?? sel.orgId}` : 'All organizations'}</span>
      </header>
      <form className="filters filters-wrap" role="search" onSubmit={(e) => e.preventDefault()}>
        {TEXT_FILTERS.map((f) => (
          <label key={f.key} className="field-inline">
            <span className="field-label">{f.label}</span>
            <input value={draft[f.key] ?? ''} placeholder={f.placeholder} maxLength={200} onChange={(e) => setText(f.key, e.target.value)} />
          </label>
        ))}
        <label className="field-inline">
          <span className="field-label">From</span>
          <input type="datetime-local" value={from} onChange={(e) => setParam('from', e.target.value)} />
        </label>
        <label className="field-inline">
          <span className="field-label">To</span>
          <input type="datetime-local" value={to} onChange={(e) => setParam('to', e.target.value)} />
        </label>
        <button
          type="button"
          className="btn btn-small"
          onClick={() => {
            setDraft(Object.fromEntries(TEXT_FILTERS.map((f) => [f.key, ''])))
            setParams(new URLSearchParams(), { replace: true })
          }}
        >
          Clear filters
        </button>
      </form>
      {log.isPending ? (
        <Loading label="Loading the audit log…" />
      ) : log.isError && rows.length === 0 ? (
        <ErrorState error={log.error} onRetry={() => void log.refetch()} />
      ) : rows.length === 0 ? (
        <Empty title="No audit entries match." />
      ) : (
        <>
          <table className="table table-audit">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Resource</th>
                <th scope="col">Organization</th>
                <th scope="col">Outcome</th>
                <th scope="col">
                  <span className="visually-hidden">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <Fragment key={r.id}>
                  <tr>
                    <td title={r.at}>{dateTime(r.at)}</td>
                    <td>
                      {r.actorType}
                      {r.actorId && (
                        <>
                          {' '}
                          <button type="button" className="btn-link mono" onClick={() => setText('actorId', r.actorId!)} title="Show only this actor">
                            {r.actorId.slice(-8)}
                          </button>
                        </>
                      )}
                    </td>
                    <td className="mono">{r.action}</td>
                    <td>
                      {r.resourceType ?? ''}
                      {r.resourceId && (
                        <>
                          {' '}
                          <button type="button" className="btn-link mono" onClick={() => setText('resourceId', r.resourceId!)} title="Show only this resource">
                            {r.resourceId.slice(-8)}
                          </button>
                        </>
                      )}
                    </td>
                    <td>{r.orgId ? (names.get(r.orgId) ?? r.orgId.slice(-8)) : '—'}</td>
                    <td>
                      <span className={`pill pill-${r.outcome === 'success' ? 'ok' : r.outcome === 'denied' ? 'warn' : 'bad'}`}>{r.outcome}</span>
                    </td>
                    <td>
                      <button
                        type="button"
                        className="btn btn-small"
                        aria-expanded={open === r.id}
                        aria-controls={`audit-${r.id}`}
                        onClick={() => setOpen(open === r.id ? null : r.id)}
                      >
                        {open === r.id ? 'Hide' : 'Details'}
                      </button>
                    </td>
                  </tr>
                  {open === r.id && (
                    <tr id={`audit-${r.id}`} className="detail-row">
                      <td colSpan={7}>
                        <dl className="facts">
                          <dt>Sequence</dt>
                          <dd>{r.seq}</dd>
                          <dt>IP address</dt>
                          <dd className="mono">{r.ip ?? '—'}</dd>
                          <dt>User agent</dt>
                          <dd>{r.userAgent ?? '—'}</dd>
                          <dt>Request id</dt>
                          <dd className="mono">{r.requestId ?? '—'}</dd>
                          <dt>Actor id</dt>
                          <dd className="mono">{r.actorId ?? '—'}</dd>
                          <dt>Resource id</dt>
                          <dd className="mono">{r.resourceId ?? '—'}</dd>
                          <dt>Hash</dt>
                          <dd className="mono">{r.hash}</dd>
                        </dl>
                        {r.details !== undefined && <pre className="mono details">{JSON.stringify(r.details, null, 2)}</pre>}
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
          {log.isError && <ErrorState error={log.error} onRetry={() => void log.fetchNextPage()} />}
          {log.hasNextPage && (
            <button type="button" className="btn" onClick={() => void log.fetchNextPage()} disabled={log.isFetchingNextPage}>
              {log.isFetchingNextPage ? 'Loading…' : 'Load older entries'}
            </button>
          )}
        </>
      )}
    </section>
  )
}
