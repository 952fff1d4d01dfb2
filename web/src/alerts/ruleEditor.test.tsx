import { describe, expect, it } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { ALL_PERMISSIONS, json, makeMe, mockApi, sessionRoutes } from '../test/api'
import { renderApp } from '../test/render'
import type { AlertRule, AlertRuleRequest, AlertTemplate } from './types'

const PERMS = [...ALL_PERMISSIONS, 'alerts:read', 'alerts:acknowledge', 'alerts:write']
const page = (items: unknown[]) => json({ items, nextCursor: '' })

const TEMPLATES: AlertTemplate[] = [
  { id: 'failed-units', name: 'Failed systemd units', description: 'At least one failed unit.', severity: 'warning', kind: 'inventory_fact',
    params: { source: 'fact', plugin: 'breeze.failedunits', key: 'systemd.failed_count', op: '>', value: '0' } },
  { id: 'plugin-failed', name: 'Agent plugin failed', description: 'A plugin is failed.', severity: 'warning', kind: 'plugin_failed', params: {} },
]

const existing: AlertRule = {
  id: 'r1', partnerId: 'p1', orgId: 'org-1', name: 'Backup failed', description: '', enabled: true, severity: 'critical',
  kind: 'command_failed', params: { action: 'run_script', autoResolveMinutes: 60 }, scopeKind: 'org', scopeIds: ['org-1'],
  excludeDeviceIds: ['d9'], renotifySeconds: 0, version: 7, createdAt: '', updatedAt: '',
}

function routes(over: Record<string, Parameters<typeof mockApi>[0][string]> = {}) {
  return {
    ...sessionRoutes(makeMe({}, PERMS)),
    'GET /alert-rules': () => page([existing]),
    'GET /alert-templates': () => page(TEMPLATES),
    'POST /alert-rules/preview': (c: { body: unknown }) => {
      const b = c.body as AlertRuleRequest
      return b.scopeKind === 'partner'
        ? json({ count: 120, truncated: false, devices: [{ id: 'd1', hostname: 'web-01', orgId: 'org-1', siteId: 's', status: 'online' }] })
        : json({ count: 2, devices: [{ id: 'd1', hostname: 'web-01' }, { id: 'd2', hostname: 'db-01' }] })
    },
    ...over,
  }
}

