import { useQuery } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import { useDebounced } from '../ui/useDebounced'
import type { AlertRuleRequest, RuleCoverage } from './types'

/** "Covers N devices now": the server's answer for the rule as edited (nothing is stored); body null while the form is invalid. */
export function RulePreview({ body }: { body: AlertRuleRequest | null }) {
  const key = useDebounced(body ? JSON.stringify(body) : '', 300)
  const q = useQuery({
    queryKey: ['alert-rules', 'preview', key],
    queryFn: () => api.post<RuleCoverage>('/alert-rules/preview', JSON.parse(key) as AlertRuleRequest),
    enabled: key !== '',
    retry: false,
    staleTime: 15_000,
  })
  let text: string
  if (!body || key === '') text = 'Complete the rule to see the devices it covers.'
  else if (q.isPending) text = 'Counting the devices it covers…'
  else if (q.isError) text = `No preview: ${errorMessage(q.error)}`
  else {
    const n = q.data.count
    text = `Covers ${q.data.truncated ? 'at least ' : ''}${n} device${n === 1 ? '' : 's'} now`
  }
  const hosts = q.data?.devices.slice(0, 5).map((d) => d.hostname) ?? []
  return (
    <div className="hint" role="status" aria-live="polite" aria-label="Rule preview">
      <span>{text}</span>
      {q.isSuccess && key !== '' && hosts.length > 0 && (
        <span>
          {': '}
          {hosts.join(', ')}
          {q.data.count > hosts.length ? ', …' : ''}
        </span>
      )}
    </div>
  )
}
