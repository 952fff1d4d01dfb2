import { describe, expect, it } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { ALL_PERMISSIONS, apiError, json, makeMe, mockApi, sessionRoutes } from '../test/api'
import { device } from '../test/devices'
import { renderApp } from '../test/render'
import type { MaintenanceWindow } from './types'
import { emptyForm, formOf, requestOf, validate, type WindowForm } from './windowForm'

const XSS = '<img src=x onerror=alert(1)>'
const PERMS = [...ALL_PERMISSIONS, 'alerts:read', 'alerts:acknowledge', 'alerts:write']
const page = (items: unknown[]) => json({ items, nextCursor: '' })

const win = (over: Partial<MaintenanceWindow> = {}): MaintenanceWindow => ({
  id: 'w1', partnerId: 'p1', orgId: 'org-1', name: 'Patch night', description: '', enabled: true, scopeKind: 'org',
  scopeIds: ['org-1'], timeZone: 'Europe/Berlin', kind: 'weekly', days: ['tue', 'sat'], at: '22:00', durationMinutes: 240,
  active: false, nextStartsAt: '2026-06-02T20:00:00Z', nextEndsAt: '2026-06-03T00:00:00Z', version: 4, createdAt: '', updatedAt: '',
  ...over,
})

function routes(over: Record<string, Parameters<typeof mockApi>[0][string]> = {}, perms = PERMS) {
  return { ...sessionRoutes(makeMe({}, perms)), 'GET /maintenance-windows': () => page([win()]), ...over }
}

