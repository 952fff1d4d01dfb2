// Plugin catalogs (docs/plugins.md#catalogs): subscriptions, what they
// offer beside what is installed, installs and upgrades from them, and the
// publisher keys trusted from the dashboard.

import { useQuery } from '@tanstack/react-query'
import { api } from '../api/client'
import type { Plugin } from '../api/types'

export interface PluginCatalog {
  id: string
  name: string
  url: string
  keyId: string
  fingerprint: string
  createdAt: string
  syncedAt?: string
  attemptedAt?: string
  syncError: string
  indexName: string
  plugins: number
}

export interface CatalogVersion {
  version: string
  minHostVersion?: string
  platforms: string[]
  size: number
}

export interface CatalogPlugin {
  id: string
  name: string
  kind: string
  description: string
  catalogId: string
  catalogName: string
  publisherKeyId: string
  publisherFingerprint: string
  publisherTrusted: boolean
  latest: string
  versions: CatalogVersion[]
  installed: string
  updateAvailable: boolean
}

export interface TrustedKey {
  keyId: string
  fingerprint: string
  name: string
  publicKey: string
  addedAt: string
  addedBy: string
}

export const catalogKeys = {
  all: ['plugin-catalogs'] as const,
  catalogs: () => ['plugin-catalogs', 'list'] as const,
  browse: (q: string) => ['plugin-catalogs', 'browse', q] as const,
}

export function useCatalogs(enabled = true) {
  return useQuery({
    queryKey: catalogKeys.catalogs(),
    queryFn: ({ signal }) => api.get<{ items: PluginCatalog[] }>('/plugin-catalogs', undefined, signal).then((r) => r.items ?? []),
    enabled,
  })
}

export function useCatalogPlugins(q: string, enabled = true) {
  return useQuery({
    queryKey: catalogKeys.browse(q),
    queryFn: ({ signal }) =>
      api.get<{ items: CatalogPlugin[] }>('/plugin-catalog/plugins', q ? { q } : undefined, signal).then((r) => r.items ?? []),
    enabled,
  })
}

export const subscribeCatalog = (body: { name: string; url: string; publicKey: string }) => api.post<PluginCatalog>('/plugin-catalogs', body)
export const syncCatalog = (id: string) => api.post<PluginCatalog>(`/plugin-catalogs/${encodeURIComponent(id)}/sync`)
export const removeCatalog = (id: string) => api.del(`/plugin-catalogs/${encodeURIComponent(id)}`)
export const installFromCatalog = (body: { id: string; catalogId?: string; upgrade?: boolean }) =>
  api.post<Plugin>('/plugin-catalog/install', body)
export const trustPublisher = (keyId: string, name: string) => api.post<TrustedKey>('/plugin-keys', { keyId, name })

export function useTrustedKeys(enabled = true) {
  return useQuery({
    queryKey: [...catalogKeys.all, 'keys'] as const,
    queryFn: ({ signal }) => api.get<{ items: TrustedKey[] }>('/plugin-keys', undefined, signal).then((r) => r.items ?? []),
    enabled,
  })
}

export const untrustPublisher = (keyId: string) => api.del(`/plugin-keys/${encodeURIComponent(keyId)}`)
