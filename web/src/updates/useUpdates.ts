// The agent self-update API (docs/operations.md, "Agent updates"):
// releases (signed builds; the upload is a raw body), rollouts and a
// device's update state.

import { useQuery } from '@tanstack/react-query'
import { api, ApiError, buildUrl, postRaw } from '../api/client'

export interface Release {
  id: string
  version: string
  os: string
  arch: string
  sha256: string
  size: number
  signature: string
  notes: string
  createdBy: string
  createdAt: string
}

export type RolloutState = 'active' | 'paused' | 'stopped' | 'completed'

export interface Rollout {
  id: string
  partnerId: string
  orgId: string
  siteId: string
  scopeKind: 'partner' | 'org' | 'site' | 'group'
  scopeId: string
  version: string
  stages: number[]
  pauseSeconds: number
  failureThreshold: number
  allowDowngrade: boolean
  trialSeconds: number
  state: RolloutState
  stage: number
  nextStageAt: string | null
  reason: string
  createdBy: string
  createdAt: string
  updatedAt: string
  counts?: Record<string, number>
}

export interface DeviceUpdate {
  rolloutId: string
  deviceId: string
  stage: number
  state: string
  fromVersion: string
  error: string
  offeredAt: string | null
  updatedAt: string
}

export interface RolloutRequest {
  scopeKind: Rollout['scopeKind']
  scopeId: string
  version: string
  stages: number[]
  pauseSeconds: number
  failureThreshold: number
  allowDowngrade: boolean
  trialSeconds: number
}

export const updateKeys = {
  all: ['updates'] as const,
  releases: () => ['updates', 'releases'] as const,
  rollouts: () => ['updates', 'rollouts'] as const,
  rollout: (id: string) => ['updates', 'rollout', id] as const,
  device: (id: string) => ['updates', 'device', id] as const,
}

export function useReleases() {
  return useQuery({
    queryKey: updateKeys.releases(),
    queryFn: ({ signal }) => api.get<{ items: Release[] }>('/releases', undefined, signal).then((r) => r.items ?? []),
  })
}

/** Rollouts refresh every few seconds while one runs. */
export function useRollouts() {
  return useQuery({
    queryKey: updateKeys.rollouts(),
    queryFn: ({ signal }) => api.get<{ items: Rollout[] }>('/rollouts', undefined, signal).then((r) => r.items ?? []),
    refetchInterval: (q) => ((q.state.data ?? []).some((r) => r.state === 'active') ? 3000 : false),
  })
}

export function useRollout(id: string) {
  return useQuery({
    queryKey: updateKeys.rollout(id),
    queryFn: ({ signal }) => api.get<Rollout>(`/rollouts/${encodeURIComponent(id)}`, undefined, signal),
    refetchInterval: (q) => (q.state.data?.state === 'active' ? 3000 : false),
  })
}

/** A device's state in its newest rollout; null when it was in none. */
export function useDeviceUpdate(deviceId: string) {
  return useQuery({
    queryKey: updateKeys.device(deviceId),
    queryFn: ({ signal }) =>
      api.get<DeviceUpdate>(`/devices/${encodeURIComponent(deviceId)}/update`, undefined, signal).catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return null
        throw e
      }),
    retry: false,
  })
}

export const createRollout = (body: RolloutRequest) => api.post<Rollout>('/rollouts', body)
export const actOnRollout = (id: string, action: 'pause' | 'resume' | 'stop') =>
  api.post<Rollout>(`/rollouts/${encodeURIComponent(id)}/${action}`)

export const MAX_BUILD_BYTES = 64 * 1024 * 1024

/** Uploads a build (the raw body) with its metadata and offline-made signature. */
export async function uploadRelease(
  file: Blob,
  meta: { version: string; os: string; arch: string; signature: string; notes?: string },
  signal?: AbortSignal,
): Promise<Release> {
  const q = new URLSearchParams({ version: meta.version, os: meta.os, arch: meta.arch, signature: meta.signature, notes: meta.notes ?? '' })
  return postRaw<Release>(`${buildUrl('/releases')}?${q.toString()}`, 'application/octet-stream', file, signal)
}

const STATE_LABELS: Record<string, string> = {
  pending: 'Pending',
  offered: 'Offered',
  downloading: 'Downloading',
  installed: 'Installed, restarting',
  linked: 'Updated',
  failed: 'Failed',
  rolled_back: 'Rolled back',
  skipped: 'Skipped (no build)',
}

export const deviceStateLabel = (s: string) => STATE_LABELS[s] ?? s

/** Parses "1, 10, 100" into ascending percentages ending at 100; null when invalid. */
export function parseStages(text: string): number[] | null {
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (parts.length === 0 || parts.length > 10) return null
  const out: number[] = []
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return null
    const n = Number(p)
    const last = out.at(-1)
    if (n < 1 || n > 100 || (last !== undefined && n <= last)) return null
    out.push(n)
  }
  return out[out.length - 1] === 100 ? out : null
}

/** How far a rollout got: devices done (updated, failed, rolled back, skipped) of those assigned so far. */
export function progress(r: Rollout): { done: number; assigned: number; failed: number } {
  const c = r.counts ?? {}
  const assigned = Object.values(c).reduce((a, b) => a + b, 0)
  const failed = (c.failed ?? 0) + (c.rolled_back ?? 0)
  const done = (c.linked ?? 0) + failed + (c.skipped ?? 0)
  return { done, assigned, failed }
}

/** How many of the newest rollouts the device list reads for its update states. */
export const LIST_ROLLOUTS = 5

/**
 * Each device's state in its newest rollout, from the newest rollouts'
 * device lists (the device list's "Agent" cell). Empty while loading or when
 * the caller may not read rollouts.
 */
export function useDeviceUpdateStates(enabled = true) {
  return useQuery({
    queryKey: [...updateKeys.all, 'device-states'] as const,
    enabled,
    retry: false,
    refetchInterval: 15_000,
    queryFn: async ({ signal }) => {
      const out = new Map<string, string>()
      const list = await api.get<{ items: Rollout[] }>('/rollouts', undefined, signal).then((r) => r.items ?? [])
      for (const r of list.slice(0, LIST_ROLLOUTS)) {
        const devs = await api.get<{ items: DeviceUpdate[] }>(`/rollouts/${encodeURIComponent(r.id)}/devices`, undefined, signal)
        for (const d of devs.items ?? []) if (!out.has(d.deviceId)) out.set(d.deviceId, d.state)
      }
      return out
    },
  })
}
