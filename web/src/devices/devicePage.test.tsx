import { beforeEach, describe, expect, it, vi } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { apiError, json, mockApi, sessionRoutes } from '../test/api'
import { device } from '../test/devices'
import { renderApp } from '../test/render'

// uPlot draws on a canvas, which jsdom lacks: record what it is given instead.
const charts: { series: number; points: number }[] = []
vi.mock('uplot', () => ({
  default: class {
    constructor(opts: { series: unknown[] }, data: unknown[][]) {
      charts.push({ series: opts.series.length, points: data[0]!.length })
    }
    setSize() {}
    destroy() {}
  },
}))
// Stubbed before each test: globals are restored after every test.
beforeEach(() => {
  vi.stubGlobal(
    'ResizeObserver',
    class {
      observe() {}
      disconnect() {}
    },
  )
})

const d = device(7, { hostname: 'web-07', groupId: undefined })
const detail = {
  ...d,
  latest: {
    at: new Date().toISOString(), cpuPercent: 12.4, memoryUsed: 2 * 1024 ** 3, memoryTotal: 8 * 1024 ** 3, diskUsed: 10,
    diskTotal: 100, netRxBps: 2048, netTxBps: 1024, load1: 0.5, uptimeSeconds: 93784, processCount: 211,
    detail: { disks: [{ mount: '/', fsType: 'ext4', total: 100, used: 10 }] },
  },
}

