import { describe, expect, it } from 'vitest'
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { ALL_PERMISSIONS, apiError, json, makeMe, mockApi, sessionRoutes } from '../test/api'
import { device } from '../test/devices'
import { renderApp } from '../test/render'
import { mockWebSocket } from '../test/ws'
import type { Delivery, NotificationRoute } from '../notify/types'
import type { Alert, AlertRule, AlertTemplate } from './types'

const XSS = '<img src=x onerror=alert(1)>'
const ALERT_PERMS = [...ALL_PERMISSIONS, 'alerts:read', 'alerts:acknowledge', 'alerts:write']
const dev = device(3, { hostname: 'db-03' })

const alert = (over: Partial<Alert> = {}): Alert => ({
  id: 'a1', partnerId: 'p1', orgId: 'org-1', siteId: 'site-1', deviceId: dev.id, ruleId: 'r1', kind: 'metric_threshold',
  severity: 'critical', state: 'open', message: 'cpu 97 > 90 for 10m0s', value: 97, openedAt: '2024-01-01T00:00:00Z', version: 1,
  ...over,
})

const rule = (over: Partial<AlertRule> = {}): AlertRule => ({
  id: 'r1', partnerId: 'p1', orgId: 'org-1', name: 'High CPU', description: '', enabled: true, severity: 'critical',
  kind: 'metric_threshold', params: { metric: 'cpu', comparator: '>', threshold: 90, durationSeconds: 600, clearThreshold: 80 },
  scopeKind: 'org', scopeIds: ['org-1'], excludeDeviceIds: [], renotifySeconds: 0, version: 3, createdAt: '', updatedAt: '',
  ...over,
})

const page = (items: unknown[]) => json({ items, nextCursor: '' })

/** What GET /alert-templates answers (core/app/alerts/templates.go). */
const TEMPLATES: AlertTemplate[] = [
  { id: 'offline', name: 'Device offline', description: 'Out of contact for 10 minutes.', severity: 'critical', kind: 'device_offline', params: { minutes: 10 } },
  { id: 'failed-units', name: 'Failed systemd units', description: 'At least one failed unit.', severity: 'warning', kind: 'inventory_fact',
    params: { source: 'fact', plugin: 'breeze.failedunits', key: 'systemd.failed_count', op: '>', value: '0' } },
  { id: 'plugin-failed', name: 'Agent plugin failed', description: 'A plugin is failed.', severity: 'warning', kind: 'plugin_failed', params: {} },
]

function routes(over: Record<string, Parameters<typeof mockApi>[0][string]> = {}, perms = ALERT_PERMS) {
  return {
    ...sessionRoutes(makeMe({}, perms)),
    'GET /alert-rules': () => page([rule()]),
    'GET /devices/:id': () => json(dev),
    'GET /alert-templates': () => page(TEMPLATES),
    'POST /alert-rules/preview': () => json({ count: 0, devices: [] }),
    ...over,
  }
}

