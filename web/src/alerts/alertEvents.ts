// alert.opened | acknowledged | resolved | snoozed | unsnoozed on the live stream:
// the alert's own page takes the new state at once, and every cached list
// reads again (a new alert must appear, a filtered one leave), and so does
// its notification log (a transition queues notifications).

import type { QueryClient } from '@tanstack/react-query'
import { ALERT_STATES, type Alert, type AlertState } from './types'

export const ALERT_EVENTS = ['alert.opened', 'alert.acknowledged', 'alert.resolved', 'alert.snoozed', 'alert.unsnoozed'] as const

export function isAlertEvent(type: string): boolean {
  return (ALERT_EVENTS as readonly string[]).includes(type)
}

export function applyAlertEvent(qc: QueryClient, data: Record<string, unknown>): void {
  if (typeof data.id !== 'string') return
  const state = typeof data.state === 'string' && (ALERT_STATES as string[]).includes(data.state) ? (data.state as AlertState) : undefined
  const detail = ['alerts', 'detail', data.id]
  if (state && qc.getQueryData<Alert>(detail)) {
    qc.setQueryData<Alert>(detail, (a) => (a ? { ...a, state } : a))
    // the history and the actor come with the full read
    void qc.invalidateQueries({ queryKey: detail })
  }
  void qc.invalidateQueries({ queryKey: ['alerts', 'list'] })
  void qc.invalidateQueries({ queryKey: ['notification-deliveries', 'alert', data.id] })
}
