import { useMemo } from 'react'
import { useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { api } from '../api/client'
import { fetchAll } from '../api/lists'
import type { Command, Page, Script, ScriptRun, ScriptVersion } from '../api/types'
import { isFinal, runKeys } from '../live/events'

export const scriptKeys = {
  all: ['scripts'] as const,
  list: (f: { orgId?: string; q?: string }) => ['scripts', 'list', f] as const,
  detail: (id: string) => ['scripts', 'detail', id] as const,
  versions: (id: string) => ['scripts', 'versions', id] as const,
}

export const LANGUAGES = [
  { id: 'bash', label: 'Bash' },
  { id: 'sh', label: 'POSIX sh' },
  { id: 'python3', label: 'Python 3' },
  { id: 'pwsh', label: 'PowerShell' },
] as const

export function languageLabel(l: string): string {
  return LANGUAGES.find((x) => x.id === l)?.label ?? l
}

export function useScripts(f: { orgId?: string; q?: string }, enabled = true) {
  const query = useInfiniteQuery({
    queryKey: scriptKeys.list(f),
    queryFn: ({ pageParam, signal }) => api.get<Page<Script>>('/scripts', { ...f, limit: 100, cursor: pageParam }, signal),
    initialPageParam: '',
    getNextPageParam: (last: Page<Script>) => last.nextCursor || undefined,
    enabled,
  })
  const scripts = useMemo(() => query.data?.pages.flatMap((p) => p.items) ?? [], [query.data])
  return { query, scripts }
}

export function useScript(id: string | undefined) {
  return useQuery({
    queryKey: scriptKeys.detail(id ?? ''),
    queryFn: ({ signal }) => api.get<Script>(`/scripts/${encodeURIComponent(id!)}`, undefined, signal),
    enabled: !!id,
  })
}

export function useScriptVersions(id: string | undefined) {
  return useQuery({
    queryKey: scriptKeys.versions(id ?? ''),
    queryFn: ({ signal }) =>
      api.get<{ items: ScriptVersion[] }>(`/scripts/${encodeURIComponent(id!)}/versions`, undefined, signal).then((r) => r.items ?? []),
    enabled: !!id,
  })
}

export const RUN_POLL_MS = 3000

export function runDone(r: ScriptRun | undefined): boolean {
  if (!r) return false
  const final = Object.entries(r.counts ?? {}).reduce((n, [k, v]) => n + (isFinal(k) ? (v ?? 0) : 0), 0)
  return final >= r.total
}

export function useRun(id: string, live: boolean) {
  return useQuery({
    queryKey: runKeys.detail(id),
    queryFn: ({ signal }) => api.get<ScriptRun>(`/script-runs/${encodeURIComponent(id)}`, undefined, signal),
    refetchInterval: (q) => (live || runDone(q.state.data) ? false : RUN_POLL_MS),
  })
}

export function useRunResults(id: string) {
  const query = useInfiniteQuery({
    queryKey: runKeys.results(id),
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<Command>>(`/script-runs/${encodeURIComponent(id)}/results`, { limit: 500, cursor: pageParam }, signal),
    initialPageParam: '',
    getNextPageParam: (last: Page<Command>) => last.nextCursor || undefined,
  })
  const results = useMemo(() => query.data?.pages.flatMap((p) => p.items) ?? [], [query.data])
  return { query, results }
}

/** id → hostname of an org's devices, for tables of results. */
export function useDeviceNames(orgId: string | undefined) {
  return useQuery({
    queryKey: ['devices', 'names', orgId ?? ''],
    queryFn: ({ signal }) =>
      fetchAll<{ id: string; hostname: string }>('/devices', { orgId }, 20000, signal).then(
        (list) => new Map(list.map((d) => [d.id, d.hostname])),
      ),
    enabled: !!orgId,
    staleTime: 60_000,
  })
}