describe('the Alerts page', () => {
  it('lists alerts with names, filters by state and severity, and renders messages as text', async () => {
    const { calls } = mockApi(
      routes({
        'GET /alerts': (c) =>
          c.query.get('severity') === 'info'
            ? page([])
            : page([alert(), alert({ id: 'a2', severity: 'warning', state: 'acknowledged', message: XSS })]),
      }),
    )
    const user = userEvent.setup()
    const { container } = renderApp('/alerts')
    expect(await screen.findByRole('link', { name: 'cpu 97 > 90 for 10m0s' })).toBeTruthy()
    expect(screen.getByRole('link', { name: XSS })).toBeTruthy()
    expect(container.querySelector('main img')).toBeNull()
    expect(await screen.findAllByRole('link', { name: 'db-03' })).toHaveLength(2)
    expect(screen.getAllByText('High CPU')).toHaveLength(2)
    expect(screen.getByRole('cell', { name: 'Critical' })).toBeTruthy()
    expect(screen.getAllByText('Acknowledged').length).toBeGreaterThan(0)

    const main = screen.getByRole('main')
    await user.selectOptions(within(main).getByLabelText('State'), 'open')
    await waitFor(() => expect(calls.some((c) => c.path === '/alerts' && c.query.get('state') === 'open')).toBe(true))
    await user.selectOptions(within(main).getByLabelText('Severity'), 'info')
    expect(await screen.findByText('No alert matches.')).toBeTruthy()
    expect(calls.find((c) => c.path === '/alerts' && c.query.get('severity') === 'info')!.query.get('state')).toBe('open')
  })

  it('takes every filter from the URL, narrows by site and opening time, and clears them', async () => {
    const { calls } = mockApi(routes({ 'GET /alerts': () => page([alert()]) }))
    const user = userEvent.setup()
    renderApp('/alerts?state=acknowledged&severity=warning&siteId=site-1&from=2024-01-01T00:00:00Z&to=2024-02-01T00:00:00Z&state2=x')
    await screen.findByRole('link', { name: 'cpu 97 > 90 for 10m0s' })
    const q = calls.find((c) => c.path === '/alerts')!.query
    expect(Object.fromEntries([...q].filter(([k]) => k !== 'limit'))).toEqual({
      state: 'acknowledged', severity: 'warning', siteId: 'site-1', from: '2024-01-01T00:00:00.000Z', to: '2024-02-01T00:00:00.000Z',
    })
    const main = within(screen.getByRole('main'))
    expect((main.getByLabelText('State') as HTMLSelectElement).value).toBe('acknowledged')
    expect((main.getByLabelText('Severity') as HTMLSelectElement).value).toBe('warning')
    const site = main.getByLabelText('Site') as HTMLSelectElement
    await waitFor(() => expect(site.selectedOptions[0]!.textContent).toBe('Demo Customer / HQ')) // no org chosen: named with its org
    expect((main.getByLabelText('Opened after') as HTMLInputElement).value).toMatch(/^20(23-12-31|24-01-01)T\d\d:\d\d$/)

    fireEvent.change(main.getByLabelText('Opened before'), { target: { value: '' } })
    await waitFor(() => expect(calls.filter((c) => c.path === '/alerts').at(-1)!.query.has('to')).toBe(false))
    fireEvent.change(main.getByLabelText('Opened after'), { target: { value: '2024-01-05T08:30' } })
    await waitFor(() => expect(calls.filter((c) => c.path === '/alerts').at(-1)!.query.get('from')).toBe(new Date('2024-01-05T08:30').toISOString()))
    expect((main.getByLabelText('Opened after') as HTMLInputElement).value).toBe('2024-01-05T08:30')
    await user.selectOptions(site, '')
    await waitFor(() => expect(calls.filter((c) => c.path === '/alerts').at(-1)!.query.has('siteId')).toBe(false))
    expect(calls.filter((c) => c.path === '/alerts').at(-1)!.query.get('state')).toBe('acknowledged')

    await user.click(main.getByRole('button', { name: 'Clear filters' }))
    await waitFor(() => expect([...calls.filter((c) => c.path === '/alerts').at(-1)!.query.keys()]).toEqual(['limit']))
    expect((main.getByLabelText('State') as HTMLSelectElement).value).toBe('')
    expect((main.getByLabelText('Opened after') as HTMLInputElement).value).toBe('')
    expect(main.queryByRole('button', { name: 'Clear filters' })).toBeNull()
  })

  it('leads back from an alert’s page to the list it was opened from, filters included', async () => {
    mockApi(routes({ 'GET /alerts': () => page([alert()]), 'GET /alerts/:id': () => json(alert()), 'GET /alerts/:id/deliveries': () => page([]) }))
    const user = userEvent.setup()
    renderApp('/alerts?severity=critical&state=open')
    await user.click(await screen.findByRole('link', { name: 'cpu 97 > 90 for 10m0s' }))
    const crumbs = await screen.findByRole('navigation', { name: 'Breadcrumb' })
    expect(within(crumbs).getByRole('link', { name: 'Alerts' }).getAttribute('href')).toBe('/alerts?severity=critical&state=open')
    await user.click(within(crumbs).getByRole('link', { name: 'Alerts' }))
    const main = within(screen.getByRole('main'))
    expect(((await main.findByLabelText('Severity')) as HTMLSelectElement).value).toBe('critical')
    expect((main.getByLabelText('State') as HTMLSelectElement).value).toBe('open')
  })

  it('asks for no alerts while the time range is reversed', async () => {
    const { calls } = mockApi(routes({ 'GET /alerts': () => page([alert()]) }))
    renderApp('/alerts?from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z')
    expect((await screen.findByRole('alert')).textContent).toContain('must be later')
    expect(calls.some((c) => c.path === '/alerts')).toBe(false)
    const main = within(screen.getByRole('main'))
    fireEvent.change(main.getByLabelText('Opened before'), { target: { value: '' } })
    await waitFor(() => expect(calls.some((c) => c.path === '/alerts')).toBe(true))
    expect(calls.find((c) => c.path === '/alerts')!.query.has('to')).toBe(false)
    expect(await screen.findByRole('link', { name: 'cpu 97 > 90 for 10m0s' })).toBeTruthy()
  })

  it('follows the tenant switcher’s site, and lets the filter widen it', async () => {
    const { calls } = mockApi(routes({ 'GET /alerts': () => page([alert()]) }))
    const user = userEvent.setup()
    const { client } = renderApp('/alerts')
    // the filter of the list on screen (a list already read is shown from the cache, not read again)
    const shown = () => client.getQueryCache().findAll({ queryKey: ['alerts', 'list'], type: 'active' }).map((q) => q.queryKey[2])
    await screen.findByRole('link', { name: 'cpu 97 > 90 for 10m0s' })
    const tenant = within(screen.getByRole('navigation', { name: 'Tenant' }))
    await waitFor(() => expect(tenant.getAllByRole('option', { name: 'Demo Customer' })).toHaveLength(1))
    await user.selectOptions(tenant.getByLabelText('Organization'), 'org-1')
    await waitFor(() => expect(tenant.getAllByRole('option', { name: 'HQ' })).toHaveLength(1))
    await user.selectOptions(tenant.getByLabelText('Site'), 'site-1')
    await waitFor(() => expect(calls.filter((c) => c.path === '/alerts').at(-1)!.query.get('siteId')).toBe('site-1'))
    expect(calls.filter((c) => c.path === '/alerts').at(-1)!.query.get('orgId')).toBe('org-1')
    const site = within(screen.getByRole('main')).getByLabelText('Site') as HTMLSelectElement
    await waitFor(() => expect(site.selectedOptions[0]!.textContent).toBe('HQ')) // an org chosen: the site's own name
    await user.selectOptions(site, '')
    await waitFor(() => expect(shown()).toEqual([expect.objectContaining({ orgId: 'org-1', siteId: undefined })]))
    expect(site.value).toBe('')
    await user.selectOptions(tenant.getByLabelText('Organization'), '')
    await waitFor(() => expect(shown()).toEqual([expect.objectContaining({ orgId: undefined, siteId: undefined })]))
  })

  it('shows a new alert when alert.opened arrives on the live stream, without polling', async () => {
    const sockets = mockWebSocket()
    let list = [alert()]
    const { calls } = mockApi(routes({ 'GET /alerts': () => page(list), 'POST /ws-tickets': () => json({ ticket: 't', expiresAt: '' }, 201) }))
    renderApp('/alerts')
    await screen.findByRole('link', { name: 'cpu 97 > 90 for 10m0s' })
    await waitFor(() => expect(sockets.length).toBe(1))
    act(() => sockets[0]!.open())
    list = [alert({ id: 'a9', message: 'memory 99 > 95 for 10m0s', severity: 'warning' }), ...list]
    const before = calls.filter((c) => c.path === '/alerts').length
    act(() =>
      sockets[0]!.push({
        type: 'alert.opened', at: new Date().toISOString(), orgId: 'org-1', deviceId: dev.id,
        data: { id: 'a9', ruleId: 'r1', severity: 'warning', state: 'open', message: 'memory 99 > 95 for 10m0s' },
      }),
    )
    expect(await screen.findByRole('link', { name: 'memory 99 > 95 for 10m0s' })).toBeTruthy()
    expect(calls.filter((c) => c.path === '/alerts').length).toBe(before + 1)
    // an unrelated or malformed frame changes nothing
    act(() => sockets[0]!.push({ type: 'alert.opened', data: { id: 7 } }))
    expect(calls.filter((c) => c.path === '/alerts').length).toBe(before + 1)
  })

  it('acknowledges and resolves the selected alerts after asking, with a note', async () => {
    const list = [alert(), alert({ id: 'a2', state: 'acknowledged', message: 'disk / 95 > 90' }), alert({ id: 'a3', state: 'resolved', message: 'old one' })]
    const { calls } = mockApi(
      routes({
        'GET /alerts': () => page(list),
        'POST /alerts/:id/acknowledge': () => json(alert({ state: 'acknowledged' })),
        'POST /alerts/:id/resolve': () => json(alert({ state: 'resolved' })),
      }),
    )
    const user = userEvent.setup()
    renderApp('/alerts')
    await screen.findByRole('link', { name: 'old one' })
    expect((screen.getByRole('checkbox', { name: 'Select old one' }) as HTMLInputElement).disabled).toBe(true)
    await user.click(screen.getByRole('checkbox', { name: 'Select every unresolved alert' }))
    const bar = screen.getByRole('region', { name: 'Selected alerts' })
    expect(within(bar).getByText('2 selected')).toBeTruthy()

    await user.click(within(bar).getByRole('button', { name: 'Acknowledge…' }))
    const ack = screen.getByRole('dialog', { name: 'Acknowledge 1 alert?' })
    await user.click(within(ack).getByRole('button', { name: 'Cancel' }))
    expect(calls.some((c) => c.method === 'POST' && c.path.startsWith('/alerts/'))).toBe(false)
    await user.click(within(bar).getByRole('button', { name: 'Acknowledge…' }))
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Acknowledge' }))
    await waitFor(() => expect(calls.filter((c) => c.path.endsWith('/acknowledge')).map((c) => c.path)).toEqual(['/alerts/a1/acknowledge']))
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Selected alerts' })).toBeNull())

    await user.click(screen.getByRole('checkbox', { name: 'Select every unresolved alert' }))
    await user.click(screen.getByRole('button', { name: 'Resolve…' }))
    const res = screen.getByRole('dialog', { name: 'Resolve 2 alerts?' })
    await user.type(within(res).getByLabelText('Note (optional)'), 'fixed the cron job')
    await user.click(within(res).getByRole('button', { name: 'Resolve' }))
    await waitFor(() => expect(calls.filter((c) => c.path.endsWith('/resolve')).length).toBe(2))
    expect(calls.filter((c) => c.path.endsWith('/resolve')).map((c) => c.body)).toEqual([{ note: 'fixed the cron job' }, { note: 'fixed the cron job' }])
  })

  it('offers no selection to a reader without alerts:acknowledge, and no rules link without alerts:write', async () => {
    mockApi(routes({ 'GET /alerts': () => page([alert()]) }, [...ALL_PERMISSIONS, 'alerts:read']))
    renderApp('/alerts')
    await screen.findByRole('link', { name: 'cpu 97 > 90 for 10m0s' })
    expect(screen.queryByRole('checkbox')).toBeNull()
    expect(screen.getByRole('link', { name: 'Alerts' })).toBeTruthy()
    expect(screen.queryByRole('link', { name: 'Alert rules' })).toBeNull()
  })

  it('shows the error state', async () => {
    mockApi(routes({ 'GET /alerts': () => apiError(500, 'internal', 'database down') }))
    renderApp('/alerts')
    expect(await screen.findByText('database down')).toBeTruthy()
  })
})

