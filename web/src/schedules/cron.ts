// The editor's cron helper: a few common shapes built into (and read back
// from) a 5-field expression (minute hour day-of-month month day-of-week),
// and a schedule's timing in words. Anything else stays a raw expression;
// the server parses and checks every expression.

export type Preset = 'minutes' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'custom'

export interface CronForm {
  preset: Preset
  /** minutes: every N minutes (1..59) */
  everyMinutes: string
  /** hourly: minute past the hour (0..59) */
  minute: string
  /** daily, weekly, monthly: HH:MM */
  at: string
  /** weekly: 0 (Sunday) .. 6 */
  days: number[]
  /** monthly: day of the month (1..31) */
  dayOfMonth: string
  /** custom */
  raw: string
}

export const PRESETS: { id: Preset; label: string }[] = [
  { id: 'minutes', label: 'Every N minutes' },
  { id: 'hourly', label: 'Every hour' },
  { id: 'daily', label: 'Every day' },
  { id: 'weekly', label: 'Every week' },
  { id: 'monthly', label: 'Every month' },
  { id: 'custom', label: 'Cron expression' },
]

/** Monday first, as people read a week; values are cron's (0 = Sunday). */
export const DAYS: { n: number; label: string }[] = [
  { n: 1, label: 'Mon' },
  { n: 2, label: 'Tue' },
  { n: 3, label: 'Wed' },
  { n: 4, label: 'Thu' },
  { n: 5, label: 'Fri' },
  { n: 6, label: 'Sat' },
  { n: 0, label: 'Sun' },
]

