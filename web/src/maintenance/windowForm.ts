// The window editor's form: its state, checks and the request it sends.

import type { Unit } from '../admin/UnitPicker'
import { WEEKDAYS, type MaintenanceWindow, type MaintenanceWindowRequest, type Weekday, type WindowKind } from './types'

export interface WindowForm {
  name: string
  description: string
  enabled: boolean
  unit: Unit
  groupId: string
  /** a device list narrows the unit to these devices */
  deviceIds: string[]
  timeZone: string
  kind: WindowKind
  startsAt: string
  endsAt: string
  days: Weekday[]
  at: string
  durationMinutes: string
}

const LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/
export const MAX_DURATION_MINUTES = 7 * 24 * 60

/** The browser's zone, the editor's default. */
export function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
  } catch {
    return 'UTC'
  }
}

const FALLBACK_ZONES = ['UTC', 'Europe/London', 'Europe/Berlin', 'Europe/Paris', 'America/New_York', 'America/Chicago',
  'America/Denver', 'America/Los_Angeles', 'Asia/Tokyo', 'Asia/Kolkata', 'Australia/Sydney']

/** Every IANA zone the browser knows (the server checks again), the current one included. */
export function timeZones(current = ''): string[] {
  let zones: string[] = FALLBACK_ZONES
  try {
    const supported = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone')
    if (supported && supported.length > 0) zones = supported.includes('UTC') ? supported : ['UTC', ...supported]
  } catch {
    // an old engine: the short list
  }
  return current && !zones.includes(current) ? [current, ...zones] : zones
}

export function emptyForm(unit: Unit): WindowForm {
  return {
    name: '', description: '', enabled: true, unit, groupId: '', deviceIds: [], timeZone: browserZone(), kind: 'weekly',
    startsAt: '', endsAt: '', days: ['sat'], at: '22:00', durationMinutes: '240',
  }
}

export function formOf(w: MaintenanceWindow): WindowForm {
  const f = emptyForm({ level: w.orgId ? 'org' : 'partner', partnerId: w.partnerId, orgId: w.orgId ?? '', siteId: '' })
  Object.assign(f, {
    name: w.name, description: w.description, enabled: w.enabled, timeZone: w.timeZone, kind: w.kind,
    startsAt: w.startsAt ?? '', endsAt: w.endsAt ?? '', days: w.days ?? [], at: w.at ?? '22:00',
    durationMinutes: String(w.durationMinutes ?? 60),
  })
  const first = w.scopeIds[0] ?? ''
  if (w.scopeKind === 'org') f.unit = { ...f.unit, level: 'org', orgId: first }
  if (w.scopeKind === 'site') f.unit = { ...f.unit, level: 'site', siteId: first }
  if (w.scopeKind === 'group') f.groupId = first
  if (w.scopeKind === 'devices') f.deviceIds = [...w.scopeIds]
  return f
}

export function validate(f: WindowForm): Record<string, string> {
  const e: Record<string, string> = {}
  if (!f.name.trim()) e.name = 'Name the window.'
  if (!f.timeZone) e.timeZone = 'Choose a time zone.'
  if (f.kind === 'once') {
    if (!LOCAL.test(f.startsAt)) e.startsAt = 'Choose when it starts.'
    if (!LOCAL.test(f.endsAt)) e.endsAt = 'Choose when it ends.'
    else if (LOCAL.test(f.startsAt) && f.endsAt <= f.startsAt) e.endsAt = 'It must end after it starts.'
  } else {
    if (f.days.length === 0) e.days = 'Choose at least one day.'
    if (!TIME.test(f.at)) e.at = 'A time such as 22:00.'
    const d = Number(f.durationMinutes)
    if (!/^\d+$/.test(f.durationMinutes.trim()) || d < 1 || d > MAX_DURATION_MINUTES)
      e.durationMinutes = `From 1 to ${MAX_DURATION_MINUTES} minutes.`
  }
  if (f.unit.level === 'org' && !f.unit.orgId) e.scope = 'Choose the organization.'
  if (f.unit.level === 'site' && !f.unit.siteId) e.scope = 'Choose the site.'
  return e
}

/** The request body; owner fields only on create (a window's owner never changes). */
export function requestOf(f: WindowForm, existing?: MaintenanceWindow, myPartnerId = ''): MaintenanceWindowRequest {
  const u = f.unit
  const scope =
    f.deviceIds.length > 0
      ? { scopeKind: 'devices' as const, scopeIds: f.deviceIds }
      : u.level === 'partner'
        ? { scopeKind: 'partner' as const }
        : f.groupId
          ? { scopeKind: 'group' as const, scopeIds: [f.groupId] }
          : u.level === 'org'
            ? { scopeKind: 'org' as const, scopeIds: [u.orgId] }
            : { scopeKind: 'site' as const, scopeIds: [u.siteId] }
  const timing =
    f.kind === 'once'
      ? { kind: 'once' as const, startsAt: f.startsAt, endsAt: f.endsAt }
      : {
          kind: 'weekly' as const,
          days: WEEKDAYS.map((d) => d.id).filter((d) => f.days.includes(d)),
          at: f.at,
          durationMinutes: Number(f.durationMinutes),
        }
  const body: MaintenanceWindowRequest = {
    name: f.name.trim(), description: f.description.trim(), enabled: f.enabled, timeZone: f.timeZone, ...scope, ...timing,
  }
  if (existing) return { ...body, version: existing.version }
  // An org's window when it covers one org, a site, a group or its devices; else partner-wide.
  return u.level === 'partner' && f.deviceIds.length === 0
    ? { ...body, partnerId: u.partnerId || myPartnerId }
    : { ...body, orgId: u.orgId }
}

function minutes(n: number): string {
  if (n % 1440 === 0) return `${n / 1440} day${n === 1440 ? '' : 's'}`
  if (n % 60 === 0) return `${n / 60} h`
  return `${n} min`
}

/** The schedule in words, in the window's zone. */
export function describeSchedule(w: MaintenanceWindow): string {
  if (w.kind === 'once') return `${(w.startsAt ?? '').replace('T', ' ')} → ${(w.endsAt ?? '').replace('T', ' ')} (${w.timeZone})`
  const days = WEEKDAYS.filter((d) => w.days?.includes(d.id)).map((d) => d.label)
  return `${days.length === 7 ? 'Every day' : days.join(', ')} at ${w.at} for ${minutes(w.durationMinutes ?? 0)} (${w.timeZone})`
}
