import { describe, expect, it } from 'vitest'
import { act, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { ALL_PERMISSIONS, json, makeMe, mockApi, sessionRoutes } from '../test/api'
import { renderApp } from '../test/render'
import { mockWebSocket } from '../test/ws'
import type { FleetSummary } from './types'
import { changesSummary, REFRESH_DEBOUNCE_MS } from './useFleetSummary'

const XSS = '<img src=x onerror=alert(1)>'
const PERMS = [...ALL_PERMISSIONS, 'alerts:read', 'alerts:acknowledge', 'alerts:write']
const DEV = '0190e4c4-0000-7000-8000-000000000001'

const summary = (over: Partial<FleetSummary> = {}): FleetSummary => ({
  devices: { online: 7, offline: 2, pending: 1, decommissioned: 0, total: 10 },
  alerts: { info: 4, warning: 3, critical: 1, total: 8 },
  attention: [
    {
      deviceId: DEV, hostname: 'db-01', status: 'offline', orgId: 'org-1', orgName: 'Demo Customer', siteId: 'site-1',
      siteName: 'HQ', worstSeverity: 'critical', openAlerts: 2, latestAt: '2024-01-01T00:00:00Z',
    },
    {
      deviceId: 'd2', hostname: XSS, status: 'online', orgId: 'org-1', orgName: 'Demo Customer', siteId: 'site-1', siteName: 'HQ',
      worstSeverity: 'warning', openAlerts: 1, latestAt: '2024-01-01T00:00:00Z',
    },
  ],
  activity: [
    {
      alertId: 'a1', deviceId: DEV, hostname: 'db-01', orgId: 'org-1', severity: 'critical', kind: 'device_offline',
      message: 'offline for 10 minutes', to: 'open', actor: 'system', at: '2024-01-01T00:00:00Z',
    },
    {
      alertId: 'a2', deviceId: 'd2', hostname: 'web-02', orgId: 'org-1', severity: 'warning', kind: 'metric_threshold',
      message: 'cpu 95 > 90', from: 'open', to: 'acknowledged', actor: 'u1', at: '2024-01-01T00:00:00Z',
    },
  ],
  generatedAt: '2024-01-01T00:00:00Z',
  ...over,
})

function routes(get: () => FleetSummary = () => summary(), perms = PERMS) {
  return {
    ...sessionRoutes(makeMe({}, perms)),
    'GET /fleet/summary': () => json(get()),
    'POST /ws-tickets': () => json({ ticket: 't', expiresAt: '' }, 201),
  }
}

const tile = (name: string) => screen.getByRole('link', { name })

describe('the home page', () => {
  it('is where "/" lands for device readers, and shows the counts, the devices needing attention and the activity', async () => {
    const { calls } = mockApi(routes())
    const { container } = renderApp('/')
    expect(await screen.findByRole('heading', { name: 'Fleet overview' })).toBeTruthy()
    await screen.findByRole('link', { name: 'Online: 7' })
    expect(tile('Devices: 10').getAttribute('href')).toBe('/devices')
    expect(tile('Offline: 2').getAttribute('href')).toBe('/devices?status=offline')
    expect(tile('Critical alerts: 1').getAttribute('href')).toBe('/alerts?state=unresolved&severity=critical')
    expect(tile('Warning alerts: 3').getAttribute('href')).toBe('/alerts?state=unresolved&severity=warning')
    expect(tile('Info alerts: 4').getAttribute('href')).toBe('/alerts?state=unresolved&severity=info')
    expect(screen.getByText('1 pending')).toBeTruthy()

    const table = screen.getByRole('table', { name: 'Devices needing attention' })
    const rows = within(table).getAllByRole('row')
    expect(rows).toHaveLength(3)
    expect(within(rows[1]!).getByRole('link', { name: 'db-01' }).getAttribute('href')).toBe(`/devices/${DEV}?tab=alerts`)
    expect(within(rows[1]!).getByText('Critical')).toBeTruthy()
    expect(within(rows[1]!).getByText('Demo Customer')).toBeTruthy()
    expect(within(rows[1]!).getByText('HQ')).toBeTruthy()
    expect(within(rows[2]!).getByRole('link', { name: XSS })).toBeTruthy() // a hostname is text
    expect(container.querySelector('main img')).toBeNull()

    const activity = screen.getByRole('list', { name: 'Recent alert activity' })
    const items = within(activity).getAllByRole('listitem')
    expect(items[0]!.textContent).toContain('offline for 10 minutes opened automatically on db-01')
    expect(within(items[0]!).getByRole('link', { name: 'offline for 10 minutes' }).getAttribute('href')).toBe('/alerts/a1')
    expect(items[1]!.textContent).toContain('acknowledged by a user on web-02')

    expect(screen.getByRole('link', { name: 'Overview' }).className).toContain('active')
    const call = calls.find((c) => c.path === '/fleet/summary')!
    expect(call.query.get('orgId')).toBeNull()
  })

  it('links an alert tile to the Alerts page filtered on it, in the tenant’s site', async () => {
    const { calls } = mockApi({
      ...routes(),
      'GET /alerts': () => json({ items: [], nextCursor: '' }),
      'GET /alert-rules': () => json({ items: [], nextCursor: '' }),
    })
    const user = userEvent.setup()
    renderApp('/')
    await screen.findByRole('link', { name: 'Critical alerts: 1' })
    const tenant = within(screen.getByRole('navigation', { name: 'Tenant' }))
    await waitFor(() => expect(tenant.getAllByRole('option', { name: 'Demo Customer' })).toHaveLength(1))
    await user.selectOptions(tenant.getByLabelText('Organization'), 'org-1')
    await waitFor(() => expect(tenant.getAllByRole('option', { name: 'HQ' })).toHaveLength(1))
    await user.selectOptions(tenant.getByLabelText('Site'), 'site-1')
    await waitFor(() => expect(tile('Warning alerts: 3').getAttribute('href')).toBe('/alerts?state=unresolved&severity=warning&siteId=site-1'))
    await user.click(tile('Warning alerts: 3'))
    expect(await screen.findByRole('heading', { name: 'Alerts' })).toBeTruthy()
    await waitFor(() => expect(calls.some((c) => c.path === '/alerts')).toBe(true))
    const q = calls.find((c) => c.path === '/alerts')!.query
    expect([q.get('state'), q.get('severity'), q.get('siteId'), q.get('orgId')]).toEqual(['unresolved', 'warning', 'site-1', 'org-1'])
    const main = within(screen.getByRole('main'))
    expect((main.getByLabelText('State') as HTMLSelectElement).value).toBe('unresolved')
    expect((main.getByLabelText('Severity') as HTMLSelectElement).value).toBe('warning')
    expect(await main.findByText('No alert matches.')).toBeTruthy()
  })

  it('shows the device counts alone to a caller who cannot read alerts', async () => {
    mockApi(routes(() => summary({ alerts: { info: 0, warning: 0, critical: 0, total: 0 }, attention: [], activity: [] }), ALL_PERMISSIONS))
    renderApp('/home')
    await screen.findByRole('link', { name: 'Online: 7' })
    expect(screen.queryByRole('link', { name: /Critical alerts/ })).toBeNull()
    expect(screen.queryByRole('heading', { name: 'Needing attention' })).toBeNull()
  })

  it('says when nothing needs attention', async () => {
    mockApi(routes(() => summary({ attention: [], activity: [] })))
    renderApp('/home')
    expect(await screen.findByText('Nothing needs attention.')).toBeTruthy()
    expect(screen.getByText('No alert activity yet.')).toBeTruthy()
  })

  it('reads the summary again after a burst of live events, once, after the stream goes quiet', async () => {
    const sockets = mockWebSocket()
    let online = 7
    const { calls } = mockApi(routes(() => summary({ devices: { online, offline: 9 - online, pending: 1, decommissioned: 0, total: 10 } })))
    renderApp('/home')
    await screen.findByRole('link', { name: 'Online: 7' })
    await waitFor(() => expect(sockets.length).toBe(1))
    act(() => sockets[0]!.open())
    const reads = () => calls.filter((c) => c.path === '/fleet/summary').length
    const before = reads()

    online = 4
    act(() => {
      for (let i = 0; i < 3; i++) sockets[0]!.push({ type: 'device.offline', at: new Date().toISOString(), orgId: 'org-1', deviceId: `d${i}` })
      sockets[0]!.push({ type: 'alert.opened', at: new Date().toISOString(), orgId: 'org-1', data: { id: 'a9', state: 'open' } })
      sockets[0]!.push({ type: 'command.updated', at: new Date().toISOString(), data: { id: 'c1', status: 'running' } })
    })
    // debounced: nothing yet
    await new Promise((r) => setTimeout(r, REFRESH_DEBOUNCE_MS / 4))
    expect(reads()).toBe(before)
    expect(await screen.findByRole('link', { name: 'Online: 4' }, { timeout: REFRESH_DEBOUNCE_MS + 3000 })).toBeTruthy()
    await new Promise((r) => setTimeout(r, 300))
    expect(reads()).toBe(before + 1)

    // an event the summary does not depend on changes nothing
    act(() => sockets[0]!.push({ type: 'run.updated', at: new Date().toISOString(), data: { runId: 'r1' } }))
    await new Promise((r) => setTimeout(r, REFRESH_DEBOUNCE_MS + 300))
    expect(reads()).toBe(before + 1)
  }, 15_000)

  it('picks the events that change a summary', () => {
    const ev = (type: string, orgId?: string) => ({ type, at: '', orgId })
    expect(changesSummary(ev('device.online'), {})).toBe(true)
    expect(changesSummary(ev('alert.resolved'), {})).toBe(true)
    expect(changesSummary(ev('command.updated'), {})).toBe(false)
    expect(changesSummary(ev('device.offline', 'org-2'), { orgId: 'org-1' })).toBe(false)
    expect(changesSummary(ev('device.offline', 'org-1'), { orgId: 'org-1' })).toBe(true)
    expect(changesSummary(ev('device.moved', 'org-2'), { orgId: 'org-1' })).toBe(true)
  })
})
