import type { MetricPoint } from '../api/types'

export type Range = '1h' | '24h' | '7d'

/** Each range and its bucket size: about 60 to 170 points per chart. */
export const RANGES: Record<Range, { label: string; ms: number; step: string }> = {
  '1h': { label: '1 hour', ms: 3600_000, step: '60' },
  '24h': { label: '24 hours', ms: 86400_000, step: '600' },
  '7d': { label: '7 days', ms: 7 * 86400_000, step: '3600' },
}

export interface Series {
  t: number[] // unix seconds
  cpuAvg: (number | null)[]
  cpuMax: (number | null)[]
  memPct: (number | null)[]
  diskPct: (number | null)[]
  rx: (number | null)[]
  tx: (number | null)[]
}

const pct = (used: number, total: number) => (total > 0 ? (used / total) * 100 : null)

/**
 * Columns for the charts. The server leaves out buckets without samples; a
 * null is put in each gap so the lines break there instead of bridging an
 * outage.
 */
export function toSeries(points: MetricPoint[], stepSeconds: number): Series {
  const s: Series = { t: [], cpuAvg: [], cpuMax: [], memPct: [], diskPct: [], rx: [], tx: [] }
  let prev: number | null = null
  for (const p of points) {
    const t = Math.floor(Date.parse(p.at) / 1000)
    if (!Number.isFinite(t)) continue
    if (prev !== null && stepSeconds > 0 && t - prev > stepSeconds * 1.5) {
      s.t.push(prev + stepSeconds)
      for (const k of ['cpuAvg', 'cpuMax', 'memPct', 'diskPct', 'rx', 'tx'] as const) s[k].push(null)
    }
    s.t.push(t)
    s.cpuAvg.push(p.cpuAvg)
    s.cpuMax.push(p.cpuMax)
    s.memPct.push(pct(p.memoryUsed, p.memoryTotal))
    s.diskPct.push(pct(p.diskUsed, p.diskTotal))
    s.rx.push(p.netRxBps)
    s.tx.push(p.netTxBps)
    prev = t
  }
  return s
}

export interface PluginSeries {
  t: number[]
  avg: (number | null)[]
  max: (number | null)[]
}

/** Columns for a collector metric's chart, with the same gap breaks. */
export function toPluginSeries(points: { at: string; avg: number; max: number }[], stepSeconds: number): PluginSeries {
  const s: PluginSeries = { t: [], avg: [], max: [] }
  let prev: number | null = null
  for (const p of points) {
    const t = Math.floor(Date.parse(p.at) / 1000)
    if (!Number.isFinite(t)) continue
    if (prev !== null && stepSeconds > 0 && t - prev > stepSeconds * 1.5) {
      s.t.push(prev + stepSeconds)
      s.avg.push(null)
      s.max.push(null)
    }
    s.t.push(t)
    s.avg.push(p.avg)
    s.max.push(p.max)
    prev = t
  }
  return s
}

/** The distinct collector metrics of a sample (labels folded), sorted. */
export function pluginMetricNames(metrics: { plugin: string; name: string; unit?: string }[] | undefined) {
  const seen = new Map<string, { plugin: string; name: string; unit: string }>()
  for (const m of metrics ?? []) {
    const k = `${m.plugin}\u0000${m.name}`
    if (!seen.has(k)) seen.set(k, { plugin: m.plugin, name: m.name, unit: m.unit ?? '' })
  }
  return [...seen.values()].sort((a, b) => (a.plugin + a.name).localeCompare(b.plugin + b.name))
}