describe('the rule editor', () => {
  it('starts from a server template, previews the devices covered, and creates an inventory fact rule', async () => {
    const { calls } = mockApi(routes({ 'POST /alert-rules': (c) => json({ ...existing, ...(c.body as object), id: 'r2' }, 201) }))
    const user = userEvent.setup()
    renderApp('/alert-rules')
    await user.click(await screen.findByRole('button', { name: 'New rule' }))
    const d = screen.getByRole('dialog', { name: 'New alert rule' })
    await within(d).findByRole('option', { name: 'Failed systemd units' })
    await user.selectOptions(within(d).getByLabelText('Start from'), 'failed-units')
    expect((within(d).getByLabelText('Condition') as HTMLSelectElement).value).toBe('inventory_fact')
    expect((within(d).getByLabelText('Plugin id') as HTMLInputElement).value).toBe('breeze.failedunits')
    expect((within(d).getByLabelText('Fact key') as HTMLInputElement).value).toBe('systemd.failed_count')
    // partner-wide by default: the server counts the partner's devices
    const status = within(d).getByRole('status', { name: 'Rule preview' })
    await waitFor(() => expect(status.textContent).toBe('Covers 120 devices now: web-01, …'))
    await user.selectOptions(within(d).getByLabelText('Level'), 'org')
    await waitFor(() => expect(within(d).getByRole('option', { name: 'Demo Customer' })).toBeTruthy())
    await user.selectOptions(within(d).getByLabelText('Organization'), 'org-1')
    await waitFor(() => expect(status.textContent).toBe('Covers 2 devices now: web-01, db-01'))
    const preview = calls.filter((c) => c.path === '/alert-rules/preview').at(-1)!.body
    expect(preview).toMatchObject({ kind: 'inventory_fact', orgId: 'org-1', scopeKind: 'org', scopeIds: ['org-1'] })

    // an invalid value: no preview, no request
    await user.clear(within(d).getByLabelText('Value'))
    await user.type(within(d).getByLabelText('Value'), 'lots')
    await waitFor(() => expect(status.textContent).toBe('Complete the rule to see the devices it covers.'))
    await user.click(within(d).getByRole('button', { name: 'Create rule' }))
    expect(within(d).getByText('A number, for this comparison.')).toBeTruthy()
    await user.clear(within(d).getByLabelText('Value'))
    await user.type(within(d).getByLabelText('Value'), '2')
    await user.click(within(d).getByRole('button', { name: 'Create rule' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(calls.find((c) => c.method === 'POST' && c.path === '/alert-rules')!.body).toMatchObject({
      name: 'Failed systemd units', kind: 'inventory_fact', severity: 'warning', orgId: 'org-1',
      params: { source: 'fact', plugin: 'breeze.failedunits', key: 'systemd.failed_count', op: '>', value: '2' },
    })
  })

  it('shows the server’s refusal of a preview (a plugin not installed)', async () => {
    mockApi(routes({ 'POST /alert-rules/preview': () => ({ status: 400, body: { error: { code: 'invalid', message: 'plugin "acme.gpu" is not installed' } } }) }))
    const user = userEvent.setup()
    renderApp('/alert-rules')
    await user.click(await screen.findByRole('button', { name: 'New rule' }))
    const d = screen.getByRole('dialog', { name: 'New alert rule' })
    await user.type(within(d).getByLabelText('Name'), 'GPU hot')
    await user.selectOptions(within(d).getByLabelText('Condition'), 'plugin_failed')
    await user.type(within(d).getByLabelText('Plugin id (empty: any plugin)'), 'acme.gpu')
    const status = within(d).getByRole('status', { name: 'Rule preview' })
    await waitFor(() => expect(status.textContent).toBe('No preview: plugin "acme.gpu" is not installed'))
  })

  it('edits a command_failed rule: its fields, a preview without version, a PATCH with it', async () => {
    const { calls } = mockApi(routes({ 'PATCH /alert-rules/:id': (c) => json({ ...existing, ...(c.body as object), version: 8 }) }))
    const user = userEvent.setup()
    renderApp('/alert-rules')
    expect(await screen.findByText('Run script failed, resolves after 60 min')).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'Edit Backup failed' }))
    const d = screen.getByRole('dialog', { name: 'Edit Backup failed' })
    expect((within(d).getByLabelText('Action') as HTMLSelectElement).value).toBe('run_script')
    expect((within(d).getByLabelText('Resolve after (minutes, 0: at the next success)') as HTMLInputElement).value).toBe('60')
    await waitFor(() => expect(within(d).getByRole('status', { name: 'Rule preview' }).textContent).toBe('Covers 2 devices now: web-01, db-01'))
    const preview = calls.find((c) => c.path === '/alert-rules/preview')!.body as Record<string, unknown>
    expect(preview).not.toHaveProperty('version')
    expect(preview).toMatchObject({ orgId: 'org-1', excludeDeviceIds: ['d9'] })
    await user.type(within(d).getByLabelText('Script id (optional)'), '0190e0a0-0000-7000-8000-000000000001')
    await user.clear(within(d).getByLabelText('Resolve after (minutes, 0: at the next success)'))
    await user.type(within(d).getByLabelText('Resolve after (minutes, 0: at the next success)'), '0')
    await user.click(within(d).getByRole('button', { name: 'Save rule' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    const body = calls.find((c) => c.method === 'PATCH')!.body as Record<string, unknown>
    expect(body).toMatchObject({ version: 7, params: { action: 'run_script', scriptId: '0190e0a0-0000-7000-8000-000000000001' } })
    expect((body.params as Record<string, unknown>).autoResolveMinutes).toBeUndefined()
  })
})
