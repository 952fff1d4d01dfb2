import { describe, expect, it } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { ALL_PERMISSIONS, json, makeMe, mockApi, sessionRoutes } from '../test/api'
import { device } from '../test/devices'
import { renderApp } from '../test/render'
import { MAX_SNOOZE_MS, snoozeUntil } from './SnoozeDialog'
import type { Alert } from './types'

const PERMS = [...ALL_PERMISSIONS, 'alerts:read', 'alerts:acknowledge', 'alerts:write']
const dev = device(3, { hostname: 'db-03' })
const inAnHour = () => new Date(Date.now() + 3600_000).toISOString()

const alert = (over: Partial<Alert> = {}): Alert => ({
  id: 'a1', partnerId: 'p1', orgId: 'org-1', siteId: 'site-1', deviceId: dev.id, ruleId: 'r1', kind: 'device_offline',
  severity: 'critical', state: 'open', message: 'offline for 10 min', value: 0, openedAt: '2024-01-01T00:00:00Z', version: 1,
  history: [{ to: 'open', actor: 'system', at: '2024-01-01T00:00:00Z' }],
  ...over,
})

function routes(over: Record<string, Parameters<typeof mockApi>[0][string]> = {}, perms = PERMS) {
  return {
    ...sessionRoutes(makeMe({}, perms)),
    'GET /alert-rules': () => json({ items: [], nextCursor: '' }),
    'GET /devices/:id': () => json(dev),
    ...over,
  }
}

