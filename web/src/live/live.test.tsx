import { afterEach, describe, expect, it, vi } from 'vitest'
import { QueryClient, type InfiniteData } from '@tanstack/react-query'
import { ApiError } from '../api/client'
import type { Command, Device, Page, ScriptRun } from '../api/types'
import { json, mockApi } from '../test/api'
import { device } from '../test/devices'
import { FakeWebSocket } from '../test/ws'
import { applyLiveEvent, commandKeys, parseLiveEvent, runKeys } from './events'
import { BACKOFF_MAX_MS, backoffDelay, openLiveSocket } from './socket'

const cmd = (over: Partial<Command> = {}): Command => ({
  id: 'c1',
  deviceId: 'd1',
  orgId: 'org-1',
  siteId: 'site-1',
  action: 'list_processes',
  status: 'queued',
  stdout: '',
  stderr: '',
  truncated: false,
  createdAt: '2024-01-01T00:00:00Z',
  ...over,
})

const page = <T,>(items: T[]): InfiniteData<Page<T>> => ({ pages: [{ items, nextCursor: '' }], pageParams: [''] })

describe('live events change the caches', () => {
  it('ignores frames without a type', () => {
    expect(parseLiveEvent({ at: 'x' })).toBeNull()
    expect(parseLiveEvent('device.online')).toBeNull()
    expect(parseLiveEvent({ type: 'device.online', deviceId: 'd', at: 't' })).toMatchObject({ type: 'device.online', deviceId: 'd' })
  })

  it('sets a device online in the lists and on its page', () => {
    const qc = new QueryClient()
    const a = device(1, { status: 'offline' })
    qc.setQueryData(['devices', 'list', {}], page([a, device(2)]))
    qc.setQueryData(['devices', 'detail', a.id], { ...a })
    applyLiveEvent(qc, { type: 'device.online', at: '2030-01-01T00:00:00Z', deviceId: a.id })
    expect(qc.getQueryData<InfiniteData<Page<Device>>>(['devices', 'list', {}])!.pages[0]!.items[0]).toMatchObject({
      status: 'online',
      lastSeenAt: '2030-01-01T00:00:00Z',
    })
    expect(qc.getQueryData<Device>(['devices', 'detail', a.id])!.status).toBe('online')
    applyLiveEvent(qc, { type: 'device.decommissioned', at: '', deviceId: a.id })
    expect(qc.getQueryData<Device>(['devices', 'detail', a.id])!.status).toBe('decommissioned')
  })

  it('patches a command in the history without blanking its output, then reads the final one', async () => {
    const { calls } = mockApi({ 'GET /commands/c1': () => json(cmd({ status: 'succeeded', exitCode: 0, stdout: 'done\n' })) })
    const qc = new QueryClient()
    qc.setQueryData(commandKeys.device('d1'), page([cmd({ stdout: 'partial' })]))
    applyLiveEvent(qc, { type: 'command.updated', at: '', deviceId: 'd1', data: { ...cmd({ status: 'running' }), stdout: undefined } })
    let c = qc.getQueryData<InfiniteData<Page<Command>>>(commandKeys.device('d1'))!.pages[0]!.items[0]!
    expect(c.status).toBe('running')
    expect(c.stdout).toBe('partial')
    applyLiveEvent(qc, { type: 'command.updated', at: '', deviceId: 'd1', data: { id: 'c1', deviceId: 'd1', status: 'succeeded', exitCode: 0 } })
    await vi.waitFor(() => {
      c = qc.getQueryData<InfiniteData<Page<Command>>>(commandKeys.device('d1'))!.pages[0]!.items[0]!
      expect(c.stdout).toBe('done\n')
    })
    expect(calls.filter((x) => x.path === '/commands/c1')).toHaveLength(1)
  })

  it('patches run results by batch and the run counts', () => {
    const qc = new QueryClient()
    qc.setQueryData(runKeys.results('r1'), page([cmd({ batchId: 'r1' })]))
    qc.setQueryData<ScriptRun>(runKeys.detail('r1'), {
      id: 'r1', scriptId: 's', scriptVersion: 1, orgId: 'org-1', targetKind: 'devices', deviceIds: ['d1'], params: {},
      createdAt: '', total: 1, counts: { queued: 1 },
    })
    applyLiveEvent(qc, { type: 'command.updated', at: '', data: { id: 'c1', deviceId: 'd1', batchId: 'r1', status: 'running' } })
    expect(qc.getQueryData<InfiniteData<Page<Command>>>(runKeys.results('r1'))!.pages[0]!.items[0]!.status).toBe('running')
    applyLiveEvent(qc, { type: 'run.updated', at: '', data: { runId: 'r1', counts: { running: 1 }, total: 1 } })
    expect(qc.getQueryData<ScriptRun>(runKeys.detail('r1'))!.counts).toEqual({ running: 1 })
    // An event overtaken by a newer one never takes the counts back.
    applyLiveEvent(qc, { type: 'run.updated', at: '', data: { runId: 'r1', counts: { succeeded: 1 }, total: 1 } })
    applyLiveEvent(qc, { type: 'run.updated', at: '', data: { runId: 'r1', counts: { sent: 1 }, total: 1 } })
    expect(qc.getQueryData<ScriptRun>(runKeys.detail('r1'))!.counts).toEqual({ succeeded: 1 })
  })

  it('ignores a command frame with an unknown status', () => {
    const qc = new QueryClient()
    qc.setQueryData(commandKeys.device('d1'), page([cmd()]))
    applyLiveEvent(qc, { type: 'command.updated', at: '', data: { id: 'c1', deviceId: 'd1', status: '<b>x</b>' } })
    expect(qc.getQueryData<InfiniteData<Page<Command>>>(commandKeys.device('d1'))!.pages[0]!.items[0]!.status).toBe('queued')
  })
})

