// Live updates: what the server's event stream (GET /api/v1/events, see
// notes/api.md) changes in the TanStack Query caches. Pure functions of a
// QueryClient and one event; the connection is in socket.ts, the React side
// in live.tsx.
//
// Device status patches the cached lists in place, so 10 000 rows update
// without a refetch; command and run events patch the command history, a
// run's results and its counts.

import type { InfiniteData, QueryClient } from '@tanstack/react-query'
import {
  FINAL_COMMAND_STATUSES,
  type Command,
  type CommandStatus,
  type Device,
  type DeviceDetail,
  type DeviceStatus,
  type Page,
  type RunCounts,
  type ScriptRun,
} from '../api/types'
import { api } from '../api/client'
import { applyAlertEvent, isAlertEvent } from '../alerts/alertEvents'

// ---------- cache keys shared by the screens and the live updates ----------

export const commandKeys = {
  all: ['commands'] as const,
  device: (deviceId: string) => ['commands', 'device', deviceId] as const,
  detail: (id: string) => ['commands', 'detail', id] as const,
}

export const runKeys = {
  all: ['script-runs'] as const,
  detail: (id: string) => ['script-runs', 'detail', id] as const,
  results: (id: string) => ['script-runs', 'results', id] as const,
}

// ---------- device events (internal form) ----------

export type DeviceEvent =
  | { type: 'device.status'; deviceId: string; status: DeviceStatus; lastSeenAt?: string }
  | { type: 'device.updated'; device: Device }
  | { type: 'device.patch'; deviceId: string; patch: Partial<Device> }

const STATUSES = new Set(['online', 'offline', 'pending', 'decommissioned'])

/** Validates one internal device event; unknown or malformed messages are ignored. */
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

function deviceIdOf(ev: DeviceEvent): string {
  return ev.type === 'device.updated' ? ev.device.id : ev.deviceId
}

function patch(d: Device, ev: DeviceEvent): Device {
  if (d.id !== deviceIdOf(ev)) return d
  if (ev.type === 'device.status') return { ...d, status: ev.status, ...(ev.lastSeenAt ? { lastSeenAt: ev.lastSeenAt } : {}) }
  if (ev.type === 'device.patch') return { ...d, ...ev.patch }
  return { ...d, ...ev.device }
}

