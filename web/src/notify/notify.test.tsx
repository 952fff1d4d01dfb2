import { describe, expect, it } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import type { Plugin } from '../api/types'
import { ALL_PERMISSIONS, apiError, json, makeMe, mockApi, sessionRoutes, type Handler } from '../test/api'
import { renderApp } from '../test/render'
import type { Delivery, NotificationRoute } from './types'

const XSS = '<img src=x onerror=alert(1)>'
const WRITER = [...ALL_PERMISSIONS, 'alerts:read', 'alerts:acknowledge', 'alerts:write']
const READER = ['devices:read', 'orgs:read', 'alerts:read']

const webhook: Plugin = {
  id: 'breeze.webhook', name: 'Webhook', version: '1.0.0', kind: 'alert_channel', side: 'server', signedBy: 'breeze', enabled: true,
}
const slack: Plugin = { ...webhook, id: 'breeze.slack', name: 'Slack' }
const scanner: Plugin = { ...webhook, id: 'breeze.tcpscan', name: 'TCP scan', kind: 'scanner', side: 'agent' }

const route = (over: Partial<NotificationRoute> = {}): NotificationRoute => ({
  id: 'r1', partnerId: 'p1', orgId: 'org-1', name: 'On-call webhook', channelId: 'breeze.webhook', severities: ['critical'],
  ratePerHour: 60, groupAfter: 5, groupIntervalSeconds: 300, enabled: true, createdBy: 'user:u1', createdAt: '2024-01-01T00:00:00Z', ...over,
})

const page = (items: unknown[], nextCursor = '') => json({ items, nextCursor })

function routes(over: Record<string, Handler> = {}, perms = WRITER) {
  return {
    ...sessionRoutes(makeMe({}, perms)),
    'GET /notification-routes': () =>
      page([route(), route({ id: 'r2', orgId: undefined, name: 'MSP Slack', channelId: 'breeze.slack', severities: ['warning', 'critical'], ratePerHour: 0, groupAfter: 0 })]),
    'GET /plugins': () => json({ items: [webhook, slack, scanner] }),
    ...over,
  }
}

const row = (name: string) => screen.getByRole('cell', { name }).closest('tr')!

