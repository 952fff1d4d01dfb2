import { beforeAll, describe, expect, it } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { json, makeMe, mockApi, sessionRoutes, type Handler } from '../test/api'
import { device, pagedDevices } from '../test/devices'
import { renderApp } from '../test/render'
import { MANAGER, page, profile, scan } from './fixtures'
import type { Scan } from './types'
import { RECENT_SCANS } from './useDiscovery'

function routes(over: Record<string, Handler> = {}, perms = MANAGER) {
  return {
    ...sessionRoutes(makeMe({}, perms)),
    'GET /discovery/profiles': () => page([profile()]),
    'GET /discovery/profiles/:id': () => json(profile()),
    'GET /devices': pagedDevices([device(1)]),
    ...over,
  }
}

const scanReads = (calls: { method: string; path: string }[]) => calls.filter((c) => c.method === 'GET' && c.path === '/discovery/scans').length

// The pages are lazy chunks: transform them before the first test, whose finds would otherwise wait on a busy machine.
beforeAll(async () => {
  await Promise.all([import('./ProfilePage')])
}, 60_000)

describe('a profile’s scans', () => {
  it('polls a running scan: the bar and the phase move, and polling stops once it ended', async () => {
    const states: Scan[] = [
      scan({ scanned: 64 }),
      scan({
        scanned: 192, phase: 'probe', assetsFound: 7,
        commands: [{ id: 'c1', deviceId: device(1).id, phase: 'sweep', plugin: 'breeze.netsweep', status: 'succeeded', pages: 2, assets: 300, scanned: 256 }],
      }),
      scan({ status: 'succeeded', phase: 'probe', scanned: 256, assetsFound: 9, finishedAt: '2026-12-06T10:05:00Z' }),
    ]
    let n = 0
    const older = scan({ id: 'sc0', status: 'failed', partial: true, scanned: 30, error: 'breeze.netsweep crashed', createdAt: '2026-12-05T10:00:00Z' })
    let listed = 0
    const { calls } = mockApi(
      routes({
        // the list: read at first, and again once the running scan ended
        // (the server lists newest first and the page asks for the latest RECENT_SCANS)
        'GET /discovery/scans': (c) => {
          expect(c.query.get('limit')).toBe(String(RECENT_SCANS))
          return page([listed++ === 0 ? states[0]! : states[2]!, older])
        },
        // the running scan: followed by itself, with its commands
        'GET /discovery/scans/:id': () => json(states[Math.min(n++, states.length - 1)]!),
      }),
    )
    renderApp('/discovery/profiles/pr1')
    const bar = await screen.findByRole('progressbar', { name: 'Scan progress: 64 of 256 addresses' })
    expect(bar.getAttribute('max')).toBe('256')
    // the older, failed scan: listed after the newer one, its error and the partial marker shown
    const rows = screen.getAllByRole('row').slice(1)
    expect(rows[0]!.getAttribute('data-scan-id')).toBe('sc1')
    expect(within(rows[0]!).getByText('Sweep (live hosts)')).toBeTruthy()
    expect(within(rows[1]!).getByText('Failed')).toBeTruthy()
    expect(within(rows[1]!).getByText('Partial')).toBeTruthy()
    expect(within(rows[1]!).getByText('breeze.netsweep crashed')).toBeTruthy()

    expect(await screen.findByRole('progressbar', { name: 'Scan progress: 192 of 256 addresses' }, { timeout: 6000 })).toBeTruthy()
    expect(screen.getByText('Probe (ports, SNMP)')).toBeTruthy()
    expect(screen.getByText('7')).toBeTruthy()
    expect(screen.getByText('host-00001: sweep · breeze.netsweep · succeeded · 300 assets in 2 pages')).toBeTruthy()
    expect(await screen.findByText('Succeeded', undefined, { timeout: 6000 })).toBeTruthy()
    expect(screen.getByRole('progressbar', { name: 'Scan progress: 256 of 256 addresses' })).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Cancel scan' })).toBeNull()
    await waitFor(() => expect(scanReads(calls)).toBe(2)) // the list read again once, when the scan ended
    const scanCalls = () => calls.filter((c) => c.path.startsWith('/discovery/scans')).map((c) => c.path)
    const reads = scanCalls()
    await new Promise((r) => setTimeout(r, 2600))
    expect(scanCalls()).toEqual(reads) // nothing runs: no more polling
  }, 20_000)

  it('cancels a running scan; it shows as cancelled and partial', async () => {
    let cancelled = false
    const { calls } = mockApi(
      routes({
        'GET /discovery/scans': () => page([cancelled ? scan({ status: 'cancelled', partial: true, finishedAt: '2026-12-06T10:02:00Z' }) : scan()]),
        'POST /discovery/scans/:id/cancel': () => {
          cancelled = true
          return json(scan({ status: 'cancelled', partial: true }))
        },
      }),
    )
    const user = userEvent.setup()
    renderApp('/discovery/profiles/pr1')
    expect(screen.queryByText('Cancelled')).toBeNull()
    await user.click(await screen.findByRole('button', { name: 'Cancel scan' }))
    expect(calls.filter((c) => c.method === 'POST' && c.path.startsWith('/discovery')).map((c) => c.path)).toEqual(['/discovery/scans/sc1/cancel'])
    expect(await screen.findByText('Cancelled')).toBeTruthy()
    expect(screen.getByText('Partial')).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Cancel scan' })).toBeNull()
  })

  it('runs the profile from its page and follows the new scan', async () => {
    let started = false
    mockApi(
      routes({
        'GET /discovery/scans': () => page(started ? [scan({ status: 'queued', scanned: 0 })] : []),
        'POST /discovery/profiles/:id/scans': () => {
          started = true
          return json(scan({ status: 'queued', scanned: 0 }), 202)
        },
      }),
    )
    const user = userEvent.setup()
    renderApp('/discovery/profiles/pr1')
    expect(await screen.findByText('Not scanned yet.')).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'Run now' }))
    expect(await screen.findByText('Scan started.')).toBeTruthy()
    expect(await screen.findByText('Queued')).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Run now' }).hasAttribute('disabled')).toBe(true)
    expect(screen.getByRole('button', { name: 'Cancel scan' })).toBeTruthy()
  })
})
