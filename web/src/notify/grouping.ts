// Storm grouping as people read it: "5 then digest / 5 min", or "Off".

import type { NotificationRoute } from './types'

/** A window length: "90 s", "5 min", "1 h 30 min", "1 day". */
export function windowLabel(seconds: number): string {
  if (seconds >= 86_400 && seconds % 86_400 === 0) return seconds === 86_400 ? '1 day' : `${seconds / 86_400} days`
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return [h ? `${h} h` : '', m ? `${m} min` : '', s || seconds === 0 ? `${s} s` : ''].filter(Boolean).join(' ')
}

/** Whether the route groups storms at all (either setting 0 turns it off). */
export function groups(r: Pick<NotificationRoute, 'groupAfter' | 'groupIntervalSeconds'>): boolean {
  return r.groupAfter > 0 && r.groupIntervalSeconds > 0
}

export function groupingLabel(r: Pick<NotificationRoute, 'groupAfter' | 'groupIntervalSeconds'>): string {
  return groups(r) ? `${r.groupAfter.toLocaleString()} then digest / ${windowLabel(r.groupIntervalSeconds)}` : 'Off'
}
