import { useMemo } from 'react'
import { useQuery } from '@tanstack/react-query'
import { api } from '../api/client'
import type { Page, PermissionInfo } from '../api/types'
import { ErrorState, Loading } from '../ui/States'

export function usePermissionRegistry() {
  return useQuery({
    queryKey: ['permissions'],
    queryFn: ({ signal }) => api.get<Page<PermissionInfo>>('/permissions', undefined, signal),
    staleTime: Infinity,
  })
}

/** Checkboxes of permissions grouped by resource; `allowed` limits what may be ticked. */
export function PermissionPicker({
  value,
  onChange,
  allowed,
}: {
  value: string[]
  onChange: (v: string[]) => void
  allowed?: string[]
}) {
  const reg = usePermissionRegistry()
  const groups = useMemo(() => {
    const m = new Map<string, PermissionInfo[]>()
    for (const p of reg.data?.items ?? []) {
      if (allowed && !allowed.includes(p.name)) continue
      m.set(p.resource, [...(m.get(p.resource) ?? []), p])
    }
    return [...m.entries()]
  }, [reg.data, allowed])
  if (reg.isPending) return <Loading label="Loading permissions…" />
  if (reg.isError) return <ErrorState error={reg.error} onRetry={() => void reg.refetch()} />
  const set = new Set(value)
  return (
    <fieldset className="perm-picker">
      <legend>Permissions</legend>
      {groups.map(([res, perms]) => (
        <div key={res} className="perm-group">
          <span className="perm-resource">{res}</span>
          {perms.map((p) => (
            <label key={p.name} className="check">
              <input
                type="checkbox"
                checked={set.has(p.name)}
                onChange={(e) => onChange(e.target.checked ? [...value, p.name] : value.filter((x) => x !== p.name))}
              />
              {p.action}
            </label>
          ))}
        </div>
      ))}
    </fieldset>
  )
}
