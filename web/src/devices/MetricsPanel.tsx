// Historic metrics of a device (1 h / 24 h / 7 d) as uPlot charts. This file
// is its own chunk: uPlot loads only when the Metrics tab opens.

import { useEffect, useMemo, useRef, useState } from 'react'
import { useQuery } from '@tanstack/react-query'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { api } from '../api/client'
import type { DeviceMetrics } from '../api/types'
import { Empty, ErrorState, Loading } from '../ui/States'
import { bytes } from '../ui/format'
import { RANGES, toSeries, type Range } from './metricsSeries'

export default function MetricsPanel({ deviceId, live }: { deviceId: string; live: number | false }) {
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
    </div>
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
    const fmt = unit === 'B/s' ? (n: number) => `${bytes(n)}/s` : (n: number) => `${Math.round(n)} ${unit}`
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
        y: max ? { range: [0, max] } : { range: (_u, _min, mx) => [0, mx > 0 ? mx * 1.1 : 1] },
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