describe('alerts in maintenance and snoozed', () => {
  it('marks alerts in maintenance or snoozed in the list, not resolved ones', async () => {
    mockApi(
      routes({
        'GET /alerts': () =>
          json({
            items: [
              alert({ inMaintenance: true, maintenanceUntil: inAnHour() }),
              alert({ id: 'a2', message: 'disk full', snoozedUntil: inAnHour() }),
              alert({ id: 'a3', message: 'old', state: 'resolved', inMaintenance: true }),
              alert({ id: 'a4', message: 'snooze over', snoozedUntil: '2024-01-01T01:00:00Z' }),
            ],
            nextCursor: '',
          }),
      }),
    )
    renderApp('/alerts')
    const row = (id: string) => document.querySelector(`tr[data-alert-id="${id}"]`) as HTMLElement
    await screen.findByRole('link', { name: 'disk full' })
    expect(within(row('a1')).getByText('In maintenance')).toBeTruthy()
    expect(within(row('a2')).getByText('Snoozed')).toBeTruthy()
    expect(within(row('a2')).queryByText('In maintenance')).toBeNull()
    expect(within(row('a3')).queryByText('In maintenance')).toBeNull()
    expect(within(row('a4')).queryByText('Snoozed')).toBeNull()
  })

  it('snoozes an alert with a note from its page, shows it in the history, then ends the snooze', async () => {
    let current = alert({ inMaintenance: true, maintenanceUntil: inAnHour() })
    const { calls } = mockApi(
      routes({
        'GET /alerts/:id': () => json(current),
        'POST /alerts/:id/snooze': (c) => {
          const { until, note } = c.body as { until: string; note: string }
          current = { ...current, snoozedUntil: until, version: 2,
            history: [...current.history!, { from: 'open', to: 'open', action: 'snoozed', until, note, actor: 'u-1', at: new Date().toISOString() }] }
          return json(current)
        },
        'DELETE /alerts/:id/snooze': () => {
          current = { ...current, snoozedUntil: undefined, version: 3,
            history: [...current.history!, { from: 'open', to: 'open', action: 'unsnoozed', actor: 'u-1', at: new Date().toISOString() }] }
          return json(current)
        },
      }),
    )
    const user = userEvent.setup()
    renderApp('/alerts/a1')
    await screen.findByRole('heading', { level: 1 })
    expect(screen.getAllByText('In maintenance').length).toBeGreaterThan(0)
    expect(screen.getByText(/notifications are held/)).toBeTruthy()

    await user.click(screen.getByRole('button', { name: 'Snooze…' }))
    const d = screen.getByRole('dialog', { name: 'Snooze this alert' })
    await user.selectOptions(within(d).getByLabelText('For'), '1d')
    await user.type(within(d).getByLabelText('Note (optional)'), 'vendor ticket 42')
    const before = Date.now()
    await user.click(within(d).getByRole('button', { name: 'Snooze' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    const body = calls.find((c) => c.method === 'POST' && c.path === '/alerts/a1/snooze')!.body as { until: string; note: string }
    expect(body.note).toBe('vendor ticket 42')
    const ms = Date.parse(body.until) - before
    expect(ms).toBeGreaterThan(86400_000 - 60_000)
    expect(ms).toBeLessThan(86400_000 + 60_000)
    const history = screen.getByRole('table', { name: 'History' })
    expect(within(history).getByText(/^Snoozed until/)).toBeTruthy()
    expect(within(history).getByText('vendor ticket 42')).toBeTruthy()
    expect(screen.getAllByText('Snoozed').length).toBeGreaterThan(0)

    await user.click(screen.getByRole('button', { name: 'Unsnooze' }))
    await waitFor(() => expect(within(screen.getByRole('table', { name: 'History' })).getByText('Snooze ended')).toBeTruthy())
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/alerts/a1/snooze'])
    expect(screen.getByRole('button', { name: 'Snooze…' })).toBeTruthy()
  })

  it('refuses a custom time in the past without asking the server, and offers no snooze to a reader', async () => {
    const { calls } = mockApi(routes({ 'GET /alerts/:id': () => json(alert()) }))
    const user = userEvent.setup()
    const first = renderApp('/alerts/a1')
    await user.click(await screen.findByRole('button', { name: 'Snooze…' }))
    const d = screen.getByRole('dialog', { name: 'Snooze this alert' })
    await user.selectOptions(within(d).getByLabelText('For'), 'custom')
    await user.type(within(d).getByLabelText('Until'), '2020-01-01T10:00')
    await user.click(within(d).getByRole('button', { name: 'Snooze' }))
    expect(within(d).getByText('Choose a time in the future.')).toBeTruthy()
    expect(calls.some((c) => c.path.endsWith('/snooze'))).toBe(false)
    first.unmount()

    mockApi(routes({ 'GET /alerts/:id': () => json(alert()) }, [...ALL_PERMISSIONS, 'alerts:read']))
    renderApp('/alerts/a1')
    await screen.findByRole('heading', { level: 1 })
    expect(screen.queryByRole('button', { name: 'Snooze…' })).toBeNull()
  })

  it('snoozes the selected unresolved alerts from the bulk bar', async () => {
    const list = [alert(), alert({ id: 'a2', message: 'disk full', state: 'acknowledged' }), alert({ id: 'a3', message: 'old', state: 'resolved' })]
    const { calls } = mockApi(
      routes({ 'GET /alerts': () => json({ items: list, nextCursor: '' }), 'POST /alerts/:id/snooze': () => json(alert()) }),
    )
    const user = userEvent.setup()
    renderApp('/alerts')
    await screen.findByRole('link', { name: 'old' })
    await user.click(screen.getByRole('checkbox', { name: 'Select every unresolved alert' }))
    const bar = screen.getByRole('region', { name: 'Selected alerts' })
    await user.click(within(bar).getByRole('button', { name: 'Snooze…' }))
    const d = screen.getByRole('dialog', { name: 'Snooze 2 alerts?' })
    await user.selectOptions(within(d).getByLabelText('For'), '1h')
    await user.click(within(d).getByRole('button', { name: 'Snooze' }))
    await waitFor(() => expect(calls.filter((c) => c.path.endsWith('/snooze')).map((c) => c.path).sort()).toEqual(['/alerts/a1/snooze', '/alerts/a2/snooze']))
    const until = (calls.find((c) => c.path.endsWith('/snooze'))!.body as { until: string }).until
    expect(Math.abs(Date.parse(until) - Date.now() - 3600_000)).toBeLessThan(60_000)
  })
})

describe('snoozeUntil', () => {
  const now = Date.parse('2026-06-01T12:00:00Z')
  it('adds the chosen length, or reads the custom time, within 30 days', () => {
    expect(snoozeUntil('4h', '', now)).toEqual({ until: '2026-06-01T16:00:00.000Z' })
    expect(snoozeUntil('custom', '2026-06-02T12:00:00Z', now)).toEqual({ until: '2026-06-02T12:00:00.000Z' })
    expect(snoozeUntil('custom', '', now).error).toBeTruthy()
    expect(snoozeUntil('custom', '2026-06-01T11:00:00Z', now).error).toBe('Choose a time in the future.')
    expect(snoozeUntil('custom', new Date(now + MAX_SNOOZE_MS + 60_000).toISOString(), now).error).toMatch(/30 days/)
    expect(snoozeUntil('forever', '', now).error).toBeTruthy()
  })
})
