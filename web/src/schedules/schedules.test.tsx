import { afterEach, describe, expect, it, vi } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import type { Script } from '../api/types'
import { ALL_PERMISSIONS, apiError, json, makeMe, mockApi, sessionRoutes } from '../test/api'
import { renderApp } from '../test/render'
import type { Fire, PreviewRequest, Schedule } from './types'
import { POLL_MS } from './useSchedules'

const XSS = '<img src=x onerror=alert(1)>'
const page = (items: unknown[], nextCursor = '') => json({ items, nextCursor })

const script = (over: Partial<Script> = {}): Script => ({
  id: 'sc1', partnerId: 'p1', orgId: 'org-1', name: 'Clean temp', description: '', language: 'bash', body: 'rm -rf /tmp/x',
  params: [
    { name: 'DAYS', type: 'number', description: 'older than', required: true, default: '', passAs: 'env' },
    { name: 'DRY', type: 'boolean', description: '', required: false, default: '', passAs: 'env' },
  ],
  timeoutSeconds: 300, runAs: 'system', osFilter: [], version: 3, createdAt: '', updatedAt: '', ...over,
})

const sched = (over: Partial<Schedule> = {}): Schedule => ({
  id: 's1', partnerId: 'p1', orgId: 'org-1', name: 'Nightly clean', enabled: true, timezone: 'Europe/Berlin', cron: '30 2 * * 1-5',
  target: { kind: 'org', ids: ['org-1'] }, task: { kind: 'script', scriptId: 'sc1', params: { DAYS: '7', DRY: 'false' } },
  offlinePolicy: 'when_online', graceMinutes: 120, nextFireAt: '2026-12-07T01:30:00Z', lastFireAt: '2026-12-04T01:30:00Z',
  createdBy: 'u1', createdAt: '', updatedAt: '', version: 4, ...over,
})

const FIRE_TIMES = ['2026-12-07T01:30:00Z', '2026-12-08T01:30:00Z', '2026-12-09T01:30:00Z', '2026-12-10T01:30:00Z', '2026-12-11T01:30:00Z']

function routes(over: Record<string, Parameters<typeof mockApi>[0][string]> = {}, perms = ALL_PERMISSIONS) {
  return {
    ...sessionRoutes(makeMe({}, perms)),
    'GET /schedules': () => page([sched()]),
    'GET /scripts': () => page([script()]),
    'POST /schedules/preview': (c: { body: unknown }) => {
      const b = c.body as PreviewRequest
      if (b.cron === 'bad cron here x y' || b.cron?.startsWith('61 ')) return apiError(400, 'invalid', `cron "${b.cron}": minute out of range`)
      return json({ fireTimes: b.runAt ? [b.runAt] : FIRE_TIMES.slice(0, b.count ?? 5) })
    },
    ...over,
  }
}

