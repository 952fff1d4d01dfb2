import { describe, expect, it } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import type { Script } from '../api/types'
import { ALL_PERMISSIONS, json, makeMe, mockApi, sessionRoutes } from '../test/api'
import { device } from '../test/devices'
import { renderApp } from '../test/render'
import { remediationBody, remediationErrors, remediationFormOf } from './remediation'
import type { Alert, AlertRule } from './types'

const PERMS = [...ALL_PERMISSIONS, 'alerts:read', 'alerts:acknowledge', 'alerts:write']
const page = (items: unknown[]) => json({ items, nextCursor: '' })
const dev = device(3, { hostname: 'db-03' })

const fixScript: Script = {
  id: 'sc-fix', partnerId: 'p1', orgId: 'org-1', name: 'Free disk space', description: '', language: 'bash', body: 'true',
  params: [
    { name: 'KEEP_DAYS', type: 'number', description: '', required: true, default: '14', passAs: 'env' },
    { name: 'TOKEN', type: 'secret', description: '', required: false, default: '', passAs: 'env' },
  ],
  timeoutSeconds: 60, runAs: 'system', osFilter: [], version: 2, createdAt: '', updatedAt: '',
}

const rule = (over: Partial<AlertRule> = {}): AlertRule => ({
  id: 'r1', partnerId: 'p1', orgId: 'org-1', name: 'Disk full', description: '', enabled: true, severity: 'critical', kind: 'device_offline',
  params: { minutes: 10 }, scopeKind: 'org', scopeIds: ['org-1'], excludeDeviceIds: [], renotifySeconds: 0, version: 7, createdAt: '', updatedAt: '',
  ...over,
})

function routes(over: Record<string, Parameters<typeof mockApi>[0][string]> = {}) {
  return {
    ...sessionRoutes(makeMe({}, PERMS)),
    'GET /alert-rules': () => page([rule()]),
    'GET /alert-templates': () => page([]),
    'GET /scripts': () => page([fixScript, { ...fixScript, id: 'sc-all', orgId: undefined, name: 'Shared cleanup', params: [] }]),
    'POST /alert-rules/preview': () => json({ count: 1, devices: [{ id: 'd1', hostname: 'web-01' }] }),
    'GET /devices/:id': () => json(dev),
    ...over,
  }
}