/** Applies a device event to every cached device list and the device's own page. */
export function applyDeviceEvent(qc: QueryClient, ev: DeviceEvent): void {
  const id = deviceIdOf(ev)
  qc.setQueriesData<InfiniteData<Page<Device>>>({ queryKey: ['devices', 'list'] }, (data) => {
    if (!data?.pages) return data
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

// ---------- the server's frames ----------

/** One frame of GET /api/v1/events. */
export interface LiveEvent {
  type: string
  at: string
  partnerId?: string
  orgId?: string
  siteId?: string
  deviceId?: string
  data?: unknown
}

const COMMAND_STATUSES = new Set<string>(['queued', 'sent', 'running', 'succeeded', 'failed', 'timed_out', 'expired', 'cancelled'])

/** Validates a frame's envelope; anything else is ignored. */
export function parseLiveEvent(raw: unknown): LiveEvent | null {
  if (!raw || typeof raw !== 'object') return null
  const m = raw as Record<string, unknown>
  if (typeof m.type !== 'string') return null
  const str = (k: string) => (typeof m[k] === 'string' ? (m[k] as string) : undefined)
  return {
    type: m.type,
    at: str('at') ?? new Date().toISOString(),
    partnerId: str('partnerId'),
    orgId: str('orgId'),
    siteId: str('siteId'),
    deviceId: str('deviceId'),
    data: m.data,
  }
}

export function isFinal(status: string): boolean {
  return (FINAL_COMMAND_STATUSES as readonly string[]).includes(status)
}

/** Merges a command update into a cached list page by id; the bodies (stdout, stderr) are kept. */
function mergeInto(data: InfiniteData<Page<Command>> | undefined, c: Partial<Command> & { id: string }) {
  if (!data?.pages) return { data, found: false }
  let found = false
  const pages = data.pages.map((p) => {
    if (!p.items.some((x) => x.id === c.id)) return p
    found = true
    return { ...p, items: p.items.map((x) => (x.id === c.id ? { ...x, ...c } : x)) }
  })
  return { data: found ? { ...data, pages } : data, found }
}

/** Applies a command (whole or without bodies) to the history, the run results and its detail. */
export function applyCommand(qc: QueryClient, c: Partial<Command> & { id: string }): { cached: boolean } {
  let cached = false
  const lists: (readonly unknown[])[] = []
  if (c.deviceId) lists.push(commandKeys.device(c.deviceId))
  if (c.batchId) lists.push(runKeys.results(c.batchId))
  for (const key of lists) {
    let missing = false
    qc.setQueriesData<InfiniteData<Page<Command>>>({ queryKey: key }, (data) => {
      const r = mergeInto(data, c)
      if (r.found) cached = true
      else if (data) missing = true
      return r.data
    })
    // A command the list has not seen (queued elsewhere): read the list again.
    if (missing) void qc.invalidateQueries({ queryKey: key })
  }
  if (qc.getQueryData(commandKeys.detail(c.id))) {
    cached = true
    qc.setQueryData<Command>(commandKeys.detail(c.id), (old) => (old ? { ...old, ...c } : old))
  }
  return { cached }
}

/** Applies one frame of the stream to the caches. */
export function applyLiveEvent(qc: QueryClient, ev: LiveEvent): void {
  const data = (ev.data && typeof ev.data === 'object' ? ev.data : {}) as Record<string, unknown>
  switch (ev.type) {
    case 'device.online':
    case 'device.offline':
    case 'device.decommissioned': {
      if (!ev.deviceId) return
      const status = ev.type.slice('device.'.length) as DeviceStatus
      applyDeviceEvent(qc, {
        type: 'device.status',
        deviceId: ev.deviceId,
        status,
        ...(status === 'online' ? { lastSeenAt: ev.at } : {}),
      })
      return
    }
    case 'device.moved': {
      if (!ev.deviceId) return
      const p: Partial<Device> = {}
      if (ev.orgId) p.orgId = ev.orgId
      if (ev.siteId) p.siteId = ev.siteId
      if (typeof data.hostname === 'string') p.hostname = data.hostname
      if (typeof data.status === 'string' && STATUSES.has(data.status)) p.status = data.status as DeviceStatus
      applyDeviceEvent(qc, { type: 'device.patch', deviceId: ev.deviceId, patch: p })
      void qc.invalidateQueries({ queryKey: ['devices', 'detail', ev.deviceId] }) // its group may have changed too
      return
    }
    case 'device.enrolled':
      void qc.invalidateQueries({ queryKey: ['devices', 'list'] })
      return
    case 'command.updated': {
      if (typeof data.id !== 'string' || typeof data.status !== 'string' || !COMMAND_STATUSES.has(data.status)) return
      // The frame carries no stdout/stderr: never let it blank cached bodies.
      const c = { ...(data as Partial<Command>), id: data.id, status: data.status as CommandStatus }
      delete c.stdout
      delete c.stderr
      const { cached } = applyCommand(qc, c)
      if (cached && isFinal(c.status)) void fetchFinal(qc, c.id)
      return
    }
    case 'run.updated': {
      if (typeof data.runId !== 'string') return
      const counts = (data.counts && typeof data.counts === 'object' ? data.counts : undefined) as RunCounts | undefined
      const total = typeof data.total === 'number' ? data.total : undefined
      // Counts only grow towards final: an event overtaken by a newer one
      // (published from another goroutine a moment later) never takes them back.
      const fresh = (r: ScriptRun) => !!counts && finishedOf(counts) >= finishedOf(r.counts ?? {})
      qc.setQueryData<ScriptRun>(runKeys.detail(data.runId), (r) =>
        r ? { ...r, ...(counts && fresh(r) ? { counts } : {}), ...(total !== undefined ? { total } : {}) } : r,
      )
      return
    }
    default:
      if (isAlertEvent(ev.type)) applyAlertEvent(qc, data)
      return
  }
}

/** The commands of a run's counts that are final. */
function finishedOf(counts: RunCounts): number {
  return Object.entries(counts).reduce((n, [k, v]) => n + (isFinal(k) ? (v ?? 0) : 0), 0)
}

// A final command's bodies come from GET /commands/:id, once per command.
const fetching = new WeakMap<QueryClient, Set<string>>()
async function fetchFinal(qc: QueryClient, id: string): Promise<void> {
  let set = fetching.get(qc)
  if (!set) fetching.set(qc, (set = new Set()))
  if (set.has(id)) return
  set.add(id)
  try {
    const full = await api.get<Command>(`/commands/${encodeURIComponent(id)}`)
    applyCommand(qc, full)
  } catch {
    // the next poll or refetch brings it
  } finally {
    set.delete(id)
  }
}