describe('the schedules page', () => {
  it('lists schedules: target, task, timing in words, zone, next and last run, status; names as text', async () => {
    mockApi(
      routes({
        'GET /schedules': () =>
          page([
            sched(),
            sched({ id: 's2', name: XSS, orgId: undefined, enabled: false, cron: undefined, runAt: '2026-12-24T17:00:00Z', timezone: 'UTC',
              target: { kind: 'devices', ids: ['d1', 'd2'] }, task: { kind: 'action', action: 'reboot', payload: {} }, lastFireAt: undefined }),
            sched({ id: 's3', name: 'Broken', cron: '*/15 * * * *', lastError: 'script sc9 was deleted' }),
          ]),
      }),
    )
    const { container } = renderApp('/schedules')
    expect(await screen.findByRole('link', { name: 'Nightly clean' })).toBeTruthy()
    expect(screen.getByRole('link', { name: 'Schedules' })).toBeTruthy() // the nav entry
    expect(screen.getByText('Weekdays at 02:30')).toBeTruthy()
    expect(screen.getByText('Every 15 minutes')).toBeTruthy()
    expect(screen.getAllByText('Europe/Berlin').length).toBe(2)
    expect(await screen.findAllByText('Script: Clean temp')).toHaveLength(2)
    expect(screen.getAllByText('Organization: Demo Customer').length).toBe(2)
    expect(screen.getByText('2 devices')).toBeTruthy()
    expect(screen.getByText('Reboot')).toBeTruthy()
    expect(screen.getByText(/^Once, /)).toBeTruthy()
    expect(screen.getByText(XSS)).toBeTruthy()
    expect(container.querySelector('main img')).toBeNull()
    expect(screen.getByText('Paused')).toBeTruthy()
    expect(screen.getByText('Needs attention')).toBeTruthy()
    expect(screen.getByText('script sc9 was deleted')).toBeTruthy()
    expect(screen.getByText('partner-wide')).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Resume ' + XSS })).toBeTruthy()
  })

  it('pauses with a PATCH of enabled and the version read, and deletes after asking', async () => {
    const { calls } = mockApi(
      routes({ 'PATCH /schedules/:id': () => json(sched({ enabled: false, version: 5 })), 'DELETE /schedules/:id': () => undefined }),
    )
    const user = userEvent.setup()
    renderApp('/schedules')
    await user.click(await screen.findByRole('button', { name: 'Pause Nightly clean' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'PATCH')).toBe(true))
    const patch = calls.find((c) => c.method === 'PATCH')!
    expect(patch.path).toBe('/schedules/s1')
    expect(patch.body).toEqual({ enabled: false, version: 4 })
    await waitFor(() => expect(calls.filter((c) => c.method === 'GET' && c.path === '/schedules').length).toBe(2)) // read again

    await user.selectOptions(screen.getByLabelText('Show'), 'false')
    await waitFor(() => expect(calls.filter((c) => c.path === '/schedules').at(-1)!.query.get('enabled')).toBe('false'))
    await user.selectOptions(screen.getByLabelText('Show'), '')

    await user.click(screen.getByRole('button', { name: 'Delete Nightly clean' }))
    const confirm = screen.getByRole('dialog', { name: 'Delete Nightly clean?' })
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false)
    await user.click(within(confirm).getByRole('button', { name: 'Delete' }))
    await waitFor(() => expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/schedules/s1']))
  })

  it('shows a failed pause’s message', async () => {
    mockApi(routes({ 'PATCH /schedules/:id': () => apiError(409, 'conflict', 'the schedule changed since you read it') }))
    const user = userEvent.setup()
    renderApp('/schedules')
    await user.click(await screen.findByRole('button', { name: 'Pause Nightly clean' }))
    expect(await screen.findByText('Nightly clean: the schedule changed since you read it')).toBeTruthy()
  })

  it('creates a weekly script schedule: the exact body, and the next five fire times in the zone', async () => {
    const { calls } = mockApi(routes({ 'GET /schedules': () => page([]), 'POST /schedules': () => json(sched(), 201) }))
    const user = userEvent.setup()
    renderApp('/schedules')
    await user.click(await screen.findByRole('button', { name: 'New schedule' }))
    const d = screen.getByRole('dialog', { name: 'New schedule' })
    await user.click(within(d).getByRole('button', { name: 'Create schedule' }))
    expect(within(d).getByText('Name the schedule.')).toBeTruthy()
    expect(within(d).getByText('Choose the organization.')).toBeTruthy()
    expect(within(d).getByText('Choose a script.')).toBeTruthy()
    expect(calls.some((c) => c.method === 'POST' && c.path === '/schedules')).toBe(false)

    await user.type(within(d).getByLabelText('Name'), 'Nightly clean')
    await waitFor(() => expect(within(d).getByRole('option', { name: 'Demo Customer' })).toBeTruthy())
    await user.selectOptions(within(d).getByLabelText('Organization'), 'org-1')
    await waitFor(() => expect(within(d).getByRole('option', { name: 'Clean temp' })).toBeTruthy())
    await user.selectOptions(within(d).getByLabelText('Script'), 'sc1')
    await user.click(within(d).getByRole('button', { name: 'Create schedule' }))
    expect(within(d).getByText('DAYS is required.')).toBeTruthy()
    await user.type(within(d).getByLabelText(/^DAYS \(required\)/), '7')
    await user.click(within(d).getByRole('checkbox', { name: 'DRY' }))

    await user.selectOptions(within(d).getByLabelText('Time zone'), 'Europe/Berlin')
    await user.selectOptions(within(d).getByLabelText('Repeats'), 'weekly')
    await user.click(within(d).getByRole('checkbox', { name: 'Tue' }))
    await user.click(within(d).getByRole('checkbox', { name: 'Wed' }))
    await user.click(within(d).getByRole('checkbox', { name: 'Thu' })) // Mon, Fri left of the default weekdays
    await user.clear(within(d).getByLabelText('At'))
    await user.type(within(d).getByLabelText('At'), '03:15')
    expect(within(d).getByText('15 3 * * 1,5')).toBeTruthy()

    const preview = within(d).getByRole('region', { name: 'Next fire times' })
    await waitFor(() =>
      expect(calls.filter((c) => c.path === '/schedules/preview').at(-1)?.body).toEqual({ cron: '15 3 * * 1,5', timezone: 'Europe/Berlin', count: 5 }),
    )
    await waitFor(() => expect(within(preview).getAllByRole('listitem')).toHaveLength(5))
    // shown in the schedule's zone: 01:30 UTC is 02:30 in Berlin in December
    expect(within(preview).getAllByText(/02:30/).length).toBe(5)
    // debounced: typing the time did not ask once per keystroke
    expect(calls.filter((c) => c.path === '/schedules/preview').length).toBeLessThan(4)

    await user.selectOptions(within(d).getByLabelText('When a device is offline'), 'when_online')
    await user.clear(within(d).getByLabelText('Grace period (minutes)'))
    await user.type(within(d).getByLabelText('Grace period (minutes)'), '90')
    await user.selectOptions(within(d).getByLabelText('Owner'), 'partner')
    await user.click(within(d).getByRole('button', { name: 'Create schedule' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(calls.find((c) => c.method === 'POST' && c.path === '/schedules')!.body).toEqual({
      name: 'Nightly clean', description: '', enabled: true, timezone: 'Europe/Berlin', cron: '15 3 * * 1,5',
      target: { kind: 'org', ids: ['org-1'] }, task: { kind: 'script', scriptId: 'sc1', params: { DAYS: '7', DRY: 'true' } },
      offlinePolicy: 'when_online', graceMinutes: 90, spreadSeconds: 0, partnerId: 'p1',
    })
  })

  it('shows the server’s 400 for a bad cron expression, then the fire times once it is fixed', async () => {
    mockApi(routes({ 'GET /schedules': () => page([]) }))
    const user = userEvent.setup()
    renderApp('/schedules')
    await user.click(await screen.findByRole('button', { name: 'New schedule' }))
    const d = screen.getByRole('dialog', { name: 'New schedule' })
    await user.selectOptions(within(d).getByLabelText('Time zone'), 'UTC')
    await user.selectOptions(within(d).getByLabelText('Repeats'), 'custom')
    const raw = within(d).getByLabelText('Cron expression') as HTMLInputElement
    expect(raw.value).toBe('0 2 * * *') // starts from what the helper built
    await user.clear(raw)
    await user.type(raw, '61 2 * * *')
    const preview = within(d).getByRole('region', { name: 'Next fire times' })
    expect(await within(preview).findByText('cron "61 2 * * *": minute out of range')).toBeTruthy()
    await user.clear(raw)
    await user.type(raw, '30 1 * * *')
    await waitFor(() => expect(within(preview).getAllByRole('listitem')).toHaveLength(5))
    expect(within(preview).queryByRole('alert')).toBeNull()
  })

  it('creates a one-off action with its payload on chosen devices, the time read in the zone', async () => {
    const { calls } = mockApi(
      routes({
        'GET /schedules': () => page([]),
        'GET /devices': () => page([{ id: 'd1', hostname: 'web-01', orgId: 'org-1', status: 'online' }, { id: 'd2', hostname: 'db-01', orgId: 'org-1', status: 'offline' }]),
        'POST /schedules': () => json(sched(), 201),
      }),
    )
    const user = userEvent.setup()
    renderApp('/schedules')
    await user.click(await screen.findByRole('button', { name: 'New schedule' }))
    const d = screen.getByRole('dialog', { name: 'New schedule' })
    await user.type(within(d).getByLabelText('Name'), 'Restart spooler')
    await user.click(within(d).getByRole('radio', { name: 'Some devices' }))
    await waitFor(() => expect(within(d).getByRole('option', { name: 'Demo Customer' })).toBeTruthy())
    await user.selectOptions(within(d).getByLabelText('Organization'), 'org-1')
    await user.click(await within(d).findByRole('checkbox', { name: /db-01/ }))
    await user.click(within(d).getByRole('radio', { name: 'A built-in action' }))
    await user.selectOptions(within(d).getByLabelText('Action'), 'restart_service')
    await user.click(within(d).getByRole('button', { name: 'Create schedule' }))
    expect(within(d).getByText('Service name is required.')).toBeTruthy()
    await user.type(within(d).getByLabelText('Service name (required)'), 'spooler')
    await user.selectOptions(within(d).getByLabelText('Runs'), 'once')
    await user.selectOptions(within(d).getByLabelText('Time zone'), 'America/New_York')
    await user.type(within(d).getByLabelText('Date and time'), '2026-07-04T09:30')
    const preview = within(d).getByRole('region', { name: 'Next fire times' })
    await waitFor(() => expect(within(preview).getAllByRole('listitem')).toHaveLength(1))
    await user.click(within(d).getByRole('button', { name: 'Create schedule' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(calls.find((c) => c.method === 'POST' && c.path === '/schedules')!.body).toEqual({
      name: 'Restart spooler', description: '', enabled: true, timezone: 'America/New_York', runAt: '2026-07-04T13:30:00Z',
      target: { kind: 'devices', ids: ['d2'] }, task: { kind: 'action', action: 'restart_service', payload: { name: 'spooler' } },
      offlinePolicy: 'skip', graceMinutes: 60, orgId: 'org-1',
    })
  })

  it('edits a schedule: its helper reads the stored cron back, a PATCH with the version, no owner, the untouched task left out', async () => {
    const { calls } = mockApi(routes({ 'PATCH /schedules/:id': () => json(sched({ version: 5 })) }))
    const user = userEvent.setup()
    renderApp('/schedules')
    await user.click(await screen.findByRole('button', { name: 'Edit Nightly clean' }))
    const d = screen.getByRole('dialog', { name: 'Edit Nightly clean' })
    expect((within(d).getByLabelText('Repeats') as HTMLSelectElement).value).toBe('weekly')
    expect((within(d).getByRole('checkbox', { name: 'Fri' }) as HTMLInputElement).checked).toBe(true)
    expect((within(d).getByRole('checkbox', { name: 'Sat' }) as HTMLInputElement).checked).toBe(false)
    expect((within(d).getByLabelText('Time zone') as HTMLSelectElement).value).toBe('Europe/Berlin')
    expect(await within(d).findByDisplayValue('7')).toBeTruthy() // the stored DAYS
    await user.click(within(d).getByRole('checkbox', { name: 'Sat' }))
    await user.click(within(d).getByRole('button', { name: 'Save schedule' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    const p = calls.find((c) => c.method === 'PATCH')!
    expect(p.path).toBe('/schedules/s1')
    expect(p.body).toEqual({
      name: 'Nightly clean', description: '', enabled: true, timezone: 'Europe/Berlin', cron: '30 2 * * 1-6',
      target: { kind: 'org', ids: ['org-1'] }, offlinePolicy: 'when_online', graceMinutes: 120, spreadSeconds: 0, version: 4,
    })
  })

  it('shows the list without write controls to a reader, and nothing without scripts:read', async () => {
    mockApi(routes({}, ALL_PERMISSIONS.filter((p) => p !== 'scripts:write')))
    const first = renderApp('/schedules')
    expect(await screen.findByRole('link', { name: 'Nightly clean' })).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'New schedule' })).toBeNull()
    expect(screen.queryByRole('button', { name: 'Pause Nightly clean' })).toBeNull()
    first.unmount()
    const { calls } = mockApi(routes({}, ALL_PERMISSIONS.filter((p) => !p.startsWith('scripts:'))))
    renderApp('/schedules')
    expect(await screen.findByText('You cannot see schedules.')).toBeTruthy()
    expect(calls.some((c) => c.path === '/schedules')).toBe(false)
  })
})

describe('a schedule’s runs', () => {
  const fire = (over: Partial<Fire> = {}): Fire => ({
    id: 'f1', scheduleId: 's1', fireAt: '2026-12-04T01:30:00Z', firedAt: '2026-12-04T01:30:00.4Z', status: 'fired', scriptRunId: 'run-9',
    counts: { succeeded: 3, failed: 1 }, total: 4, ...over,
  })

  it('lists fires newest first with status, counts, error and a link to the script run; pages on', async () => {
    const { calls } = mockApi(
      routes({
        'GET /schedules/:id': () => json(sched({ lastError: 'params no longer valid: DAYS is required' })),
        'GET /schedules/:id/fires': (c) =>
          c.query.get('cursor')
            ? page([fire({ id: 'f3', fireAt: '2026-12-02T01:30:00Z', scriptRunId: undefined, counts: undefined, total: undefined, status: 'fired' })])
            : page(
                [
                  fire(),
                  fire({ id: 'f2', fireAt: '2026-12-03T01:30:00Z', status: 'failed', scriptRunId: undefined, counts: undefined, total: 0, error: XSS }),
                ],
                'next-1',
              ),
      }),
    )
    const user = userEvent.setup()
    const { container } = renderApp('/schedules/s1')
    expect(await screen.findByRole('heading', { name: 'Nightly clean' })).toBeTruthy()
    expect(screen.getByText('This schedule cannot run as saved: params no longer valid: DAYS is required')).toBeTruthy()
    expect(await screen.findByText('3 succeeded, 1 failed of 4')).toBeTruthy()
    expect(screen.getByRole('link', { name: 'View the run' }).getAttribute('href')).toBe('/script-runs/run-9')
    expect(screen.getByText('Failed')).toBeTruthy()
    expect(screen.getByText(XSS)).toBeTruthy()
    expect(container.querySelector('main img')).toBeNull()
    expect(screen.getByText('run when back within 120 min')).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'Older runs' }))
    await waitFor(() => expect(screen.getAllByRole('row')).toHaveLength(4))
    expect(calls.filter((c) => c.path === '/schedules/s1/fires').at(-1)!.query.get('cursor')).toBe('next-1')
  })

  it('resumes a paused schedule from its page', async () => {
    let current = sched({ enabled: false })
    const { calls } = mockApi(
      routes({
        'GET /schedules/:id': () => json(current),
        'GET /schedules/:id/fires': () => page([]),
        'PATCH /schedules/:id': () => {
          current = sched({ enabled: true, version: 5 })
          return json(current)
        },
      }),
    )
    const user = userEvent.setup()
    renderApp('/schedules/s1')
    expect(await screen.findByText('It has not run yet.')).toBeTruthy()
    expect(screen.getByText('Paused')).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'Resume' }))
    expect(await screen.findByRole('button', { name: 'Pause' })).toBeTruthy()
    expect(calls.find((c) => c.method === 'PATCH')!.body).toEqual({ enabled: true, version: 4 })
  })

  it('says so for a schedule of another tenant (404)', async () => {
    mockApi(routes({ 'GET /schedules/:id': () => apiError(404, 'not_found'), 'GET /schedules/:id/fires': () => apiError(404, 'not_found') }))
    renderApp('/schedules/other')
    expect(await screen.findByText('This schedule does not exist, or you cannot see it.')).toBeTruthy()
  })
})