export function emptyCron(): CronForm {
  return { preset: 'daily', everyMinutes: '15', minute: '0', at: '02:00', days: [1, 2, 3, 4, 5], dayOfMonth: '1', raw: '' }
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/
const isInt = (s: string, lo: number, hi: number) => /^\d{1,2}$/.test(s.trim()) && Number(s) >= lo && Number(s) <= hi

/** The form's problem, or null (the server checks the expression again). */
export function cronProblem(c: CronForm): string | null {
  switch (c.preset) {
    case 'minutes':
      return isInt(c.everyMinutes, 1, 59) ? null : 'Every 1 to 59 minutes.'
    case 'hourly':
      return isInt(c.minute, 0, 59) ? null : 'A minute from 0 to 59.'
    case 'daily':
      return TIME.test(c.at) ? null : 'A time such as 02:30.'
    case 'weekly':
      if (c.days.length === 0) return 'Choose at least one day.'
      return TIME.test(c.at) ? null : 'A time such as 02:30.'
    case 'monthly':
      if (!isInt(c.dayOfMonth, 1, 31)) return 'A day of the month from 1 to 31.'
      return TIME.test(c.at) ? null : 'A time such as 02:30.'
    case 'custom':
      return c.raw.trim().split(/\s+/).length === 5 ? null : 'Five fields: minute hour day-of-month month day-of-week.'
  }
}

/** Sorted days with consecutive runs as ranges: [1,2,3,4,5] → "1-5", [0,6] → "0,6". */
export function daysField(days: number[]): string {
  const d = [...new Set(days)].sort((a, b) => a - b)
  const parts: string[] = []
  for (let i = 0; i < d.length; ) {
    let j = i
    while (j + 1 < d.length && d[j + 1] === d[j]! + 1) j++
    parts.push(j - i >= 2 ? `${d[i]}-${d[j]}` : d.slice(i, j + 1).join(','))
    i = j + 1
  }
  return parts.join(',')
}

/** The 5-field expression of the form (meaningful once cronProblem is null). */
export function cronOf(c: CronForm): string {
  const [h, m] = TIME.test(c.at) ? c.at.split(':').map(Number) : [0, 0]
  switch (c.preset) {
    case 'minutes': {
      const n = Number(c.everyMinutes)
      return n === 1 ? '* * * * *' : `*/${n} * * * *`
    }
    case 'hourly':
      return `${Number(c.minute)} * * * *`
    case 'daily':
      return `${m} ${h} * * *`
    case 'weekly':
      return `${m} ${h} * * ${daysField(c.days)}`
    case 'monthly':
      return `${m} ${h} ${Number(c.dayOfMonth)} * *`
    case 'custom':
      return c.raw.trim().split(/\s+/).join(' ')
  }
}

function expandDays(field: string): number[] | null {
  const out: number[] = []
  for (const part of field.split(',')) {
    const r = /^(\d)(?:-(\d))?$/.exec(part)
    if (!r) return null
    const a = Number(r[1])
    const b = r[2] === undefined ? a : Number(r[2])
    if (a > 6 || b > 6 || b < a) return null
    for (let i = a; i <= b; i++) out.push(i)
  }
  return out
}

const pad = (n: number) => String(n).padStart(2, '0')

/**
 * Reads an expression back into the helper's shapes; an expression the
 * helper would not write the same way stays custom, so editing a schedule
 * never rewrites its expression unasked.
 */
export function parseCron(expr: string): CronForm {
  const base = { ...emptyCron(), raw: expr }
  const f = expr.trim().split(/\s+/)
  const candidates: CronForm[] = []
  if (f.length === 5) {
    const [mi, ho, dom, mon, dow] = f as [string, string, string, string, string]
    const num = (s: string) => (/^\d{1,2}$/.test(s) ? Number(s) : NaN)
    const at = `${pad(num(ho))}:${pad(num(mi))}`
    if (ho === '*' && dom === '*' && mon === '*' && dow === '*') {
      if (mi === '*') candidates.push({ ...base, preset: 'minutes', everyMinutes: '1' })
      const every = /^\*\/(\d{1,2})$/.exec(mi)
      if (every) candidates.push({ ...base, preset: 'minutes', everyMinutes: String(Number(every[1])) })
      if (!Number.isNaN(num(mi))) candidates.push({ ...base, preset: 'hourly', minute: String(num(mi)) })
    }
    if (!Number.isNaN(num(mi)) && !Number.isNaN(num(ho)) && mon === '*') {
      if (dom === '*' && dow === '*') candidates.push({ ...base, preset: 'daily', at })
      const days = dom === '*' && dow !== '*' ? expandDays(dow) : null
      if (days) candidates.push({ ...base, preset: 'weekly', at, days })
      if (dow === '*' && !Number.isNaN(num(dom))) candidates.push({ ...base, preset: 'monthly', at, dayOfMonth: String(num(dom)) })
    }
  }
  const exact = candidates.find((c) => cronProblem(c) === null && cronOf(c) === expr.trim())
  return exact ?? { ...base, preset: 'custom' }
}

function dayList(days: number[]): string {
  const set = new Set(days)
  if (set.size === 7) return 'Every day'
  if (set.size === 5 && [1, 2, 3, 4, 5].every((d) => set.has(d))) return 'Weekdays'
  if (set.size === 2 && set.has(0) && set.has(6)) return 'Weekends'
  return DAYS.filter((d) => set.has(d.n))
    .map((d) => d.label)
    .join(', ')
}

/** A cron expression in words, when the helper knows its shape; else the expression itself. */
export function describeCron(expr: string): string {
  const c = parseCron(expr)
  switch (c.preset) {
    case 'minutes':
      return c.everyMinutes === '1' ? 'Every minute' : `Every ${c.everyMinutes} minutes`
    case 'hourly':
      return `Every hour at :${pad(Number(c.minute))}`
    case 'daily':
      return `Every day at ${c.at}`
    case 'weekly':
      return `${dayList(c.days)} at ${c.at}`
    case 'monthly':
      return `Monthly on day ${c.dayOfMonth} at ${c.at}`
    case 'custom':
      return `cron ${expr.trim()}`
  }
}
