// Live updates: the seam where the dashboard will receive the server's
// event stream (GET /api/v1/events over WebSocket, DESIGN §9).
//
// Today the stream does not exist yet, so useLiveEvents reports
// connected=false and the device views poll instead (see LIVE_FALLBACK_POLL_MS).
// When the events route lands, only connect() below changes:
//   1. POST /api/v1/ws-tickets {purpose: "events"} → {ticket}
//   2. new WebSocket(`${wsOrigin}/api/v1/events?ticket=${ticket}`)
//   3. each JSON message → parseDeviceEvent → applyDeviceEvent(queryClient, ev)
//   4. reconnect with jittered backoff, a new ticket each time.
// applyDeviceEvent is already in use by tests and patches the cached lists
// in place, so 10 000 rows update without a refetch.

import { useEffect, useState } from 'react'
import { useQueryClient, type InfiniteData, type QueryClient } from '@tanstack/react-query'
import type { Device, DeviceDetail, DeviceStatus, Page } from '../api/types'

export type DeviceEvent =
  | { type: 'device.status'; deviceId: string; status: DeviceStatus; lastSeenAt?: string }
  | { type: 'device.updated'; device: Device }

/** Polling interval while there is no live stream. */
export const LIVE_FALLBACK_POLL_MS = 60_000

const STATUSES = new Set(['online', 'offline', 'pending', 'decommissioned'])

/** Validates one message of the stream; unknown or malformed messages are ignored. */
export function parseDeviceEvent(raw: unknown): DeviceEvent | null {
  if (!raw || typeof raw !== 'object') return null
  const m = raw as Record<string, unknown>
  if (m.type === 'device.status' && typeof m.deviceId === 'string' && typeof m.status === 'string' && STATUSES.has(m.status)) {
    return {
      type: 'device.status',
      deviceId: m.deviceId,
      status: m.status as DeviceStatus,
      ...(typeof m.lastSeenAt === 'string' ? { lastSeenAt: m.lastSeenAt } : {}),
    }
  }
  if (m.type === 'device.updated' && m.device && typeof m.device === 'object' && typeof (m.device as Device).id === 'string') {
    return { type: 'device.updated', device: m.device as Device }
  }
  return null
}

function patch(d: Device, ev: DeviceEvent): Device {
  if (ev.type === 'device.status') {
    if (d.id !== ev.deviceId) return d
    return { ...d, status: ev.status, ...(ev.lastSeenAt ? { lastSeenAt: ev.lastSeenAt } : {}) }
  }
  return d.id === ev.device.id ? { ...d, ...ev.device } : d
}

/** Applies an event to every cached device list and the device's own page. */
export function applyDeviceEvent(qc: QueryClient, ev: DeviceEvent): void {
  const id = ev.type === 'device.status' ? ev.deviceId : ev.device.id
  qc.setQueriesData<InfiniteData<Page<Device>>>({ queryKey: ['devices', 'list'] }, (data) => {
    if (!data) return data
    let changed = false
    const pages = data.pages.map((p) => {
      if (!p.items.some((d) => d.id === id)) return p
      changed = true
      return { ...p, items: p.items.map((d) => patch(d, ev)) }
    })
    return changed ? { ...data, pages } : data
  })
  qc.setQueryData<DeviceDetail>(['devices', 'detail', id], (d) => (d ? { ...d, ...patch(d, ev) } : d))
}

/**
 * Subscribes the page to live events. Returns whether the stream is
 * connected, so callers poll only while it is not.
 */
export function useLiveEvents(): { connected: boolean } {
  const qc = useQueryClient()
  const [connected, setConnected] = useState(false)
  useEffect(() => connect(qc, setConnected), [qc])
  return { connected }
}

// connect opens the stream and returns its teardown. Not available yet: see the file comment.
function connect(_qc: QueryClient, setConnected: (v: boolean) => void): () => void {
  setConnected(false)
  return () => {}
}