describe('the maintenance page', () => {
  it('lists windows with their schedule in words, status and scope, names as text', async () => {
    mockApi(
      routes({
        'GET /maintenance-windows': () =>
          page([
            win(),
            win({ id: 'w2', name: XSS, orgId: undefined, scopeKind: 'partner', scopeIds: [], kind: 'once', days: undefined, at: undefined,
              durationMinutes: undefined, startsAt: '2026-05-01T22:00', endsAt: '2026-05-02T02:00', timeZone: 'UTC', active: true }),
          ]),
      }),
    )
    const { container } = renderApp('/maintenance')
    expect(await screen.findByText('Patch night')).toBeTruthy()
    expect(screen.getByText('Tue, Sat at 22:00 for 4 h (Europe/Berlin)')).toBeTruthy()
    expect(screen.getByText('2026-05-01 22:00 → 2026-05-02 02:00 (UTC)')).toBeTruthy()
    expect(screen.getByText(XSS)).toBeTruthy()
    expect(container.querySelector('main img')).toBeNull()
    expect(screen.getByText('In progress')).toBeTruthy()
    expect(screen.getByText('partner-wide')).toBeTruthy()
    expect(screen.getByRole('link', { name: 'Maintenance' })).toBeTruthy()
  })

  it('creates a weekly window for one organization in a chosen zone', async () => {
    const { calls } = mockApi(routes({ 'GET /maintenance-windows': () => page([]), 'POST /maintenance-windows': () => json(win(), 201) }))
    const user = userEvent.setup()
    renderApp('/maintenance')
    expect(await screen.findByText('No maintenance windows yet.')).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'New window' }))
    const d = screen.getByRole('dialog', { name: 'New maintenance window' })
    await user.click(within(d).getByRole('button', { name: 'Create window' }))
    expect(within(d).getByText('Name the window.')).toBeTruthy()
    expect(calls.some((c) => c.method === 'POST' && c.path === '/maintenance-windows')).toBe(false)
    await user.type(within(d).getByLabelText('Name'), 'Patch night')
    await user.selectOptions(within(d).getByLabelText('Time zone'), 'America/New_York')
    await user.click(within(d).getByRole('checkbox', { name: 'Tue' }))
    await user.click(within(d).getByRole('checkbox', { name: 'Sat' })) // off again: it was the default
    await user.click(within(d).getByRole('checkbox', { name: 'Mon' }))
    await user.clear(within(d).getByLabelText('Lasts (minutes)'))
    await user.type(within(d).getByLabelText('Lasts (minutes)'), '-5')
    await user.click(within(d).getByRole('button', { name: 'Create window' }))
    expect(within(d).getByText('From 1 to 10080 minutes.')).toBeTruthy()
    await user.clear(within(d).getByLabelText('Lasts (minutes)'))
    await user.type(within(d).getByLabelText('Lasts (minutes)'), '90')
    await user.selectOptions(within(d).getByLabelText('Level'), 'org')
    await waitFor(() => expect(within(d).getByRole('option', { name: 'Demo Customer' })).toBeTruthy())
    await user.selectOptions(within(d).getByLabelText('Organization'), 'org-1')
    await user.click(within(d).getByRole('button', { name: 'Create window' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(calls.find((c) => c.method === 'POST' && c.path === '/maintenance-windows')!.body).toEqual({
      name: 'Patch night', description: '', enabled: true, timeZone: 'America/New_York', scopeKind: 'org', scopeIds: ['org-1'],
      kind: 'weekly', days: ['mon', 'tue'], at: '22:00', durationMinutes: 90, orgId: 'org-1',
    })
  })

  it('puts chosen devices of an organization in a window', async () => {
    const d1 = device(1, { hostname: 'web-01' })
    const d2 = device(2, { hostname: 'web-02' })
    const { calls } = mockApi(
      routes({
        'GET /maintenance-windows': () => page([]),
        'GET /devices': () => page([d1, d2]),
        'POST /maintenance-windows': () => json(win(), 201),
      }),
    )
    const user = userEvent.setup()
    renderApp('/maintenance')
    await user.click(await screen.findByRole('button', { name: 'New window' }))
    const d = screen.getByRole('dialog', { name: 'New maintenance window' })
    await user.type(within(d).getByLabelText('Name'), 'Web tier')
    await user.selectOptions(within(d).getByLabelText('Level'), 'org')
    await waitFor(() => expect(within(d).getByRole('option', { name: 'Demo Customer' })).toBeTruthy())
    await user.selectOptions(within(d).getByLabelText('Organization'), 'org-1')
    await user.click(within(d).getByRole('checkbox', { name: 'Only some devices' }))
    await user.click(await within(d).findByRole('checkbox', { name: 'web-02' }))
    await user.click(within(d).getByRole('button', { name: 'Create window' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(calls.find((c) => c.path === '/devices')!.query.get('orgId')).toBe('org-1')
    expect(calls.find((c) => c.method === 'POST' && c.path === '/maintenance-windows')!.body).toMatchObject({
      scopeKind: 'devices', scopeIds: [d2.id], orgId: 'org-1',
    })
  })

  it('creates a one-off window, checks its end, and shows the server’s refusal', async () => {
    let refuse = true
    const { calls } = mockApi(
      routes({
        'GET /maintenance-windows': () => page([]),
        'POST /maintenance-windows': () => (refuse ? apiError(400, 'invalid', 'timeZone "X/Y" is not a known IANA time zone') : json(win(), 201)),
      }),
    )
    const user = userEvent.setup()
    renderApp('/maintenance')
    await user.click(await screen.findByRole('button', { name: 'New window' }))
    const d = screen.getByRole('dialog', { name: 'New maintenance window' })
    await user.type(within(d).getByLabelText('Name'), 'Disk swap')
    await user.selectOptions(within(d).getByLabelText('Repeats'), 'once')
    await user.selectOptions(within(d).getByLabelText('Time zone'), 'UTC')
    const start = within(d).getByLabelText('Starts') as HTMLInputElement
    const end = within(d).getByLabelText('Ends') as HTMLInputElement
    await user.type(start, '2026-05-02T02:00')
    await user.type(end, '2026-05-01T22:00')
    await user.click(within(d).getByRole('button', { name: 'Create window' }))
    expect(within(d).getByText('It must end after it starts.')).toBeTruthy()
    await user.clear(end)
    await user.type(end, '2026-05-02T06:00')
    await user.click(within(d).getByRole('button', { name: 'Create window' }))
    expect(await within(d).findByText('timeZone "X/Y" is not a known IANA time zone')).toBeTruthy()
    refuse = false
    await user.click(within(d).getByRole('button', { name: 'Create window' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(calls.filter((c) => c.method === 'POST' && c.path === '/maintenance-windows').at(-1)!.body).toEqual({
      name: 'Disk swap', description: '', enabled: true, timeZone: 'UTC', scopeKind: 'partner', kind: 'once',
      startsAt: '2026-05-02T02:00', endsAt: '2026-05-02T06:00', partnerId: 'p1',
    })
  })

  it('edits a window with its version (no owner fields) and deletes one after asking', async () => {
    const { calls } = mockApi(
      routes({ 'PATCH /maintenance-windows/:id': () => json(win({ version: 5 })), 'DELETE /maintenance-windows/:id': () => undefined }),
    )
    const user = userEvent.setup()
    renderApp('/maintenance')
    await user.click(await screen.findByRole('button', { name: 'Edit Patch night' }))
    const d = screen.getByRole('dialog', { name: 'Edit Patch night' })
    expect((within(d).getByLabelText('Time zone') as HTMLSelectElement).value).toBe('Europe/Berlin')
    expect((within(d).getByRole('checkbox', { name: 'Tue' }) as HTMLInputElement).checked).toBe(true)
    await user.clear(within(d).getByLabelText('Starts at'))
    await user.type(within(d).getByLabelText('Starts at'), '23:30')
    await user.click(within(d).getByRole('button', { name: 'Save window' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    const body = calls.find((c) => c.method === 'PATCH')!.body as Record<string, unknown>
    expect(calls.find((c) => c.method === 'PATCH')!.path).toBe('/maintenance-windows/w1')
    expect(body).toMatchObject({ version: 4, at: '23:30', days: ['tue', 'sat'], scopeKind: 'org', scopeIds: ['org-1'] })
    expect(body.orgId).toBeUndefined()
    expect(body.partnerId).toBeUndefined()

    await user.click(screen.getByRole('button', { name: 'Delete Patch night' }))
    const confirm = screen.getByRole('dialog', { name: 'Delete Patch night?' })
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false)
    await user.click(within(confirm).getByRole('button', { name: 'Delete' }))
    await waitFor(() => expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/maintenance-windows/w1']))
  })

  it('shows windows without write controls to a reader, and nothing without alerts:read', async () => {
    mockApi(routes({}, [...ALL_PERMISSIONS, 'alerts:read']))
    const first = renderApp('/maintenance')
    expect(await screen.findByText('Patch night')).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'New window' })).toBeNull()
    expect(screen.queryByRole('button', { name: 'Edit Patch night' })).toBeNull()
    first.unmount()
    const { calls } = mockApi(routes({}, ALL_PERMISSIONS.filter((p) => !p.startsWith('alerts:'))))
    renderApp('/maintenance')
    expect(await screen.findByText('You cannot see maintenance windows.')).toBeTruthy()
    expect(calls.some((c) => c.path === '/maintenance-windows')).toBe(false)
  })
})

describe('the window form', () => {
  const base = (): WindowForm => ({ ...emptyForm({ level: 'org', partnerId: 'p1', orgId: 'org-1', siteId: '' }), name: 'W', timeZone: 'UTC' })

  it('sends the narrowest scope: devices, then a group, a site, an org, the partner', () => {
    expect(requestOf({ ...base(), deviceIds: ['d1', 'd2'], groupId: 'g1' })).toMatchObject({ scopeKind: 'devices', scopeIds: ['d1', 'd2'], orgId: 'org-1' })
    expect(requestOf({ ...base(), groupId: 'g1' })).toMatchObject({ scopeKind: 'group', scopeIds: ['g1'], orgId: 'org-1' })
    expect(requestOf({ ...base(), unit: { level: 'site', partnerId: 'p1', orgId: 'org-1', siteId: 's1' } })).toMatchObject({
      scopeKind: 'site', scopeIds: ['s1'], orgId: 'org-1',
    })
    const partner = requestOf({ ...base(), unit: { level: 'partner', partnerId: '', orgId: '', siteId: '' } }, undefined, 'p9')
    expect(partner).toMatchObject({ scopeKind: 'partner', partnerId: 'p9' })
    expect(partner.scopeIds).toBeUndefined()
  })

  it('reads a stored window back into the same request', () => {
    for (const w of [
      win(),
      win({ scopeKind: 'group', scopeIds: ['g1'] }),
      win({ scopeKind: 'devices', scopeIds: [device(1).id, device(2).id] }),
      win({ kind: 'once', days: undefined, at: undefined, durationMinutes: undefined, startsAt: '2026-03-08T02:30', endsAt: '2026-03-08T05:00' }),
    ]) {
      const body = requestOf(formOf(w), w)
      expect(body).toMatchObject({ scopeKind: w.scopeKind, scopeIds: w.scopeIds, timeZone: w.timeZone, kind: w.kind, version: w.version })
      if (w.kind === 'once') expect(body).toMatchObject({ startsAt: w.startsAt, endsAt: w.endsAt })
      else expect(body).toMatchObject({ days: w.days, at: w.at, durationMinutes: w.durationMinutes })
    }
  })

  it('refuses what the server would', () => {
    expect(validate(base())).toEqual({})
    expect(validate({ ...base(), days: [] }).days).toBeTruthy()
    expect(validate({ ...base(), at: '24:00' }).at).toBeTruthy()
    expect(validate({ ...base(), durationMinutes: '0' }).durationMinutes).toBeTruthy()
    expect(validate({ ...base(), durationMinutes: '10081' }).durationMinutes).toBeTruthy()
    expect(validate({ ...base(), durationMinutes: '1.5' }).durationMinutes).toBeTruthy()
    expect(validate({ ...base(), kind: 'once', startsAt: '2026-05-01T22:00', endsAt: '2026-05-01T22:00' }).endsAt).toBeTruthy()
    expect(validate({ ...base(), kind: 'once', startsAt: 'soon', endsAt: '2026-05-01T22:00' }).startsAt).toBeTruthy()
    expect(validate({ ...base(), unit: { level: 'org', partnerId: 'p1', orgId: '', siteId: '' } }).scope).toBeTruthy()
  })
})