describe('an alert’s page', () => {
  it('shows the history, acknowledges, then resolves with a note', async () => {
    let current = alert({ history: [{ to: 'open', actor: 'system', at: '2024-01-01T00:00:00Z' }] })
    const { calls } = mockApi(
      routes({
        'GET /alerts/:id': () => json(current),
        'POST /alerts/:id/acknowledge': () => {
          current = { ...current, state: 'acknowledged', acknowledgedAt: '2024-01-01T00:05:00Z', acknowledgedBy: 'u-1',
            history: [...current.history!, { from: 'open', to: 'acknowledged', actor: 'u-1', at: '2024-01-01T00:05:00Z' }] }
          return json(current)
        },
        'POST /alerts/:id/resolve': (c) => {
          const note = (c.body as { note: string }).note
          current = { ...current, state: 'resolved', resolvedAt: '2024-01-01T00:09:00Z', resolvedBy: 'u-1', note,
            history: [...current.history!, { from: 'acknowledged', to: 'resolved', actor: 'u-1', note, at: '2024-01-01T00:09:00Z' }] }
          return json(current)
        },
      }),
    )
    const user = userEvent.setup()
    renderApp('/alerts/a1')
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('cpu 97 > 90 for 10m0s')
    expect(await screen.findByRole('link', { name: 'db-03' })).toBeTruthy()
    expect(await screen.findByText('High CPU')).toBeTruthy()
    const history = screen.getByRole('table', { name: 'History' })
    expect(within(history).getAllByRole('row')).toHaveLength(2)
    await user.click(screen.getByRole('button', { name: 'Acknowledge' }))
    await waitFor(() => expect(within(screen.getByRole('table', { name: 'History' })).getByText('Open → Acknowledged')).toBeTruthy())
    expect(screen.queryByRole('button', { name: 'Acknowledge' })).toBeNull()

    await user.click(screen.getByRole('button', { name: 'Resolve…' }))
    const dialog = screen.getByRole('dialog', { name: 'Resolve this alert' })
    await user.type(within(dialog).getByLabelText('Note'), 'rebooted the VM')
    await user.click(within(dialog).getByRole('button', { name: 'Resolve' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(calls.find((c) => c.path === '/alerts/a1/resolve')!.body).toEqual({ note: 'rebooted the VM' })
    expect(within(screen.getByRole('table', { name: 'History' })).getByText('rebooted the VM')).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Resolve…' })).toBeNull()
  })

  it('shows the notification log with every outcome, reminders, digests and holds', async () => {
    const d = (over: Partial<Delivery>): Delivery => ({
      id: 'x', alertId: 'a1', routeId: 'route-1', orgId: 'org-1', channelId: 'breeze.webhook', transition: 'open', reminder: 0,
      attempt: 1, outcome: 'delivered', detail: '', latencyMs: 40, at: '2024-01-01T00:01:00Z', ...over,
    })
    const onCall: NotificationRoute = {
      id: 'route-1', partnerId: 'p1', orgId: 'org-1', name: 'On-call', channelId: 'breeze.webhook', severities: ['critical'],
      ratePerHour: 0, groupAfter: 5, groupIntervalSeconds: 300, enabled: true, createdBy: 'u1', createdAt: '',
    }
    const { calls } = mockApi(
      routes({
        'GET /alerts/:id': () => json(alert()),
        'GET /notification-routes': () => page([onCall]),
        'GET /alerts/:id/deliveries': (c) =>
          c.query.get('cursor')
            ? page([d({ id: 'x9', outcome: 'suppressed', detail: 'resolved during the hold', routeId: 'gone' })])
            : json({
                items: [
                  d({ id: 'x1' }),
                  d({ id: 'x2', outcome: 'grouped', digestId: 'dg-1' }),
                  d({ id: 'x3', outcome: 'held', heldUntil: '2024-01-01T06:00:00Z' }),
                  d({ id: 'x4', reminder: 3, outcome: 'rate_limited' }),
                  d({ id: 'x5', outcome: 'failed', detail: XSS, attempt: 2 }),
                  d({ id: 'x6', outcome: 'dead', attempt: 5 }),
                  d({ id: 'x7', outcome: 'something_new' }),
                ],
                nextCursor: 'more',
              }),
      }),
    )
    const user = userEvent.setup()
    const { container } = renderApp('/alerts/a1')
    const log = await screen.findByRole('table', { name: 'Notifications' })
    const row = (id: string) => container.querySelector(`tr[data-delivery-id="${id}"]`) as HTMLElement
    expect(calls.find((c) => c.path === '/alerts/a1/deliveries')).toBeTruthy()
    expect(within(log).getAllByRole('row')).toHaveLength(8)
    await waitFor(() => expect(within(row('x1')).getByText('On-call')).toBeTruthy())
    expect(within(row('x1')).getByText('Delivered').className).toContain('pill-ok')
    expect(within(row('x2')).getByText('Grouped')).toBeTruthy()
    expect(within(row('x2')).getByText('In digest')).toBeTruthy()
    expect(within(row('x3')).getByText('Held')).toBeTruthy()
    expect(row('x3').textContent).toMatch(/held until .*2024/)
    expect(within(row('x4')).getByText('Reminder 3')).toBeTruthy()
    expect(within(row('x4')).getByText('Rate limited')).toBeTruthy()
    expect(within(row('x5')).getByText('Failed')).toBeTruthy()
    expect(within(row('x5')).getByText(XSS)).toBeTruthy() // detail is text
    expect(container.querySelector('main img')).toBeNull()
    expect(within(row('x6')).getByText('Dead').className).toContain('pill-bad')
    expect(within(row('x7')).getByText('something_new')).toBeTruthy()
    for (const id of ['x1', 'x2', 'x3', 'x5']) expect(within(row(id)).queryByText(/^Reminder/)).toBeNull()
    for (const id of ['x1', 'x3', 'x4']) expect(within(row(id)).queryByText('In digest')).toBeNull()

    await user.click(screen.getByRole('button', { name: 'More notifications' }))
    await waitFor(() => expect(row('x9')).toBeTruthy())
    expect(within(row('x9')).getByText('Suppressed')).toBeTruthy()
    expect(within(row('x9')).getByText('a deleted route')).toBeTruthy()
    expect(calls.filter((c) => c.path === '/alerts/a1/deliveries').at(-1)!.query.get('cursor')).toBe('more')
  })

  it('reads the notification log again when the alert changes on the live stream', async () => {
    const sockets = mockWebSocket()
    let log: unknown[] = []
    const { calls } = mockApi(
      routes({
        'GET /alerts/:id': () => json(alert()),
        'GET /alerts/:id/deliveries': () => page(log),
        'POST /ws-tickets': () => json({ ticket: 't', expiresAt: '' }, 201),
      }),
    )
    renderApp('/alerts/a1')
    expect(await screen.findByText('No notifications sent.')).toBeTruthy()
    await waitFor(() => expect(sockets.length).toBe(1))
    act(() => sockets[0]!.open())
    log = [{ id: 'x1', alertId: 'a1', routeId: 'route-1', orgId: 'org-1', channelId: 'breeze.webhook', transition: 'acknowledged',
      reminder: 0, attempt: 1, outcome: 'held', detail: '', heldUntil: '2024-01-01T06:00:00Z', latencyMs: 0, at: '2024-01-01T00:05:00Z' }]
    const before = calls.filter((c) => c.path === '/alerts/a1/deliveries').length
    act(() => sockets[0]!.push({ type: 'alert.acknowledged', at: new Date().toISOString(), orgId: 'org-1', data: { id: 'a1', state: 'acknowledged' } }))
    expect(await screen.findByText('Held')).toBeTruthy()
    expect(calls.filter((c) => c.path === '/alerts/a1/deliveries').length).toBe(before + 1)
  })

  it('says when no notification went out', async () => {
    mockApi(routes({ 'GET /alerts/:id': () => json(alert()), 'GET /alerts/:id/deliveries': () => page([]) }))
    renderApp('/alerts/a1')
    expect(await screen.findByText('No notifications sent.')).toBeTruthy()
  })

  it('keeps the dialog open with the server’s message when resolving fails', async () => {
    mockApi(routes({ 'GET /alerts/:id': () => json(alert()), 'POST /alerts/:id/resolve': () => apiError(409, 'conflict', 'already resolved') }))
    const user = userEvent.setup()
    renderApp('/alerts/a1')
    await user.click(await screen.findByRole('button', { name: 'Resolve…' }))
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Resolve' }))
    expect(await within(screen.getByRole('dialog')).findByText('already resolved')).toBeTruthy()
  })
})

describe('the device page’s Alerts tab', () => {
  it('lists this device’s alerts, and is absent without alerts:read', async () => {
    const { calls } = mockApi(routes({ 'GET /alerts': () => page([alert()]) }))
    const user = userEvent.setup()
    const first = renderApp(`/devices/${dev.id}`)
    await user.click(await screen.findByRole('tab', { name: 'Alerts' }))
    expect(await screen.findByRole('link', { name: 'cpu 97 > 90 for 10m0s' })).toBeTruthy()
    expect(calls.find((c) => c.path === '/alerts')!.query.get('deviceId')).toBe(dev.id)
    expect(screen.queryByRole('columnheader', { name: 'Device' })).toBeNull()
    first.unmount()

    mockApi(routes({}, ALL_PERMISSIONS))
    renderApp(`/devices/${dev.id}`)
    await screen.findByRole('tab', { name: 'Overview' })
    expect(screen.queryByRole('tab', { name: 'Alerts' })).toBeNull()
  })
})

describe('alert rules', () => {
  it('creates a metric threshold rule for one organization', async () => {
    const { calls } = mockApi(routes({ 'POST /alert-rules': (c) => json({ ...rule(), ...(c.body as object), id: 'r2' }, 201) }))
    const user = userEvent.setup()
    renderApp('/alert-rules')
    expect(await screen.findByText('High CPU')).toBeTruthy()
    expect(screen.getByText('cpu > 90 for 10 min, clears at 80')).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'New rule' }))
    const d = screen.getByRole('dialog', { name: 'New alert rule' })
    // nothing leaves before the form holds
    await user.clear(within(d).getByLabelText('For (seconds)'))
    await user.type(within(d).getByLabelText('For (seconds)'), '0')
    await user.click(within(d).getByRole('button', { name: 'Create rule' }))
    expect(within(d).getByText('A rule needs a name.')).toBeTruthy()
    expect(within(d).getByText('Whole seconds, 1 to 86400.')).toBeTruthy()
    expect(calls.some((c) => c.method === 'POST' && c.path === '/alert-rules')).toBe(false)

    await user.type(within(d).getByLabelText('Name'), 'Root disk')
    await user.selectOptions(within(d).getByLabelText('Metric'), 'disk')
    await user.type(within(d).getByLabelText('Mount (empty: the fullest)'), '/')
    await user.selectOptions(within(d).getByLabelText('Comparator'), '>=')
    await user.clear(within(d).getByLabelText('Threshold'))
    await user.type(within(d).getByLabelText('Threshold'), '92.5')
    await user.clear(within(d).getByLabelText('For (seconds)'))
    await user.type(within(d).getByLabelText('For (seconds)'), '300')
    await user.type(within(d).getByLabelText('Clears at (optional)'), '95')
    await user.click(within(d).getByRole('button', { name: 'Create rule' }))
    expect(within(d).getByText('At or below the threshold.')).toBeTruthy()
    await user.clear(within(d).getByLabelText('Clears at (optional)'))
    await user.type(within(d).getByLabelText('Clears at (optional)'), '85')
    await user.selectOptions(within(d).getByLabelText('Severity'), 'critical')
    await user.selectOptions(within(d).getByLabelText('Level'), 'org')
    await waitFor(() => expect(within(d).getByRole('option', { name: 'Demo Customer' })).toBeTruthy())
    await user.selectOptions(within(d).getByLabelText('Organization'), 'org-1')
    await user.click(within(d).getByRole('button', { name: 'Create rule' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(calls.find((c) => c.method === 'POST' && c.path === '/alert-rules')!.body).toEqual({
      name: 'Root disk', description: '', enabled: true, severity: 'critical', kind: 'metric_threshold',
      params: { metric: 'disk', comparator: '>=', threshold: 92.5, durationSeconds: 300, mount: '/', clearThreshold: 85 },
      scopeKind: 'org', scopeIds: ['org-1'], excludeDeviceIds: [], renotifySeconds: 0, orgId: 'org-1',
    })
  })

  it('creates a partner-wide offline rule from a template and shows the server’s refusal', async () => {
    let refuse = true
    const { calls } = mockApi(
      routes({
        'GET /alert-rules': () => page([]),
        'POST /alert-rules': () => (refuse ? apiError(400, 'invalid', 'minutes must be within 1..43200') : json(rule(), 201)),
      }),
    )
    const user = userEvent.setup()
    renderApp('/alert-rules')
    expect(await screen.findByText('No alert rules yet.')).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'New rule' }))
    const d = screen.getByRole('dialog', { name: 'New alert rule' })
    await within(d).findByRole('option', { name: 'Failed systemd units' }) // the templates come from the server
    await user.selectOptions(within(d).getByLabelText('Start from'), 'offline')
    expect((within(d).getByLabelText('Name') as HTMLInputElement).value).toBe('Device offline')
    await user.clear(within(d).getByLabelText('Offline for (minutes)'))
    await user.type(within(d).getByLabelText('Offline for (minutes)'), '15')
    await user.click(within(d).getByRole('button', { name: 'Create rule' }))
    expect(await within(d).findByText('minutes must be within 1..43200')).toBeTruthy()
    refuse = false
    await user.click(within(d).getByRole('button', { name: 'Create rule' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(calls.filter((c) => c.method === 'POST' && c.path === '/alert-rules').at(-1)!.body).toMatchObject({
      name: 'Device offline', kind: 'device_offline', severity: 'critical', params: { minutes: 15 }, scopeKind: 'partner', partnerId: 'p1',
    })
  })

  it('edits a rule with its version (no owner fields) and deletes one after asking', async () => {
    const { calls } = mockApi(
      routes({
        'PATCH /alert-rules/:id': (c) => json({ ...rule(), ...(c.body as object), version: 4 }),
        'DELETE /alert-rules/:id': () => ({ status: 204 }),
      }),
    )
    const user = userEvent.setup()
    renderApp('/alert-rules')
    await user.click(await screen.findByRole('button', { name: 'Edit High CPU' }))
    const d = screen.getByRole('dialog', { name: 'Edit High CPU' })
    expect((within(d).getByLabelText('Threshold') as HTMLInputElement).value).toBe('90')
    expect((within(d).getByLabelText('Clears at (optional)') as HTMLInputElement).value).toBe('80')
    await user.clear(within(d).getByLabelText('Threshold'))
    await user.type(within(d).getByLabelText('Threshold'), '95')
    await user.click(within(d).getByRole('button', { name: 'Save rule' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    const body = calls.find((c) => c.method === 'PATCH')!.body as Record<string, unknown>
    expect(calls.find((c) => c.method === 'PATCH')!.path).toBe('/alert-rules/r1')
    expect(body).toMatchObject({ version: 3, scopeKind: 'org', scopeIds: ['org-1'], params: { threshold: 95, clearThreshold: 80 } })
    expect(body).not.toHaveProperty('orgId')
    expect(body).not.toHaveProperty('partnerId')

    await user.click(screen.getByRole('button', { name: 'Delete High CPU' }))
    await user.click(within(screen.getByRole('dialog', { name: 'Delete High CPU?' })).getByRole('button', { name: 'Delete' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'DELETE' && c.path === '/alert-rules/r1')).toBe(true))
  })

  it('is hidden from callers without alerts:write', async () => {
    const { calls } = mockApi(routes({ 'GET /alerts': () => page([]) }, [...ALL_PERMISSIONS, 'alerts:read', 'alerts:acknowledge']))
    renderApp('/alert-rules')
    expect(await screen.findByText('Alert rules are managed by administrators.')).toBeTruthy()
    expect(screen.queryByRole('link', { name: 'Alert rules' })).toBeNull()
    expect(calls.some((c) => c.path === '/alert-rules')).toBe(false)
  })
})
