// Historic metrics of a device (1 h / 24 h / 7 d) as uPlot charts. This file
// is its own chunk: uPlot loads only when the Metrics tab opens.

import { useEffect, useMemo, useRef, useState } from 'react'
import { useQuery } from '@tanstack/react-query'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { api } from '../api/client'
import type { DeviceMetrics, DevicePluginMetrics } from '../api/types'
import { Empty, ErrorState, Loading } from '../ui/States'
import { bytes } from '../ui/format'
import { RANGES, toPluginSeries, toSeries, type Range } from './metricsSeries'

export interface PluginMetricName {
  plugin: string
  name: string
  unit: string
}

export default function MetricsPanel({
  deviceId,
  live,
  pluginMetrics = [],
}: {
  deviceId: string
  live: number | false
  /** The collector metrics the device reports (from its latest sample). */
  pluginMetrics?: PluginMetricName[]
}) {
  const [range, setRange] = useState<Range>('1h')
  const metrics = useQuery({
    queryKey: ['devices', 'metrics', deviceId, range],
    queryFn: ({ signal }) => {
      const to = new Date()
      const from = new Date(to.getTime() - RANGES[range].ms)
      return api.get<DeviceMetrics>(
        `/devices/${encodeURIComponent(deviceId)}/metrics`,
        { from: from.toISOString(), to: to.toISOString(), step: RANGES[range].step },
        signal,
      )
    },
    refetchInterval: range === '1h' ? live : false,
  })
  const series = useMemo(() => (metrics.data ? toSeries(metrics.data.points, metrics.data.stepSeconds) : null), [metrics.data])
  // The x axis always spans the asked range, however few samples fall in it.
  const span = useMemo<[number, number] | null>(
    () => (metrics.data ? [Date.parse(metrics.data.from) / 1000, Date.parse(metrics.data.to) / 1000] : null),
    [metrics.data],
  )
  // Stable definitions: a chart is rebuilt only when its data changes.
  const charts = useMemo(
    () =>
      series && [
        {
          title: 'CPU',
          unit: '%',
          max: 100,
          lines: [
            { label: 'average', data: series.cpuAvg, color: '--chart-1' },
            { label: 'peak', data: series.cpuMax, color: '--chart-2' },
          ],
        },
        { title: 'Memory used', unit: '%', max: 100, lines: [{ label: 'memory', data: series.memPct, color: '--chart-3' }] },
        { title: 'Disk used', unit: '%', max: 100, lines: [{ label: 'disk', data: series.diskPct, color: '--chart-4' }] },
        {
          title: 'Network',
          unit: 'B/s',
          lines: [
            { label: 'received', data: series.rx, color: '--chart-1' },
            { label: 'sent', data: series.tx, color: '--chart-2' },
          ],
        },
      ],
    [series],
  )

  return (
    <div className="metrics">
      <div className="segmented" role="radiogroup" aria-label="Time range">
        {(Object.keys(RANGES) as Range[]).map((r) => (
          <button
            key={r}
            type="button"
            role="radio"
            aria-checked={range === r}
            className={range === r ? 'segment active' : 'segment'}
            onClick={() => setRange(r)}
          >
            {r}
          </button>
        ))}
      </div>
      {metrics.isPending ? (
        <Loading label="Loading metrics…" />
      ) : metrics.isError ? (
        <ErrorState error={metrics.error} onRetry={() => void metrics.refetch()} />
      ) : !series || series.t.length === 0 ? (
        <Empty title={`No samples in the last ${RANGES[range].label}.`}>
          Metrics appear once the agent sends heartbeats.
        </Empty>
      ) : (
        <div className="charts">
          {charts!.map((c) => (
            <Chart key={c.title} t={series.t} span={span!} {...c} />
          ))}
        </div>
      )}
      {pluginMetrics.length > 0 && <PluginMetricChart deviceId={deviceId} range={range} live={live} metrics={pluginMetrics} />}
    </div>
  )
}

