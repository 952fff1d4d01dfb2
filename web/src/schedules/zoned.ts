// Wall-clock times in a named zone, for the one-off time and the fire times
// shown in the schedule's zone, with the browser's Intl only.

const DAY = 86_400_000
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/

function parts(t: number, zone: string): Record<string, number> {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  })
  const out: Record<string, number> = {}
  for (const p of f.formatToParts(new Date(t))) if (p.type !== 'literal') out[p.type] = Number(p.value)
  return out
}

/** The zone's offset from UTC at instant t, in ms. */
function offsetAt(t: number, zone: string): number {
  const p = parts(t, zone)
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!, p.second!) - Math.floor(t / 1000) * 1000
}

/**
 * The instant (RFC 3339, UTC) of a local date-time YYYY-MM-DDTHH:MM in zone;
 * null when either is not valid. A time a daylight-saving change skips
 * moves forward by the jump; a repeated one is the first.
 */
export function zonedToInstant(local: string, zone: string): string | null {
  const m = LOCAL.exec(local)
  if (!m) return null
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]))
  try {
    // the zone's offsets around that day: the wall time is wall - offset for one of them
    const offsets = [...new Set([-DAY, 0, DAY].map((d) => offsetAt(wall + d, zone)))]
    const fits = offsets.map((o) => wall - o).filter((x) => instantToZoned(new Date(x).toISOString(), zone) === local)
    // repeated: the first; skipped (none fits): read with the offset before the jump, i.e. moved forward by it
    const t = fits.length > 0 ? Math.min(...fits) : wall - Math.min(...offsets)
    return new Date(t).toISOString().replace('.000Z', 'Z')
  } catch {
    return null
  }
}

/** The local date-time YYYY-MM-DDTHH:MM of an instant in zone ('' when either is not valid). */
export function instantToZoned(iso: string, zone: string): string {
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return ''
  try {
    const p = parts(t, zone)
    const z = (n: number | undefined, w = 2) => String(n ?? 0).padStart(w, '0')
    return `${z(p.year, 4)}-${z(p.month)}-${z(p.day)}T${z((p.hour ?? 0) % 24)}:${z(p.minute)}`
  } catch {
    return ''
  }
}

/** An instant for people, in zone (the browser's zone when it is not valid). */
export function formatInZone(iso: string | undefined, zone: string): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return '—'
  const opts: Intl.DateTimeFormatOptions = { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }
  try {
    return new Intl.DateTimeFormat(undefined, { ...opts, timeZone: zone }).format(d)
  } catch {
    return new Intl.DateTimeFormat(undefined, opts).format(d)
  }
}
