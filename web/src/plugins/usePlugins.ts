// The plugins API (notes/plugins.md): the list, one plugin, its per-org
// settings, and installing an archive (a raw body, not JSON).

import { useQuery } from '@tanstack/react-query'
import { api, buildUrl, postRaw } from '../api/client'
import type { Plugin, PluginOrgSettings } from '../api/types'

export const pluginKeys = {
  all: ['plugins'] as const,
  list: () => ['plugins', 'list'] as const,
  detail: (id: string) => ['plugins', 'detail', id] as const,
  orgs: (id: string) => ['plugins', 'orgs', id] as const,
}

const path = (id: string) => `/plugins/${encodeURIComponent(id)}`

export function usePlugins(enabled = true) {
  return useQuery({
    queryKey: pluginKeys.list(),
    queryFn: ({ signal }) => api.get<{ items: Plugin[] }>('/plugins', undefined, signal).then((r) => r.items ?? []),
    enabled,
  })
}

export function usePlugin(id: string) {
  return useQuery({
    queryKey: pluginKeys.detail(id),
    queryFn: ({ signal }) => api.get<Plugin>(path(id), undefined, signal),
  })
}

export function usePluginOrgs(id: string) {
  return useQuery({
    queryKey: pluginKeys.orgs(id),
    queryFn: ({ signal }) => api.get<{ items: PluginOrgSettings[] }>(`${path(id)}/orgs`, undefined, signal).then((r) => r.items ?? []),
  })
}

export const setGlobalEnabled = (id: string, on: boolean) => api.post<Plugin>(`${path(id)}/${on ? 'enable' : 'disable'}`)
export const removePlugin = (id: string) => api.del(path(id))
export const saveOrgSettings = (id: string, orgId: string, body: Omit<PluginOrgSettings, 'orgId'>) =>
  api.put<PluginOrgSettings>(`${path(id)}/orgs/${encodeURIComponent(orgId)}`, body)
export const testPlugin = (id: string, orgId: string) => api.post<{ ok: boolean; message: string }>(`${path(id)}/test`, { orgId })

export const MAX_ARCHIVE_BYTES = 256 * 1024 * 1024

/** Uploads a signed archive (`breeze plugin pack`) as the request body; the server verifies it. */
export async function installPlugin(file: Blob, signal?: AbortSignal): Promise<Plugin> {
  return postRaw<Plugin>(buildUrl('/plugins'), 'application/gzip', file, signal)
}

const KINDS: Record<string, string> = {
  alert_channel: 'Alert channel',
  scanner: 'Discovery scanner',
  script_runtime: 'Script runtime',
  collector: 'Collector',
}

export const kindLabel = (k: string) => KINDS[k] ?? k
export const sideLabel = (s: string) => (s === 'server' ? 'Server' : s === 'agent' ? 'Agents' : s)
export const isUnsigned = (p: Plugin) => p.unsigned ?? (!p.signedBy || p.signedBy.startsWith('unsigned'))
