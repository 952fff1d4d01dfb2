// A schedule's parts in words, for the list and its page.

import { actionLabel } from '../api/actions'
import { describeCron } from './cron'
import type { Fire, Schedule, Target, Task } from './types'
import { formatInZone } from './zoned'

const KIND: Record<string, string> = { org: 'Organization', site: 'Site', group: 'Group' }

export function describeTarget(t: Target, names: Map<string, string>): string {
  if (t.kind === 'devices') return `${t.ids.length} device${t.ids.length === 1 ? '' : 's'}`
  const id = t.ids[0] ?? ''
  return `${KIND[t.kind] ?? t.kind}: ${names.get(id) ?? id}`
}

export function describeTask(t: Task, scriptNames: Map<string, string>): string {
  if (t.kind === 'script') return `Script: ${scriptNames.get(t.scriptId) ?? t.scriptId}`
  return actionLabel(t.action)
}

export function describeTiming(s: Pick<Schedule, 'cron' | 'runAt' | 'timezone'>): string {
  if (s.runAt) return `Once, ${formatInZone(s.runAt, s.timezone)}`
  return s.cron ? describeCron(s.cron) : '—'
}

/** "3 succeeded, 1 failed of 4", in a fixed order, zeros left out. */
export function describeCounts(f: Pick<Fire, 'counts' | 'total'>): string {
  const order = ['succeeded', 'failed', 'timed_out', 'running', 'sent', 'queued', 'cancelled', 'expired']
  const counts = f.counts ?? {}
  const keys = [...order.filter((k) => k in counts), ...Object.keys(counts).filter((k) => !order.includes(k)).sort()]
  const parts = keys.filter((k) => (counts[k] ?? 0) > 0).map((k) => `${counts[k]} ${k.replace('_', ' ')}`)
  if (f.total === undefined) return parts.join(', ') || '—'
  return parts.length ? `${parts.join(', ')} of ${f.total}` : `${f.total} device${f.total === 1 ? '' : 's'}`
}
