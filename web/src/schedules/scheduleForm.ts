// The schedule editor's form: its state, checks and the request it sends.

import type { Script } from '../api/types'
import { browserZone } from '../maintenance/windowForm'
import { cronOf, cronProblem, emptyCron, parseCron, type CronForm } from './cron'
import { emptyTask, taskFormOf, taskOf, taskProblem, type TaskForm } from './task'
import type { OfflinePolicy, Schedule, ScheduleRequest, Target, TargetKind } from './types'
import { instantToZoned, zonedToInstant } from './zoned'

export const MAX_GRACE_MINUTES = 10080
export const MAX_SPREAD_SECONDS = 3600

export interface ScheduleForm {
  name: string
  description: string
  enabled: boolean
  /** org: owned by the target's organization; partner: shared partner-wide */
  owner: 'org' | 'partner'
  targetKind: TargetKind
  orgId: string
  siteId: string
  groupId: string
  deviceIds: string[]
  task: TaskForm
  when: 'cron' | 'once'
  cron: CronForm
  /** once: YYYY-MM-DDTHH:MM in timezone */
  runAt: string
  timezone: string
  offlinePolicy: OfflinePolicy
  graceMinutes: string
  /** cron: spread the fires over this many seconds (each schedule its own fixed offset). */
  spreadSeconds: string
  /** The saved schedule's id (its spread offset in the preview). */
  scheduleId?: string
}

export function emptyForm(orgId = ''): ScheduleForm {
  return {
    name: '', description: '', enabled: true, owner: 'org', targetKind: 'org', orgId, siteId: '', groupId: '', deviceIds: [],
    task: emptyTask(), when: 'cron', cron: emptyCron(), runAt: '', timezone: browserZone(), offlinePolicy: 'skip', graceMinutes: '60',
    spreadSeconds: '0',
  }
}

export function formOf(s: Schedule): ScheduleForm {
  const ids = s.target?.ids ?? []
  const k = s.target?.kind ?? 'org'
  return {
    ...emptyForm(s.orgId ?? (k === 'org' ? (ids[0] ?? '') : '')),
    name: s.name, description: s.description ?? '', enabled: s.enabled, owner: s.orgId ? 'org' : 'partner', targetKind: k,
    siteId: k === 'site' ? (ids[0] ?? '') : '', groupId: k === 'group' ? (ids[0] ?? '') : '', deviceIds: k === 'devices' ? [...ids] : [],
    task: taskFormOf(s.task), when: s.runAt ? 'once' : 'cron', cron: s.cron ? parseCron(s.cron) : emptyCron(),
    runAt: s.runAt ? instantToZoned(s.runAt, s.timezone) : '', timezone: s.timezone, offlinePolicy: s.offlinePolicy,
    graceMinutes: String(s.graceMinutes ?? 0),
    spreadSeconds: String(s.spreadSeconds ?? 0),
    scheduleId: s.id,
  }
}

export function targetOf(f: ScheduleForm): Target {
  switch (f.targetKind) {
    case 'devices':
      return { kind: 'devices', ids: [...f.deviceIds] }
    case 'group':
      return { kind: 'group', ids: [f.groupId] }
    case 'site':
      return { kind: 'site', ids: [f.siteId] }
    case 'org':
      return { kind: 'org', ids: [f.orgId] }
  }
}

/** The timing part: exactly one of cron and runAt, or null when it is not complete. */
export function timingOf(f: ScheduleForm): { cron: string } | { runAt: string } | null {
  if (f.when === 'cron') return cronProblem(f.cron) ? null : { cron: cronOf(f.cron) }
  const at = zonedToInstant(f.runAt, f.timezone)
  return at ? { runAt: at } : null
}

/** Whether an edit touched the task (an untouched one is not sent, nor checked again here). */
export function taskChanged(f: ScheduleForm, existing?: Schedule): boolean {
  return !existing || JSON.stringify(f.task) !== JSON.stringify(taskFormOf(existing.task))
}

export function validate(f: ScheduleForm, script: Script | undefined, existing?: Schedule): Record<string, string> {
  const e: Record<string, string> = {}
  if (!f.name.trim()) e.name = 'Name the schedule.'
  if (!f.timezone) e.timezone = 'Choose a time zone.'
  if (f.when === 'cron') {
    const p = cronProblem(f.cron)
    if (p) e.cron = p
  } else if (!zonedToInstant(f.runAt, f.timezone)) e.runAt = 'Choose the date and time.'
  if (!f.orgId) e.target = 'Choose the organization.'
  else if (f.targetKind === 'site' && !f.siteId) e.target = 'Choose the site.'
  else if (f.targetKind === 'group' && !f.groupId) e.target = 'Choose the group.'
  else if (f.targetKind === 'devices' && f.deviceIds.length === 0) e.target = 'Choose at least one device.'
  const t = taskChanged(f, existing) ? taskProblem(f.task, script) : null
  if (t) e.task = t
  const g = f.graceMinutes.trim()
  if (!/^\d+$/.test(g) || Number(g) > MAX_GRACE_MINUTES) e.graceMinutes = `From 0 to ${MAX_GRACE_MINUTES} minutes.`
  const sp = f.spreadSeconds.trim()
  if (f.when === 'cron' && (!/^\d+$/.test(sp) || Number(sp) > MAX_SPREAD_SECONDS)) e.spreadSeconds = `From 0 to ${MAX_SPREAD_SECONDS} seconds.`
  return e
}

/**
 * The request body (valid form). Owner fields only on create (a schedule's
 * owner never changes); an edit carries the version read and leaves the task
 * out when it did not change, so sealed secret values stay as stored.
 */
export function requestOf(f: ScheduleForm, script: Script | undefined, existing?: Schedule, myPartnerId = ''): ScheduleRequest {
  const body: ScheduleRequest = {
    name: f.name.trim(),
    description: f.description.trim(),
    enabled: f.enabled,
    timezone: f.timezone,
    ...(timingOf(f) ?? {}),
    target: targetOf(f),
    task: taskOf(f.task, script),
    offlinePolicy: f.offlinePolicy,
    graceMinutes: Number(f.graceMinutes.trim()),
    ...(f.when === 'cron' ? { spreadSeconds: Number(f.spreadSeconds.trim()) } : {}),
  }
  if (existing) {
    if (!taskChanged(f, existing)) delete body.task
    return { ...body, version: existing.version }
  }
  return f.owner === 'org' ? { ...body, orgId: f.orgId } : { ...body, partnerId: myPartnerId }
}
