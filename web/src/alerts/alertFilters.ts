// The Alerts page's filters live in the URL (/alerts?state=open&severity=critical&siteId=…&from=…&to=…),
// so a link (the home page's tiles) or a reload opens the same list; a device's
// Alerts tab keeps its own.

import { useState } from 'react'
import { useSearchParams } from 'react-router'
import { ALERT_STATE_FILTERS, SEVERITIES, type AlertStateFilter, type Severity } from './types'

export interface AlertListFilters {
  state?: AlertStateFilter
  severity?: Severity
  siteId?: string
  /** Opened at or after (RFC 3339). */
  from?: string
  /** Opened before (RFC 3339). */
  to?: string
}

export type FilterKey = keyof AlertListFilters
export const FILTER_KEYS: FilterKey[] = ['state', 'severity', 'siteId', 'from', 'to']

/** An instant as RFC 3339 (UTC), or undefined when it is not one. */
function instant(v: string | null): string | undefined {
  if (!v) return undefined
  const t = Date.parse(v)
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined
}

/** The filters a query string names; values the API would refuse are dropped. */
export function filtersFromParams(p: URLSearchParams): AlertListFilters {
  const state = p.get('state') as AlertStateFilter | null
  const severity = p.get('severity') as Severity | null
  return {
    state: state && ALERT_STATE_FILTERS.includes(state) ? state : undefined,
    severity: severity && SEVERITIES.includes(severity) ? severity : undefined,
    siteId: p.get('siteId')?.trim() || undefined,
    from: instant(p.get('from')),
    to: instant(p.get('to')),
  }
}

/** The link to the Alerts page with these filters, e.g. /alerts?state=open&severity=critical. */
export function alertsLink(f: AlertListFilters): string {
  const q = new URLSearchParams()
  for (const k of FILTER_KEYS) if (f[k]) q.set(k, f[k]!)
  const s = q.toString()
  return s ? `/alerts?${s}` : '/alerts'
}

/** Why the time range cannot be asked for, or null. */
export function rangeProblem(f: AlertListFilters): string | null {
  return f.from && f.to && Date.parse(f.to) <= Date.parse(f.from) ? '“Opened before” must be later than “opened after”.' : null
}

/** datetime-local value (the browser's zone) → RFC 3339, or '' when empty or invalid. */
export function localToIso(v: string): string {
  return (v && instant(v)) || ''
}

/** RFC 3339 → a datetime-local value in the browser's zone ('' for none). */
export function isoToLocal(iso?: string): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

export interface FilterControl {
  filters: AlertListFilters
  set: (k: FilterKey, v: string) => void
  clear: () => void
  /** Whether any filter is set. */
  any: boolean
}

/** The filters, kept in the URL (inUrl) or in this component's state. */
export function useAlertListFilters(inUrl: boolean): FilterControl {
  const [params, setParams] = useSearchParams()
  const [local, setLocal] = useState<URLSearchParams>(() => new URLSearchParams())
  const source = inUrl ? params : local
  const filters = filtersFromParams(source)
  const update = (change: (n: URLSearchParams) => void) => {
    if (!inUrl) {
      setLocal((p) => {
        const n = new URLSearchParams(p)
        change(n)
        return n
      })
      return
    }
    setParams(
      (p) => {
        const n = new URLSearchParams(p)
        change(n)
        return n
      },
      { replace: true },
    )
  }
  return {
    filters,
    set: (k, v) => update((n) => (v ? n.set(k, v) : n.delete(k))),
    clear: () => update((n) => FILTER_KEYS.forEach((k) => n.delete(k))),
    any: FILTER_KEYS.some((k) => !!filters[k]),
  }
}