describe('the device page', () => {
  it('shows the client certificate: serial, expiry, revoked', async () => {
    const cert = { serial: 'a1b2c3', caId: 'ca-1', state: 'valid', notBefore: '2030-01-01T00:00:00Z', notAfter: '2030-01-31T00:00:00Z', issuedAt: '2030-01-01T00:00:00Z' }
    let current: Record<string, unknown> = { ...detail, cert }
    mockApi({ ...sessionRoutes(), 'GET /devices/:id': () => json(current) })
    const { unmount } = renderApp(`/devices/${d.id}`)
    const row = await screen.findByText(/Valid until/)
    expect(row.textContent).toContain('a1b2c3')
    unmount()
    current = { ...detail, cert: { ...cert, state: 'revoked', revokedAt: '2030-01-05T00:00:00Z' } }
    renderApp(`/devices/${d.id}`)
    expect((await screen.findByText(/Revoked/)).textContent).toContain('a1b2c3')
  })

  it('shows the overview, then metrics for 1 h / 24 h / 7 d', async () => {
    const { calls } = mockApi({
      ...sessionRoutes(),
      'GET /devices/:id': () => json(detail),
      'GET /devices/:id/metrics': (c) =>
        json({
          deviceId: d.id, from: c.query.get('from'), to: c.query.get('to'), stepSeconds: Number(c.query.get('step')),
          points: [
            { at: '2024-01-01T00:00:00Z', samples: 1, cpuAvg: 1, cpuMax: 2, memoryUsed: 1, memoryTotal: 2, diskUsed: 1, diskTotal: 2, netRxBps: 1, netTxBps: 1, load1: 0 },
            { at: '2024-01-01T00:01:00Z', samples: 1, cpuAvg: 1, cpuMax: 2, memoryUsed: 1, memoryTotal: 2, diskUsed: 1, diskTotal: 2, netRxBps: 1, netTxBps: 1, load1: 0 },
          ],
        }),
    })
    const user = userEvent.setup()
    renderApp(`/devices/${d.id}`)
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('web-07')
    expect(screen.getByText('12 %')).toBeTruthy()
    expect(screen.getByText('25 %')).toBeTruthy() // memory 2 of 8 GiB
    expect(screen.getByText('1 d 2 h')).toBeTruthy()
    expect(screen.getByText(/none yet \(the agent asks for one/)).toBeTruthy() // no client certificate
    expect(screen.getAllByRole('tab').map((t) => t.textContent)).toEqual(['Overview', 'Metrics', 'Inventory', 'Commands', 'Terminal', 'Files'])

    const tabs = screen.getByRole('tablist')
    within(tabs).getByRole('tab', { name: 'Overview' }).focus()
    await user.keyboard('{ArrowRight}')
    expect(within(tabs).getByRole('tab', { name: 'Metrics' }).getAttribute('aria-selected')).toBe('true')
    await waitFor(() => expect(charts.length).toBe(4))
    expect(charts.map((c) => c.series)).toEqual([3, 2, 2, 3])
    const m1 = calls.filter((c) => c.path.endsWith('/metrics')).at(-1)!
    expect(m1.query.get('step')).toBe('60')
    expect(Date.parse(m1.query.get('to')!) - Date.parse(m1.query.get('from')!)).toBe(3600_000)

    await user.click(screen.getByRole('radio', { name: '7d' }))
    await waitFor(() => expect(calls.filter((c) => c.path.endsWith('/metrics')).at(-1)!.query.get('step')).toBe('3600'))
    const m7 = calls.filter((c) => c.path.endsWith('/metrics')).at(-1)!
    expect(Date.parse(m7.query.get('to')!) - Date.parse(m7.query.get('from')!)).toBe(7 * 86400_000)
  })

  it('charts a collector plugin metric the device reports, chosen from a list', async () => {
    charts.length = 0
    const withPlugins = {
      ...detail,
      latest: {
        ...detail.latest,
        detail: {
          plugins: [
            { plugin: 'acme.queue', name: 'queue.depth', value: 3, unit: 'jobs', labels: { q: 'a' } },
            { plugin: 'acme.queue', name: 'queue.depth', value: 5, unit: 'jobs', labels: { q: 'b' } },
            { plugin: 'breeze.failedunits', name: 'systemd.failed_units', value: 0 },
          ],
        },
      },
    }
    const { calls } = mockApi({
      ...sessionRoutes(),
      'GET /devices/:id': () => json(withPlugins),
      'GET /devices/:id/metrics': (c) =>
        json({ deviceId: d.id, from: c.query.get('from'), to: c.query.get('to'), stepSeconds: 60, points: [] }),
      'GET /devices/:id/plugin-metrics': (c) =>
        json({
          deviceId: d.id, plugin: c.query.get('plugin'), metric: c.query.get('metric'), from: c.query.get('from'),
          to: c.query.get('to'), stepSeconds: 60,
          points: [
            { at: '2024-01-01T00:00:00Z', samples: 2, avg: 4, min: 3, max: 5 },
            { at: '2024-01-01T00:05:00Z', samples: 2, avg: 4, min: 3, max: 5 }, // a gap: a null is put between
          ],
        }),
    })
    const user = userEvent.setup()
    renderApp(`/devices/${d.id}?tab=metrics`)
    const select = await screen.findByRole('combobox', { name: 'Metric' })
    // labels fold into one metric; sorted by plugin and name
    expect(within(select).getAllByRole('option').map((o) => o.textContent)).toEqual([
      'acme.queue: queue.depth (jobs)',
      'breeze.failedunits: systemd.failed_units',
    ])
    await waitFor(() => expect(calls.some((c) => c.path.endsWith('/plugin-metrics'))).toBe(true))
    const first = calls.filter((c) => c.path.endsWith('/plugin-metrics')).at(-1)!
    expect(first.query.get('plugin')).toBe('acme.queue')
    expect(first.query.get('metric')).toBe('queue.depth')
    await waitFor(() => expect(charts.at(-1)).toEqual({ series: 3, points: 3 }))
    await user.selectOptions(screen.getByRole('combobox', { name: 'Metric' }), 'breeze.failedunits: systemd.failed_units')
    expect((screen.getByRole('combobox', { name: 'Metric' }) as HTMLSelectElement).value).toBe('1')
    await waitFor(() =>
      expect(calls.filter((c) => c.path.endsWith('/plugin-metrics')).at(-1)!.query.get('metric')).toBe('systemd.failed_units'),
    )
  })

  it('shows a network device without remote-work tabs, even when the URL names one', async () => {
    const net = { ...device(8, { hostname: 'printer', kind: 'network', os: 'network', arch: '' }), plugins: [] }
    mockApi({ ...sessionRoutes(), 'GET /devices/:id': () => json(net) })
    renderApp(`/devices/${net.id}?tab=terminal`)
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('printer')
    expect(screen.getByText('Network')).toBeTruthy()
    const labels = screen.getAllByRole('tab').map((t) => t.textContent)
    expect(labels).not.toContain('Terminal')
    expect(labels).not.toContain('Files')
    expect(labels).not.toContain('Commands')
    expect(screen.getByRole('tab', { name: 'Overview' }).getAttribute('aria-selected')).toBe('true')
  })

  it('says so when a device does not exist or has no inventory', async () => {
    mockApi({
      ...sessionRoutes(),
      'GET /devices/:id': (c) => (c.path.endsWith(d.id) ? json(detail) : apiError(404, 'not_found')),
      'GET /devices/:id/inventory': () => apiError(404, 'not_found'),
    })
    const user = userEvent.setup()
    const first = renderApp('/devices/0190e4c4-0000-7000-8000-00000000dead')
    expect(await screen.findByText('This device does not exist, or you cannot see it.')).toBeTruthy()
    first.unmount()
    renderApp(`/devices/${d.id}?tab=inventory`)
    expect(await screen.findByText('No inventory yet.')).toBeTruthy()
    await user.click(screen.getByRole('tab', { name: 'Overview' }))
    expect(await screen.findByText('Agent version')).toBeTruthy()
  })

  it('moves the device within its organization with its version', async () => {
    const { calls } = mockApi({
      ...sessionRoutes(),
      'GET /devices/:id': () => json(detail),
      'GET /sites': () => json({ items: [{ id: 'site-1', orgId: 'org-1', name: 'HQ' }, { id: 'site-2', orgId: 'org-1', name: 'Branch' }], nextCursor: '' }),
      'GET /device-groups': () => json({ items: [{ id: 'g-2', orgId: 'org-1', siteId: 'site-2', name: 'Branch PCs' }], nextCursor: '' }),
      'PATCH /devices/:id': () => json(d),
    })
    const user = userEvent.setup()
    renderApp(`/devices/${d.id}`)
    await user.click(await screen.findByRole('button', { name: 'Move…' }))
    const dialog = await screen.findByRole('dialog')
    await waitFor(() => expect(within(dialog).getByRole('option', { name: 'Branch' })).toBeTruthy())
    await user.selectOptions(within(dialog).getByLabelText('Site'), 'site-2')
    await user.selectOptions(within(dialog).getByLabelText('Group'), 'g-2')
    await user.click(within(dialog).getByRole('button', { name: 'Move' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'PATCH')).toBe(true))
    expect(calls.find((c) => c.method === 'PATCH')!.body).toEqual({ siteId: 'site-2', groupId: 'g-2', version: 1 })
  })
})
