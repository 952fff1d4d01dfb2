// The fleet summary and how it stays fresh: no cache patch can keep counts
// right, so relevant live events (presence, enrolment, moves, alert
// transitions) read the summary again — debounced, so a burst of hundreds
// of devices coming back after an outage costs one request, and capped, so
// a steady stream still refreshes. Polled only while the stream is down.

import { useEffect, useRef } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../api/client'
import { LIVE_FALLBACK_POLL_MS, useLiveEventListener, useLiveEvents } from '../live/live'
import type { LiveEvent } from '../live/events'
import type { FleetSummary } from './types'

export interface FleetFilter {
  orgId?: string
  siteId?: string
}

export const fleetKeys = {
  all: ['fleet'] as const,
  summary: (f: FleetFilter) => ['fleet', 'summary', f.orgId ?? '', f.siteId ?? ''] as const,
}

/** Quiet time after the last relevant event before the summary is read again. */
export const REFRESH_DEBOUNCE_MS = 2000
/** The longest a refresh waits while events keep coming. */
export const REFRESH_MAX_WAIT_MS = 10_000

const RELEVANT = new Set(['device.online', 'device.offline', 'device.enrolled', 'device.decommissioned', 'device.moved'])

/** Whether ev may change the summary narrowed by f. */
export function changesSummary(ev: LiveEvent, f: FleetFilter): boolean {
  if (!RELEVANT.has(ev.type) && !ev.type.startsWith('alert.')) return false
  // A move may take a device out of the filtered org or site: always read again.
  if (ev.type === 'device.moved') return true
  if (f.orgId && ev.orgId && ev.orgId !== f.orgId) return false
  if (f.siteId && ev.siteId && ev.siteId !== f.siteId) return false
  return true
}

export function useFleetSummary(f: FleetFilter) {
  const { connected } = useLiveEvents()
  const qc = useQueryClient()
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const firstAt = useRef(0)
  useEffect(() => () => clearTimeout(timer.current), [])
  useLiveEventListener((ev) => {
    if (!changesSummary(ev, f)) return
    const now = Date.now()
    if (timer.current === undefined) firstAt.current = now
    clearTimeout(timer.current)
    const wait = Math.max(0, Math.min(REFRESH_DEBOUNCE_MS, firstAt.current + REFRESH_MAX_WAIT_MS - now))
    timer.current = setTimeout(() => {
      timer.current = undefined
      void qc.invalidateQueries({ queryKey: fleetKeys.all })
    }, wait)
  })
  return useQuery({
    queryKey: fleetKeys.summary(f),
    queryFn: ({ signal }) =>
      api.get<FleetSummary>('/fleet/summary', { orgId: f.orgId, siteId: f.siteId, attention: 10, activity: 15 }, signal),
    refetchInterval: connected ? false : LIVE_FALLBACK_POLL_MS,
  })
}