describe('the event socket', () => {
  afterEach(() => vi.useRealTimers())

  it('grows its delay with jitter and caps it', () => {
    expect(backoffDelay(0, () => 0)).toBe(500)
    expect(backoffDelay(0, () => 1)).toBe(1000)
    expect(backoffDelay(3, () => 1)).toBe(8000)
    expect(backoffDelay(30, () => 1)).toBe(BACKOFF_MAX_MS)
  })

  it('reconnects with backoff and a fresh ticket each time', async () => {
    vi.useFakeTimers()
    FakeWebSocket.instances = []
    let n = 0
    const getTicket = vi.fn(async () => `t${++n}`)
    const states: [boolean, boolean][] = []
    const messages: unknown[] = []
    const stop = openLiveSocket({
      getTicket,
      WebSocketImpl: FakeWebSocket as unknown as typeof WebSocket,
      random: () => 1,
      onMessage: (m) => messages.push(m),
      onState: (c, r) => states.push([c, r]),
    })
    await vi.advanceTimersByTimeAsync(0)
    const ws1 = FakeWebSocket.instances[0]!
    expect(ws1.url).toMatch(/^ws:\/\/[^/]+\/api\/v1\/events\?ticket=t1$/)
    ws1.open()
    ws1.push({ type: 'device.online' })
    ws1.onmessage?.(new MessageEvent('message', { data: 'not json' }))
    expect(messages).toEqual([{ type: 'device.online' }])
    ws1.drop()
    expect(states).toEqual([
      [true, false],
      [false, false],
    ])
    await vi.advanceTimersByTimeAsync(999)
    expect(getTicket).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(getTicket).toHaveBeenCalledTimes(2)
    const ws2 = FakeWebSocket.instances[1]!
    expect(ws2.query.get('ticket')).toBe('t2')
    ws2.drop() // never opened: the next delay doubles
    await vi.advanceTimersByTimeAsync(1999)
    expect(getTicket).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(getTicket).toHaveBeenCalledTimes(3)
    FakeWebSocket.instances[2]!.open()
    expect(states.at(-1)).toEqual([true, true]) // a reconnection: callers refetch what they show
    stop()
    expect(FakeWebSocket.instances[2]!.closedWith).toBe(1000)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(getTicket).toHaveBeenCalledTimes(3)
  })

  it('retries when the ticket fails, and gives up when it is refused', async () => {
    vi.useFakeTimers()
    FakeWebSocket.instances = []
    const flaky = vi.fn().mockRejectedValueOnce(new ApiError(503, 'unavailable', 'x')).mockResolvedValue('t')
    const stop = openLiveSocket({ getTicket: flaky, WebSocketImpl: FakeWebSocket as unknown as typeof WebSocket, random: () => 1, onMessage: () => {}, onState: () => {} })
    await vi.advanceTimersByTimeAsync(1000)
    expect(flaky).toHaveBeenCalledTimes(2)
    expect(FakeWebSocket.instances).toHaveLength(1)
    stop()

    const refused = vi.fn().mockRejectedValue(new ApiError(403, 'forbidden', 'no'))
    const stop2 = openLiveSocket({ getTicket: refused, WebSocketImpl: FakeWebSocket as unknown as typeof WebSocket, onMessage: () => {}, onState: () => {} })
    await vi.advanceTimersByTimeAsync(120_000)
    expect(refused).toHaveBeenCalledTimes(1)
    stop2()
  })
})

describe('the shell keeps one event stream', () => {
  it('updates a device row live and stops offering Refresh while connected', async () => {
    const { mockWebSocket } = await import('../test/ws')
    const { renderApp } = await import('../test/render')
    const { sessionRoutes } = await import('../test/api')
    const { pagedDevices } = await import('../test/devices')
    const { screen, waitFor, within } = await import('@testing-library/react')
    const sockets = mockWebSocket()
    const a = device(1, { hostname: 'alpha', status: 'online' })
    const { calls } = mockApi({
      ...sessionRoutes(),
      'POST /ws-tickets': () => json({ ticket: 'ev-1', expiresAt: '' }, 201),
      'GET /devices': pagedDevices([a]),
    })
    renderApp('/devices')
    const grid = await screen.findByRole('grid', { name: 'Devices' })
    await waitFor(() => expect(sockets).toHaveLength(1))
    expect(calls.find((c) => c.path === '/ws-tickets')!.body).toEqual({ purpose: 'events' })
    expect(sockets[0]!.query.get('ticket')).toBe('ev-1')
    expect(screen.getByRole('button', { name: 'Refresh' })).toBeTruthy()
    sockets[0]!.open()
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Refresh' })).toBeNull())
    const row = within(grid).getByRole('link', { name: 'alpha' }).closest('[role=row]') as HTMLElement
    expect(within(row).getByText('Online')).toBeTruthy()
    sockets[0]!.push({ type: 'device.offline', at: new Date().toISOString(), deviceId: a.id, orgId: 'org-1', siteId: 'site-1', data: {} })
    await waitFor(() => expect(within(row).getByText('Offline')).toBeTruthy())
    expect(calls.filter((c) => c.path === '/devices')).toHaveLength(1) // patched, not refetched
  })
})