describe('notification routes', () => {
  it('lists org routes and partner defaults with their channel, severities and limit', async () => {
    mockApi(routes())
    renderApp('/notifications')
    expect(await screen.findByRole('cell', { name: 'On-call webhook' })).toBeTruthy()
    const own = row('On-call webhook')
    expect(within(own).getByText('Demo Customer')).toBeTruthy()
    await within(own).findByText('Webhook')
    expect(within(own).getByText('60 / hour')).toBeTruthy()
    expect(within(own).getByText('Critical')).toBeTruthy()
    const def = row('MSP Slack')
    expect(within(def).getByText("Default for Demo MSP's organizations")).toBeTruthy()
    expect(within(def).getByText('No limit')).toBeTruthy()
    expect(within(def).getByText('Warning')).toBeTruthy()
    expect(within(own).getByText('5 then digest / 5 min')).toBeTruthy()
    expect(within(def).getByText('Off')).toBeTruthy() // groupAfter 0
    expect(screen.getByRole('link', { name: 'Notifications' }).className).toContain('active')
  })

  it('creates a route with its storm grouping, refusing numbers out of bounds before sending', async () => {
    const { calls } = mockApi(routes({ 'POST /notification-routes': (c) => json({ ...route(), ...(c.body as object), id: 'r9' }, 201) }))
    const user = userEvent.setup()
    renderApp('/notifications')
    await user.click(await screen.findByRole('button', { name: 'New route' }))
    const dialog = await screen.findByRole('dialog', { name: 'New notification route' })
    await user.selectOptions(within(dialog).getByLabelText('Applies to'), 'org-1')
    await user.type(within(dialog).getByLabelText('Name'), 'Storms')
    await waitFor(() => expect(within(dialog).getAllByRole('option', { name: 'Webhook' })).toHaveLength(1))
    await user.selectOptions(within(dialog).getByLabelText('Channel'), 'breeze.webhook')
    const after = within(dialog).getByLabelText('Alerts sent alone per window')
    const window = within(dialog).getByLabelText('Window (seconds)')
    expect((after as HTMLInputElement).value).toBe('5') // the server's defaults
    expect((window as HTMLInputElement).value).toBe('300')
    expect(after.getAttribute('aria-describedby')).toBe('route-grouping-hint')
    expect(dialog.querySelector('#route-grouping-hint')!.textContent).toContain('Per 5 min window, the first 5 alerts go out alone')

    await user.clear(after)
    await user.type(after, '1001')
    await user.click(within(dialog).getByRole('button', { name: 'Create' }))
    expect((await within(dialog).findByRole('alert')).textContent).toContain('from 0 (no grouping) to 1,000')
    await user.clear(after)
    await user.type(after, '20')
    await user.clear(window)
    await user.type(window, '86401')
    await user.click(within(dialog).getByRole('button', { name: 'Create' }))
    await waitFor(() => expect(within(dialog).getByRole('alert').textContent).toContain('to 86,400 (a day)'))
    await user.clear(window)
    await user.click(within(dialog).getByRole('button', { name: 'Create' }))
    await waitFor(() => expect(within(dialog).getByRole('alert').textContent).toContain('grouping window'))
    expect(calls.some((c) => c.method === 'POST' && c.path === '/notification-routes')).toBe(false)

    await user.type(window, '3600')
    expect(dialog.querySelector('#route-grouping-hint')!.textContent).toContain('Per 1 h window, the first 20 alerts go out alone')
    await user.click(within(dialog).getByRole('button', { name: 'Create' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.path === '/notification-routes')).toBe(true))
    expect(calls.find((c) => c.method === 'POST' && c.path === '/notification-routes')!.body).toMatchObject({
      groupAfter: 20, groupIntervalSeconds: 3600,
    })
  })

  it('turns a route’s grouping off through PATCH with that field alone', async () => {
    const { calls } = mockApi(routes({ 'PATCH /notification-routes/:id': (c) => json({ ...route(), ...(c.body as object) }) }))
    const user = userEvent.setup()
    renderApp('/notifications')
    await user.click(await screen.findByRole('button', { name: 'Edit On-call webhook' }))
    const dialog = await screen.findByRole('dialog', { name: 'Edit On-call webhook' })
    const window = within(dialog).getByLabelText('Window (seconds)')
    await user.clear(window)
    await user.type(window, '0')
    expect(dialog.querySelector('#route-grouping-hint')!.textContent).toContain('Grouping is off')
    await user.click(within(dialog).getByRole('button', { name: 'Save' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'PATCH')).toBe(true))
    expect(calls.find((c) => c.method === 'PATCH')!.body).toEqual({ groupIntervalSeconds: 0 })
  })

  it('creates an org route with a channel chosen among the installed alert-channel plugins', async () => {
    const { calls } = mockApi(routes({ 'POST /notification-routes': (c) => json({ ...route(), ...(c.body as object), id: 'r9' }, 201) }))
    const user = userEvent.setup()
    renderApp('/notifications')
    await user.click(await screen.findByRole('button', { name: 'New route' }))
    const dialog = await screen.findByRole('dialog', { name: 'New notification route' })
    await user.selectOptions(within(dialog).getByLabelText('Applies to'), 'org-1')
    await user.type(within(dialog).getByLabelText('Name'), 'Pager')
    const channel = within(dialog).getByLabelText('Channel')
    await waitFor(() => expect(within(channel).getAllByRole('option').map((o) => o.textContent)).toEqual(['Choose…', 'Webhook', 'Slack']))
    await user.selectOptions(channel, 'breeze.slack')
    await user.click(within(dialog).getByLabelText('Warning'))
    const rate = within(dialog).getByLabelText(/Rate limit/)
    await user.clear(rate)
    await user.type(rate, '30')
    await user.click(within(dialog).getByRole('button', { name: 'Create' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.path === '/notification-routes')).toBe(true))
    expect(calls.find((c) => c.method === 'POST' && c.path === '/notification-routes')!.body).toEqual({
      orgId: 'org-1', name: 'Pager', channelId: 'breeze.slack', severities: ['warning', 'critical'], ratePerHour: 30,
      groupAfter: 5, groupIntervalSeconds: 300, enabled: true,
    })
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(calls.filter((c) => c.method === 'GET' && c.path === '/notification-routes').length).toBeGreaterThan(1)
  })

  it('creates a partner default with partnerId alone', async () => {
    const { calls } = mockApi(routes({ 'POST /notification-routes': () => json(route({ orgId: undefined }), 201) }))
    const user = userEvent.setup()
    renderApp('/notifications')
    await user.click(await screen.findByRole('button', { name: 'New route' }))
    const dialog = await screen.findByRole('dialog')
    await user.selectOptions(within(dialog).getByLabelText('Applies to'), 'partner:p1')
    await user.type(within(dialog).getByLabelText('Name'), 'Everyone')
    await waitFor(() => expect(within(dialog).getAllByRole('option', { name: 'Webhook' })).toHaveLength(1))
    await user.selectOptions(within(dialog).getByLabelText('Channel'), 'breeze.webhook')
    await user.click(within(dialog).getByRole('button', { name: 'Create' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.path === '/notification-routes')).toBe(true))
    expect(calls.find((c) => c.method === 'POST' && c.path === '/notification-routes')!.body).toEqual({
      partnerId: 'p1', name: 'Everyone', channelId: 'breeze.webhook', severities: ['critical'], ratePerHour: 0,
      groupAfter: 5, groupIntervalSeconds: 300, enabled: true,
    })
  })

  it('refuses an incomplete route before sending it, and shows the server’s refusal', async () => {
    const { calls } = mockApi(routes({ 'POST /notification-routes': () => apiError(400, 'invalid', 'channelId "x" is not an installed alert-channel plugin') }))
    const user = userEvent.setup()
    renderApp('/notifications')
    await user.click(await screen.findByRole('button', { name: 'New route' }))
    const dialog = await screen.findByRole('dialog')
    await user.selectOptions(within(dialog).getByLabelText('Applies to'), 'org-1')
    await user.type(within(dialog).getByLabelText('Name'), 'Pager')
    await waitFor(() => expect(within(dialog).getAllByRole('option', { name: 'Webhook' })).toHaveLength(1))
    await user.selectOptions(within(dialog).getByLabelText('Channel'), 'breeze.webhook')
    await user.click(within(dialog).getByLabelText('Critical')) // none left
    await user.click(within(dialog).getByRole('button', { name: 'Create' }))
    expect((await within(dialog).findByRole('alert')).textContent).toBe('Choose at least one severity.')
    expect(calls.some((c) => c.method === 'POST' && c.path === '/notification-routes')).toBe(false)
    await user.click(within(dialog).getByLabelText('Info'))
    await user.click(within(dialog).getByRole('button', { name: 'Create' }))
    await waitFor(() => expect(within(dialog).getByRole('alert').textContent).toContain('not an installed alert-channel plugin'))
    expect(screen.getByRole('dialog')).toBeTruthy() // kept open, nothing lost
    expect((within(dialog).getByLabelText('Name') as HTMLInputElement).value).toBe('Pager')
  })

  it('edits a route through PATCH with only the fields that changed', async () => {
    const { calls } = mockApi(routes({ 'PATCH /notification-routes/:id': (c) => json({ ...route(), ...(c.body as object) }) }))
    const user = userEvent.setup()
    renderApp('/notifications')
    await user.click(await screen.findByRole('button', { name: 'Edit On-call webhook' }))
    const dialog = await screen.findByRole('dialog', { name: 'Edit On-call webhook' })
    expect(within(dialog).queryByLabelText('Applies to')).toBeNull() // the owner never changes
    const name = within(dialog).getByLabelText('Name')
    await user.clear(name)
    await user.type(name, 'Night pager')
    await user.click(within(dialog).getByLabelText('Warning'))
    await user.click(within(dialog).getByRole('button', { name: 'Save' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'PATCH')).toBe(true))
    const patch = calls.find((c) => c.method === 'PATCH')!
    expect(patch.path).toBe('/notification-routes/r1')
    expect(patch.body).toEqual({ name: 'Night pager', severities: ['warning', 'critical'] })
  })

  it('disables and enables a route', async () => {
    const { calls } = mockApi(routes({ 'PATCH /notification-routes/:id': (c) => json({ ...route(), ...(c.body as object) }) }))
    const user = userEvent.setup()
    renderApp('/notifications')
    await user.click(await screen.findByRole('button', { name: 'Disable On-call webhook' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'PATCH')).toBe(true))
    expect(calls.find((c) => c.method === 'PATCH')!.body).toEqual({ enabled: false })
  })

  it('says so when the server cannot change a route', async () => {
    mockApi(routes({ 'PATCH /notification-routes/:id': () => apiError(404, 'not_found', 'notification route not found') }))
    const user = userEvent.setup()
    renderApp('/notifications')
    await user.click(await screen.findByRole('button', { name: 'Disable On-call webhook' }))
    expect((await screen.findByRole('alert')).textContent).toBe('On-call webhook: notification route not found')
  })

  it('deletes a route only after confirming', async () => {
    const { calls } = mockApi(routes({ 'DELETE /notification-routes/:id': () => ({ status: 204 }) }))
    const user = userEvent.setup()
    renderApp('/notifications')
    await user.click(await screen.findByRole('button', { name: 'Delete MSP Slack' }))
    let dialog = await screen.findByRole('dialog', { name: 'Delete this notification route?' })
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false)
    await user.click(screen.getByRole('button', { name: 'Delete MSP Slack' }))
    dialog = await screen.findByRole('dialog', { name: 'Delete this notification route?' })
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'DELETE')).toBe(true))
    expect(calls.find((c) => c.method === 'DELETE')!.path).toBe('/notification-routes/r2')
  })

  it('asks for the channel id when the caller cannot list plugins', async () => {
    const { calls } = mockApi(routes({ 'POST /notification-routes': () => json(route(), 201) }, [...READER, 'alerts:write']))
    const user = userEvent.setup()
    renderApp('/notifications')
    await user.click(await screen.findByRole('button', { name: 'New route' }))
    const dialog = await screen.findByRole('dialog')
    await user.selectOptions(within(dialog).getByLabelText('Applies to'), 'org-1')
    await user.type(within(dialog).getByLabelText('Name'), 'Pager')
    await user.type(within(dialog).getByLabelText('Channel plugin id'), 'breeze.webhook')
    await user.click(within(dialog).getByRole('button', { name: 'Create' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.path === '/notification-routes')).toBe(true))
    expect((calls.find((c) => c.method === 'POST' && c.path === '/notification-routes')!.body as { channelId: string }).channelId).toBe('breeze.webhook')
    expect(calls.some((c) => c.path === '/plugins')).toBe(false)
  })

  it('is read-only for a caller without alerts:write', async () => {
    mockApi(routes({}, READER))
    renderApp('/notifications')
    await screen.findByRole('cell', { name: 'On-call webhook' })
    expect(screen.queryByRole('button', { name: 'New route' })).toBeNull()
    expect(screen.queryByRole('button', { name: /Edit|Delete|Disable/ })).toBeNull()
  })
})