describe('schedules read again by themselves while open', () => {
  // Fake timers that still move with real time, so the app's start-up (a lazy
  // screen, the session) runs as usual; the tests jump over the poll interval.
  const fakeTime = () => vi.useFakeTimers({ shouldAdvanceTime: true, now: new Date('2026-12-04T01:30:05Z') })
  let visibility: DocumentVisibilityState = 'visible'
  const show = (v: DocumentVisibilityState) => {
    visibility = v
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility })
    document.dispatchEvent(new Event('visibilitychange'))
    window.dispatchEvent(new Event('visibilitychange'))
  }
  afterEach(() => {
    vi.useRealTimers()
    delete (document as { visibilityState?: unknown }).visibilityState // back to jsdom's
    visibility = 'visible'
  })

  it('the list: a fire lands (last run, next run) without a reload', async () => {
    fakeTime()
    let fired = false
    const { calls } = mockApi(
      routes({
        'GET /schedules': () =>
          page([
            fired
              ? sched({ lastFireAt: '2026-12-04T01:30:00Z', nextFireAt: '2026-12-07T01:30:00Z' })
              : sched({ lastFireAt: undefined, nextFireAt: '2026-12-04T01:30:00Z' }),
          ]),
      }),
    )
    renderApp('/schedules')
    const row = (await screen.findByRole('link', { name: 'Nightly clean' })).closest('tr')!
    expect(within(row).getByText('never')).toBeTruthy()
    const reads = () => calls.filter((c) => c.method === 'GET' && c.path === '/schedules').length
    const before = reads()
    fired = true
    await vi.advanceTimersByTimeAsync(POLL_MS)
    await waitFor(() => expect(within(row).getByText('just now')).toBeTruthy())
    expect(within(row).getByTitle('2026-12-07T01:30:00Z')).toBeTruthy()
    expect(reads()).toBe(before + 1)
  })

  it('a schedule’s page: the new fire, then its counts moving, without a reload', async () => {
    fakeTime()
    let fires: Fire[] = []
    const run = (counts: Record<string, number>): Fire => ({
      id: 'f1', scheduleId: 's1', fireAt: '2026-12-04T01:30:00Z', firedAt: '2026-12-04T01:30:00.2Z', status: 'fired', scriptRunId: 'run-9', counts, total: 1,
    })
    mockApi(routes({ 'GET /schedules/:id': () => json(sched()), 'GET /schedules/:id/fires': () => page(fires) }))
    renderApp('/schedules/s1')
    expect(await screen.findByText('It has not run yet.')).toBeTruthy()
    fires = [run({ queued: 1 })]
    await vi.advanceTimersByTimeAsync(POLL_MS)
    expect(await screen.findByText('1 queued of 1')).toBeTruthy()
    expect(screen.getByRole('link', { name: 'View the run' }).getAttribute('href')).toBe('/script-runs/run-9')
    fires = [run({ succeeded: 1 })]
    await vi.advanceTimersByTimeAsync(POLL_MS)
    expect(await screen.findByText('1 succeeded of 1')).toBeTruthy()
  })

  it('a hidden tab does not poll, and reads again the moment it is shown', async () => {
    fakeTime()
    let fires: Fire[] = []
    const { calls } = mockApi(routes({ 'GET /schedules/:id': () => json(sched()), 'GET /schedules/:id/fires': () => page(fires) }))
    renderApp('/schedules/s1')
    expect(await screen.findByText('It has not run yet.')).toBeTruthy()
    const reads = () => calls.filter((c) => c.path === '/schedules/s1/fires').length
    const before = reads()
    show('hidden')
    fires = [{ id: 'f1', scheduleId: 's1', fireAt: '2026-12-04T01:30:00Z', status: 'skipped', error: 'every device offline', total: 0 }]
    await vi.advanceTimersByTimeAsync(3 * POLL_MS + 1000) // shown again just after a poll would have come: none is due for a while
    expect(reads()).toBe(before)
    show('visible')
    // at once, not at the next tick (the timer is not advanced)
    await waitFor(() => expect(screen.getByText('every device offline')).toBeTruthy(), { timeout: 1000 })
    expect(screen.getByText('Skipped')).toBeTruthy()
  })
})