/** One collector plugin metric, chosen from those the device reports. */
function PluginMetricChart({
  deviceId,
  range,
  live,
  metrics,
}: {
  deviceId: string
  range: Range
  live: number | false
  metrics: PluginMetricName[]
}) {
  const [chosen, setChosen] = useState(0)
  const m = metrics[Math.min(chosen, metrics.length - 1)]!
  const q = useQuery({
    queryKey: ['devices', 'plugin-metrics', deviceId, m.plugin, m.name, range],
    queryFn: ({ signal }) => {
      const to = new Date()
      const from = new Date(to.getTime() - RANGES[range].ms)
      return api.get<DevicePluginMetrics>(
        `/devices/${encodeURIComponent(deviceId)}/plugin-metrics`,
        { plugin: m.plugin, metric: m.name, from: from.toISOString(), to: to.toISOString(), step: RANGES[range].step },
        signal,
      )
    },
    refetchInterval: range === '1h' ? live : false,
  })
  const series = useMemo(() => (q.data ? toPluginSeries(q.data.points, q.data.stepSeconds) : null), [q.data])
  const span = useMemo<[number, number] | null>(
    () => (q.data ? [Date.parse(q.data.from) / 1000, Date.parse(q.data.to) / 1000] : null),
    [q.data],
  )
  const lines = useMemo(
    () =>
      series
        ? [
            { label: 'average', data: series.avg, color: '--chart-1' },
            { label: 'peak', data: series.max, color: '--chart-2' },
          ]
        : [],
    [series],
  )
  return (
    <section className="plugin-metrics" aria-label="Plugin metrics">
      <h2 className="section-title">Plugin metrics</h2>
      <label>
        Metric{' '}
        <select value={chosen} onChange={(e) => setChosen(Number(e.target.value))}>
          {metrics.map((x, i) => (
            <option key={`${x.plugin}/${x.name}`} value={i}>
              {x.plugin}: {x.name}
              {x.unit ? ` (${x.unit})` : ''}
            </option>
          ))}
        </select>
      </label>
      {q.isPending ? (
        <Loading label="Loading the metric…" />
      ) : q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : !series || series.t.length === 0 ? (
        <Empty title={`No values of ${m.name} in the last ${RANGES[range].label}.`} />
      ) : (
        <div className="charts">
          <Chart title={`${m.plugin}: ${m.name}`} unit={m.unit} t={series.t} span={span!} lines={lines} />
        </div>
      )}
    </section>
  )
}

interface Line {
  label: string
  data: (number | null)[]
  color: string // a CSS variable of the theme
}

/** Re-renders whenever the theme changes, so the charts follow dark and light. */
function useThemeVersion(): number {
  const [v, setV] = useState(0)
  useEffect(() => {
    const bump = () => setV((n) => n + 1)
    const mo = new MutationObserver(bump)
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] })
    const mq = window.matchMedia?.('(prefers-color-scheme: dark)')
    mq?.addEventListener?.('change', bump)
    return () => {
      mo.disconnect()
      mq?.removeEventListener?.('change', bump)
    }
  }, [])
  return v
}

function Chart({
  title,
  unit,
  t,
  span,
  lines,
  max,
}: {
  title: string
  unit: string
  t: number[]
  span: [number, number]
  lines: Line[]
  max?: number
}) {
  const ref = useRef<HTMLDivElement>(null)
  const theme = useThemeVersion()
  useEffect(() => {
    const el = ref.current
    if (!el) return
    const css = getComputedStyle(document.documentElement)
    const v = (name: string) => css.getPropertyValue(name).trim() || '#888'
    const fmt =
      unit === 'B/s'
        ? (n: number) => `${bytes(n)}/s`
        : unit === '%'
          ? (n: number) => `${Math.round(n)} %`
          : (n: number) => `${Number(n.toPrecision(4))}${unit ? ` ${unit}` : ''}`
    const axis = { stroke: v('--text-muted'), grid: { stroke: v('--border'), width: 1 }, ticks: { stroke: v('--border') } }
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: 200,
      series: [
        {},
        ...lines.map((l) => ({
          label: l.label,
          stroke: v(l.color),
          width: 1.5,
          spanGaps: false,
          points: { show: t.length < 3 }, // a lone sample would be invisible as a line
          value: (_u: uPlot, n: number | null) => (n === null ? '—' : fmt(n)),
        })),
      ],
      scales: {
        x: { time: true, range: () => span },
        y: max ? { range: [0, max] } : { range: (_u, mn, mx) => [Math.min(0, mn), mx > 0 ? mx * 1.1 : mx < 0 ? 0 : 1] },
      },
      axes: [axis, { ...axis, size: 70, values: (_u, vals) => vals.map((n) => fmt(n)) }],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    }
    const chart = new uPlot(opts, [t, ...lines.map((l) => l.data)] as uPlot.AlignedData, el)
    const ro = new ResizeObserver(() => chart.setSize({ width: Math.max(280, el.clientWidth), height: 200 }))
    ro.observe(el)
    return () => {
      ro.disconnect()
      chart.destroy()
    }
  }, [t, span, lines, max, unit, theme])
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={ref} className="chart-canvas" />
    </figure>
  )
}