const dead = (over: Partial<Delivery> = {}): Delivery => ({
  id: 'x1', alertId: '0190e4c4-0000-7000-8000-0000000000a1', routeId: 'r1', orgId: 'org-1', channelId: 'breeze.webhook',
  transition: 'open', attempt: 5, outcome: 'dead', detail: 'HTTP 503 from receiver', latencyMs: 120, at: '2024-01-01T00:00:00Z',
  ...over,
})

describe('the dead-letter list', () => {
  it('lists dead deliveries with their alert, channel, attempts and last error, page by page', async () => {
    const { calls } = mockApi(
      routes({
        'GET /notification-deliveries': (c) =>
          c.query.get('cursor')
            ? page([dead({ id: 'x3', attempt: 2, detail: 'timeout', transition: 'resolved' })])
            : page([dead(), dead({ id: 'x2', channelId: 'breeze.slack', detail: XSS })], 'next'),
      }),
    )
    const user = userEvent.setup()
    const { container } = renderApp('/notifications/dead-letters')
    const first = (await screen.findByText('HTTP 503 from receiver')).closest('tr')!
    expect(within(first).getByRole('link', { name: /^Alert / }).getAttribute('href')).toBe('/alerts/0190e4c4-0000-7000-8000-0000000000a1')
    expect(within(first).getByRole('cell', { name: '5' })).toBeTruthy()
    await within(first).findByText('Webhook')
    expect(within(first).getByText('Open')).toBeTruthy()
    expect(screen.getByText(XSS)).toBeTruthy()
    expect(container.querySelector('main img')).toBeNull()
    const q = calls.find((c) => c.path === '/notification-deliveries')!.query
    expect(q.get('state')).toBe('dead')

    await user.click(screen.getByRole('button', { name: 'More dead letters' }))
    expect(await screen.findByText('timeout')).toBeTruthy()
    expect(calls.filter((c) => c.path === '/notification-deliveries').at(-1)!.query.get('cursor')).toBe('next')
    expect(screen.queryByRole('button', { name: 'More dead letters' })).toBeNull()
    expect(screen.getByRole('link', { name: 'Dead letters' }).className).toContain('active')
  })

  it('marks a dead reminder and a dead digest member', async () => {
    mockApi(
      routes({
        'GET /notification-deliveries': () =>
          page([dead({ id: 'x1', reminder: 2 }), dead({ id: 'x2', digestId: '0190e4c4-0000-7000-8000-00000000d1' })]),
      }),
    )
    renderApp('/notifications/dead-letters')
    const rows = await waitFor(() => {
      const r = screen.getAllByText('HTTP 503 from receiver').map((c) => c.closest('tr')!)
      expect(r).toHaveLength(2)
      return r
    })
    expect(within(rows[0]!).getByText('Reminder 2')).toBeTruthy()
    expect(within(rows[0]!).queryByText('In digest')).toBeNull()
    expect(within(rows[1]!).getByText('In digest').getAttribute('title')).toContain('0190e4c4-0000-7000-8000-00000000d1')
    expect(within(rows[1]!).queryByText(/Reminder/)).toBeNull()
  })

  it('says when there is none', async () => {
    mockApi(routes({ 'GET /notification-deliveries': () => page([]) }, READER))
    renderApp('/notifications/dead-letters')
    expect(await screen.findByText('No dead letters.')).toBeTruthy()
  })
})
