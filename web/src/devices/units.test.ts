import { describe, expect, it } from 'vitest'
import { QueryClient, type InfiniteData } from '@tanstack/react-query'
import type { Device, DeviceDetail, Page } from '../api/types'
import { device } from '../test/devices'
import { applyDeviceEvent, parseDeviceEvent } from '../live/events'
import { toSeries } from './metricsSeries'
import { sortDevices } from './sort'

const point = (at: string, cpu: number) => ({
  at, samples: 1, cpuAvg: cpu, cpuMax: cpu + 5, memoryUsed: 50, memoryTotal: 200, diskUsed: 0, diskTotal: 0,
  netRxBps: 10, netTxBps: 20, load1: 0.1,
})

describe('metric series', () => {
  it('breaks the lines where buckets are missing and computes percentages', () => {
    const s = toSeries(
      [point('2024-01-01T00:00:00Z', 10), point('2024-01-01T00:01:00Z', 20), point('2024-01-01T00:05:00Z', 30)],
      60,
    )
    expect(s.t).toEqual([1704067200, 1704067260, 1704067320, 1704067500])
    expect(s.cpuAvg).toEqual([10, 20, null, 30])
    expect(s.memPct[0]).toBe(25)
    expect(s.diskPct[0]).toBeNull() // no total: no percentage, not 0 % or NaN
  })
  it('is empty for no points', () => expect(toSeries([], 60).t).toEqual([]))
})

describe('device sorting', () => {
  const names = new Map([
    ['o1', 'Zeta'],
    ['o2', 'Alpha'],
  ])
  const list = [
    device(1, { hostname: 'web-10', status: 'offline', orgId: 'o1' }),
    device(2, { hostname: 'web-9', status: 'online', orgId: 'o2' }),
    device(3, { hostname: 'db-1', status: 'pending', orgId: 'o1' }),
  ]
  it('sorts hostnames naturally', () =>
    expect(sortDevices(list, 'hostname', 'asc', names).map((d) => d.hostname)).toEqual(['db-1', 'web-9', 'web-10']))
  it('sorts status by severity, then hostname', () =>
    expect(sortDevices(list, 'status', 'asc', names).map((d) => d.status)).toEqual(['online', 'offline', 'pending']))
  it('sorts by organization name, descending', () =>
    expect(sortDevices(list, 'org', 'desc', names).map((d) => d.hostname)).toEqual(['web-10', 'db-1', 'web-9']))
  it('does not change its input', () => {
    sortDevices(list, 'hostname', 'desc', names)
    expect(list[0]!.hostname).toBe('web-10')
  })
})

describe('live device events', () => {
  it('accepts only well-formed events', () => {
    expect(parseDeviceEvent({ type: 'device.status', deviceId: 'x', status: 'online' })).toEqual({
      type: 'device.status',
      deviceId: 'x',
      status: 'online',
    })
    expect(parseDeviceEvent({ type: 'device.status', deviceId: 'x', status: '<b>' })).toBeNull()
    expect(parseDeviceEvent({ type: 'nope' })).toBeNull()
    expect(parseDeviceEvent('device.status')).toBeNull()
    expect(parseDeviceEvent(null)).toBeNull()
  })

  it('patches cached lists and the device page without refetching', () => {
    const qc = new QueryClient()
    const a = device(1, { status: 'offline' })
    const b = device(2)
    const key = ['devices', 'list', { orgId: 'o' }]
    qc.setQueryData<InfiniteData<Page<Device>>>(key, { pages: [{ items: [a, b], nextCursor: '' }], pageParams: [''] })
    qc.setQueryData<DeviceDetail>(['devices', 'detail', a.id], { ...a })
    const before = qc.getQueryData<InfiniteData<Page<Device>>>(key)!
    applyDeviceEvent(qc, { type: 'device.status', deviceId: a.id, status: 'online', lastSeenAt: '2030-01-01T00:00:00Z' })
    const after = qc.getQueryData<InfiniteData<Page<Device>>>(key)!
    expect(after.pages[0]!.items[0]).toMatchObject({ id: a.id, status: 'online', lastSeenAt: '2030-01-01T00:00:00Z' })
    expect(after.pages[0]!.items[1]).toBe(before.pages[0]!.items[1]) // untouched rows keep their identity
    expect(qc.getQueryData<DeviceDetail>(['devices', 'detail', a.id])!.status).toBe('online')
    applyDeviceEvent(qc, { type: 'device.status', deviceId: 'unknown', status: 'offline' })
    expect(qc.getQueryData(key)).toBe(after) // nothing to change: same object
  })
})

describe('formatting', async () => {
  const { bytes, percent } = await import('../ui/format')
  it('formats sizes and rates', () => {
    expect(bytes(0)).toBe('0 B')
    expect(bytes(0.4)).toBe('0.4 B')
    expect(bytes(1536)).toBe('1.5 KiB')
    expect(bytes(8 * 1024 ** 3)).toBe('8.0 GiB')
    expect(bytes(undefined)).toBe('—')
    expect(percent(1, 4)).toBe('25 %')
    expect(percent(1, 0)).toBe('—')
  })
})