describe('remediation on the rule editor', () => {
  it('adds a script remediation with its params and a rate limit to a rule’s PATCH', async () => {
    const { calls } = mockApi(routes({ 'PATCH /alert-rules/:id': (c) => json({ ...rule(), ...(c.body as object), version: 8 }) }))
    const user = userEvent.setup()
    renderApp('/alert-rules')
    await user.click(await screen.findByRole('button', { name: 'Edit Disk full' }))
    const d = screen.getByRole('dialog', { name: 'Edit Disk full' })
    expect((within(d).getByLabelText('When an alert opens, run') as HTMLSelectElement).value).toBe('none')
    await user.selectOptions(within(d).getByLabelText('When an alert opens, run'), 'script')
    await waitFor(() => expect(within(d).getByRole('option', { name: 'Free disk space' })).toBeTruthy())
    expect(calls.find((c) => c.path === '/scripts')!.query.get('orgId')).toBe('org-1')
    await user.click(within(d).getByRole('button', { name: 'Save rule' }))
    expect(within(d).getByText('Choose a script.')).toBeTruthy()
    expect(calls.some((c) => c.method === 'PATCH')).toBe(false)
    await user.selectOptions(within(d).getByLabelText('Script'), 'sc-fix')
    expect((within(d).getByLabelText(/^KEEP_DAYS/) as HTMLInputElement).value).toBe('14')
    // a rule keeps its values in clear: the server refuses secret ones, so the form does not ask
    expect(within(d).queryByLabelText('TOKEN')).toBeNull()
    expect(within(d).getByText('Secret parameters cannot be set here (TOKEN): the script runs without them.')).toBeTruthy()
    const every = within(d).getByLabelText('At most once every (hours, 0: every time an alert opens)')
    await user.clear(every)
    await user.type(every, 'x')
    await user.click(within(d).getByRole('button', { name: 'Save rule' }))
    expect(within(d).getByText('From 0 to 8760 hours.')).toBeTruthy()
    await user.clear(every)
    await user.type(every, '6')
    await user.click(within(d).getByRole('button', { name: 'Save rule' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    const body = calls.find((c) => c.method === 'PATCH')!.body as Record<string, unknown>
    expect(body).toMatchObject({ version: 7, kind: 'device_offline' })
    expect(body.remediation).toEqual({ kind: 'script', scriptId: 'sc-fix', params: { KEEP_DAYS: '14' } })
    expect(body.remediationEveryHours).toBe(6)
  })

  it('creates a rule whose remediation is an action with its payload', async () => {
    const { calls } = mockApi(routes({ 'POST /alert-rules': (c) => json({ ...rule(), ...(c.body as object), id: 'r2' }, 201) }))
    const user = userEvent.setup()
    renderApp('/alert-rules')
    await user.click(await screen.findByRole('button', { name: 'New rule' }))
    const d = screen.getByRole('dialog', { name: 'New alert rule' })
    await user.type(within(d).getByLabelText('Name'), 'Spooler down')
    await user.selectOptions(within(d).getByLabelText('Condition'), 'device_offline')
    // a partner-wide rule can only use a partner-wide script
    await user.selectOptions(within(d).getByLabelText('When an alert opens, run'), 'script')
    expect(await within(d).findByRole('option', { name: 'Shared cleanup' })).toBeTruthy()
    expect(within(d).queryByRole('option', { name: 'Free disk space' })).toBeNull()
    await user.selectOptions(within(d).getByLabelText('When an alert opens, run'), 'action')
    await user.selectOptions(within(d).getByLabelText('Action'), 'restart_service')
    await user.type(within(d).getByLabelText('Service name (required)'), 'spooler')
    await user.click(within(d).getByRole('button', { name: 'Create rule' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    const body = calls.find((c) => c.method === 'POST' && c.path === '/alert-rules')!.body as Record<string, unknown>
    expect(body.remediation).toEqual({ kind: 'action', action: 'restart_service', payload: { name: 'spooler' } })
    expect(body.remediationEveryHours).toBe(0)
  })

  it('removes a remediation: the PATCH carries none', async () => {
    const stored = rule({ remediation: { kind: 'action', action: 'reboot', payload: { delaySeconds: 60 } }, remediationEveryHours: 24 })
    const { calls } = mockApi(routes({ 'GET /alert-rules': () => page([stored]), 'PATCH /alert-rules/:id': () => json(stored) }))
    const user = userEvent.setup()
    renderApp('/alert-rules')
    await user.click(await screen.findByRole('button', { name: 'Edit Disk full' }))
    const d = screen.getByRole('dialog', { name: 'Edit Disk full' })
    expect((within(d).getByLabelText('Action') as HTMLSelectElement).value).toBe('reboot')
    expect((within(d).getByLabelText('Delay (seconds)') as HTMLInputElement).value).toBe('60')
    expect((within(d).getByLabelText('At most once every (hours, 0: every time an alert opens)') as HTMLInputElement).value).toBe('24')
    await user.selectOptions(within(d).getByLabelText('When an alert opens, run'), 'none')
    await user.click(within(d).getByRole('button', { name: 'Save rule' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    const body = calls.find((c) => c.method === 'PATCH')!.body as Record<string, unknown>
    expect(body).not.toHaveProperty('remediation')
    expect(body).not.toHaveProperty('remediationEveryHours')
  })
})

describe('the remediation form', () => {
  it('produces the contract JSON', () => {
    const none = remediationFormOf(undefined)
    expect(remediationBody(none, undefined)).toEqual({})
    expect(remediationErrors(none, undefined)).toEqual({})
    const action = { ...none, kind: 'action' as const, task: { ...none.task, kind: 'action' as const, action: 'kill_process', payload: { pid: '42' } }, everyHours: '2' }
    expect(remediationBody(action, undefined)).toEqual({ remediation: { kind: 'action', action: 'kill_process', payload: { pid: 42 } }, remediationEveryHours: 2 })
    const script = { ...none, kind: 'script' as const, task: { ...none.task, scriptId: 'sc-fix', params: { KEEP_DAYS: '3', TOKEN: 'x' } } }
    expect(remediationBody(script, fixScript)).toEqual({ remediation: { kind: 'script', scriptId: 'sc-fix', params: { KEEP_DAYS: '3' } }, remediationEveryHours: 0 })
    expect(remediationErrors({ ...script, task: { ...script.task, params: { KEEP_DAYS: 'many' } } }, fixScript)).toEqual({ remediation: 'KEEP_DAYS must be a number.' })
  })

  it('sends a stored script remediation back as stored when it is untouched', () => {
    const stored = rule({ remediation: { kind: 'script', scriptId: 'sc-fix', params: { KEEP_DAYS: '3', VERBOSE: 'yes' } }, remediationEveryHours: 1 })
    const f = remediationFormOf(stored)
    expect(remediationErrors(f, fixScript, stored)).toEqual({})
    expect(remediationBody(f, fixScript, stored)).toEqual({ remediation: stored.remediation, remediationEveryHours: 1 })
  })
})

describe('remediation on the alert page', () => {
  const alert = (over: Partial<Alert> = {}): Alert => ({
    id: 'a1', partnerId: 'p1', orgId: 'org-1', siteId: 'site-1', deviceId: dev.id, ruleId: 'r1', kind: 'device_offline', severity: 'critical',
    state: 'open', message: 'disk full', value: 0, openedAt: '2026-12-01T00:00:00Z', version: 1,
    history: [{ to: 'open', actor: 'system', at: '2026-12-01T00:00:00Z' }],
    ...over,
  })

  it('shows the latest remediation with a link to its command, and the auto-remediated resolution', async () => {
    mockApi(
      routes({
        'GET /alerts/:id': () =>
          json(
            alert({
              state: 'resolved', resolvedBy: 'system', resolvedAt: '2026-12-01T00:05:00Z', note: 'auto-remediated',
              remediation: { commandId: 'cmd-1', status: 'succeeded', at: '2026-12-01T00:01:00Z' },
              history: [
                { to: 'open', actor: 'system', at: '2026-12-01T00:00:00Z' },
                { to: 'open', actor: 'system', at: '2026-12-01T00:01:00Z', action: 'remediation', note: 'restart_service spooler: command cmd-1 succeeded' },
                { from: 'open', to: 'resolved', actor: 'system', at: '2026-12-01T00:05:00Z', note: 'auto-remediated' },
              ],
            }),
          ),
      }),
    )
    renderApp('/alerts/a1')
    const section = await screen.findByRole('region', { name: 'Remediation' })
    expect(within(section).getByText('Auto-remediated')).toBeTruthy()
    expect(within(section).getByText('Succeeded')).toBeTruthy()
    expect(within(section).getByRole('link', { name: 'View the command on the device' }).getAttribute('href')).toBe(`/devices/${dev.id}?tab=commands`)
    expect(within(section).getByText(/restart_service spooler: command cmd-1 succeeded/)).toBeTruthy()
  })

  it('links a script remediation to its run, says why one was refused, and shows nothing for an alert without one', async () => {
    mockApi(routes({ 'GET /alerts/:id': () => json(alert({ remediation: { scriptRunId: 'run-7', status: 'started', at: '2026-12-01T00:01:00Z' } })) }))
    const first = renderApp('/alerts/a1')
    const section = await screen.findByRole('region', { name: 'Remediation' })
    expect(within(section).getByText('Running')).toBeTruthy()
    expect(within(section).queryByText('Auto-remediated')).toBeNull()
    expect(within(section).getByRole('link', { name: 'View the script run' }).getAttribute('href')).toBe('/script-runs/run-7')
    first.unmount()
    mockApi(routes({ 'GET /alerts/:id': () => json(alert({ remediation: { status: 'refused', at: '2026-12-01T00:01:00Z' } })) }))
    const r2 = renderApp('/alerts/a1')
    expect(await screen.findByText('Refused: no run permission')).toBeTruthy()
    r2.unmount()
    mockApi(routes({ 'GET /alerts/:id': () => json(alert({ state: 'resolved', resolvedBy: 'admin@demo', note: 'fixed by hand' })) }))
    renderApp('/alerts/a1')
    expect(await screen.findByRole('heading', { name: 'disk full' })).toBeTruthy()
    expect(screen.queryByRole('region', { name: 'Remediation' })).toBeNull()
  })
})
