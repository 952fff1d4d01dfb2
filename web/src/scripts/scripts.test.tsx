import { describe, expect, it, vi } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import type { Command, Script, ScriptRun } from '../api/types'
import { apiError, json, makeMe, mockApi, sessionRoutes } from '../test/api'
import { device, pagedDevices } from '../test/devices'
import { renderApp } from '../test/render'
import { mockWebSocket } from '../test/ws'

const XSS = '<img src=x onerror=alert(1)>'

const script = (over: Partial<Script> = {}): Script => ({
  id: 's1', partnerId: 'p1', orgId: 'org-1', name: 'Disk report', description: 'df -h everywhere', language: 'bash',
  body: 'df -h', params: [], timeoutSeconds: 300, runAs: '', osFilter: [], version: 2, createdAt: '2024-01-01T00:00:00Z',
  updatedAt: '2024-01-01T00:00:00Z', ...over,
})

const run = (over: Partial<ScriptRun> = {}): ScriptRun => ({
  id: 'r1', scriptId: 's1', scriptVersion: 2, orgId: 'org-1', targetKind: 'devices', deviceIds: ['d1', 'd2'],
  params: { NAME: 'world', TOKEN: '********' }, createdAt: '2024-01-01T00:00:00Z', total: 2, counts: { queued: 2 }, ...over,
})

const result = (over: Partial<Command>): Command => ({
  id: 'c1', deviceId: device(1).id, orgId: 'org-1', siteId: 'site-1', action: 'run_script', status: 'queued', stdout: '',
  stderr: '', truncated: false, batchId: 'r1', createdAt: '2024-01-01T00:00:00Z', ...over,
})

describe('the script library', () => {
  it('lists scripts, searches, filters by organization and renders names as text', async () => {
    const { calls } = mockApi({
      ...sessionRoutes(),
      'GET /scripts': (c) =>
        c.query.get('q') === 'nothing'
          ? json({ items: [], nextCursor: '' })
          : json({ items: [script(), script({ id: 's2', orgId: undefined, name: XSS, language: 'pwsh' })], nextCursor: '' }),
    })
    const user = userEvent.setup()
    const { container } = renderApp('/scripts')
    expect(await screen.findByRole('link', { name: 'Disk report' })).toBeTruthy()
    expect(screen.getByRole('link', { name: XSS })).toBeTruthy()
    expect(container.querySelector('img')).toBeNull()
    expect(screen.getByText('every organization')).toBeTruthy()
    expect(screen.getByText('PowerShell')).toBeTruthy()
    expect(screen.getByRole('link', { name: 'Scripts' }).getAttribute('aria-current')).toBe('page')

    const main = screen.getByRole('main')
    await waitFor(() => expect(within(main).getByRole('option', { name: 'Demo Customer' })).toBeTruthy())
    await user.selectOptions(within(main).getByLabelText('Organization'), 'org-1')
    await waitFor(() => expect(calls.some((c) => c.path === '/scripts' && c.query.get('orgId') === 'org-1')).toBe(true))
    await user.type(screen.getByPlaceholderText('Search scripts'), 'nothing')
    expect(await screen.findByText('No script matches.', {}, { timeout: 3000 })).toBeTruthy()
  })

  it('shows the empty and error states', async () => {
    mockApi({ ...sessionRoutes(), 'GET /scripts': () => json({ items: [], nextCursor: '' }) })
    const first = renderApp('/scripts')
    expect(await screen.findByText('No scripts yet.')).toBeTruthy()
    first.unmount()
    mockApi({ ...sessionRoutes(), 'GET /scripts': () => apiError(500, 'internal', 'database down') })
    renderApp('/scripts')
    expect(await screen.findByText('database down')).toBeTruthy()
  })

  it('creates a script with typed parameters', async () => {
    const { calls } = mockApi({
      ...sessionRoutes(),
      'GET /scripts': () => json({ items: [], nextCursor: '' }),
      'POST /scripts': (c) => json({ ...script(), ...(c.body as object), id: 'new-1', version: 1 }, 201),
      'GET /scripts/:id': () => json(script({ id: 'new-1', name: 'Greet', version: 1 })),
      'GET /scripts/:id/versions': () => json({ items: [] }),
    })
    const user = userEvent.setup()
    renderApp('/scripts')
    await user.click(await screen.findByRole('link', { name: 'New script' }))
    await user.type(await screen.findByLabelText('Name'), 'Greet')
    await user.selectOptions(screen.getByLabelText('Language'), 'bash')
    const body = screen.getByLabelText('Script') as HTMLTextAreaElement
    expect(body.tagName).toBe('TEXTAREA')
    await user.clear(body)
    await user.type(body, 'echo "hello $BREEZE_PARAM_NAME"')
    await user.click(screen.getByRole('button', { name: 'Add parameter' }))
    const p1 = screen.getByRole('group', { name: 'Parameter 1' })
    await user.type(within(p1).getByLabelText('Name'), '1bad')
    await user.click(screen.getByRole('button', { name: 'Create script' }))
    expect(await screen.findByText(/must be letters, digits or _/)).toBeTruthy()
    await user.clear(within(p1).getByLabelText('Name'))
    await user.type(within(p1).getByLabelText('Name'), 'NAME')
    await user.click(within(p1).getByLabelText('Required'))
    await user.click(screen.getByRole('button', { name: 'Add parameter' }))
    const p2 = screen.getByRole('group', { name: 'Parameter 2' })
    await user.type(within(p2).getByLabelText('Name'), 'TOKEN')
    await user.selectOptions(within(p2).getByLabelText('Type'), 'secret')
    expect((within(p2).getByLabelText('Default') as HTMLInputElement).disabled).toBe(true)
    await user.click(screen.getByLabelText('Linux'))
    await user.click(screen.getByRole('button', { name: 'Create script' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.path === '/scripts')).toBe(true))
    expect(calls.find((c) => c.method === 'POST' && c.path === '/scripts')!.body).toEqual({
      name: 'Greet',
      description: '',
      language: 'bash',
      body: 'echo "hello $BREEZE_PARAM_NAME"',
      params: [
        { name: 'NAME', type: 'string', description: '', required: true, default: '', passAs: 'env' },
        { name: 'TOKEN', type: 'secret', description: '', required: false, default: '', passAs: 'env' },
      ],
      timeoutSeconds: 300,
      runAs: '',
      osFilter: ['linux'],
      partnerId: 'p1',
    })
    expect(await screen.findByRole('heading', { name: 'Greet' })).toBeTruthy()
  })

  it('saves with the version it read, explains a conflict, and lists versions', async () => {
    const { calls } = mockApi({
      ...sessionRoutes(),
      'GET /scripts/:id': () => json(script()),
      'PATCH /scripts/:id': () => apiError(409, 'conflict', 'stale version'),
      'GET /scripts/:id/versions': () =>
        json({ items: [{ version: 1, language: 'sh', body: XSS, params: [], timeoutSeconds: 60, runAs: '', osFilter: [], createdAt: '2023-01-01T00:00:00Z' }, { version: 2, language: 'bash', body: 'df -h', params: [], timeoutSeconds: 300, runAs: '', osFilter: [], createdAt: '2024-01-01T00:00:00Z' }] }),
    })
    const user = userEvent.setup()
    const { container } = renderApp('/scripts/s1')
    const name = await screen.findByLabelText('Name')
    await user.type(name, ' v3')
    await user.click(screen.getByRole('button', { name: 'Save' }))
    expect(await screen.findByText(/Someone saved this script meanwhile/)).toBeTruthy()
    expect(calls.find((c) => c.method === 'PATCH')!.body).toMatchObject({ name: 'Disk report v3', version: 2 })
    const versions = await screen.findByRole('table')
    expect(within(versions).getByText('v2 (current)')).toBeTruthy()
    await user.click(within(versions).getAllByRole('button', { name: 'View' })[1]!)
    expect(screen.getByLabelText('Version 1').textContent).toBe(XSS)
    await user.click(within(versions).getByRole('button', { name: 'Load into editor' }))
    expect((screen.getByLabelText('Script') as HTMLTextAreaElement).value).toBe(XSS)
    expect(container.querySelector('img')).toBeNull()
  })

  it('is read-only without scripts:write and offers no Run without devices:execute', async () => {
    const viewer = makeMe({}, ['orgs:read', 'sites:read', 'devices:read', 'scripts:read'])
    mockApi({
      ...sessionRoutes(viewer),
      'GET /scripts': () => json({ items: [script()], nextCursor: '' }),
      'GET /scripts/:id': () => json(script()),
      'GET /scripts/:id/versions': () => json({ items: [] }),
    })
    const user = userEvent.setup()
    renderApp('/scripts')
    await screen.findByRole('link', { name: 'Disk report' })
    expect(screen.queryByRole('link', { name: 'New script' })).toBeNull()
    expect(screen.queryByRole('button', { name: 'Run…' })).toBeNull()
    await user.click(screen.getByRole('link', { name: 'Disk report' }))
    expect(await screen.findByText(/needs the scripts:write permission/)).toBeTruthy()
    expect(screen.getByLabelText('Script').matches(':disabled')).toBe(true)
    expect(screen.queryByRole('button', { name: 'Save' })).toBeNull()
  })
})

describe('running a script', () => {
  it('runs on chosen devices with typed parameters, then follows the results live', async () => {
    const alert = vi.fn()
    vi.stubGlobal('alert', alert)
    const sockets = mockWebSocket()
    const devs = [device(1, { hostname: 'alpha' }), device(2, { hostname: 'bravo' })]
    const s = script({
      params: [
        { name: 'NAME', type: 'string', description: 'who to greet', required: true, default: '', passAs: 'env' },
        { name: 'COUNT', type: 'number', description: '', required: false, default: '2', passAs: 'arg' },
        { name: 'LOUD', type: 'boolean', description: '', required: false, default: '', passAs: 'env' },
        { name: 'TOKEN', type: 'secret', description: '', required: false, default: '', passAs: 'env' },
      ],
    })
    let results: Command[] = [result({ id: 'c1', deviceId: devs[0]!.id }), result({ id: 'c2', deviceId: devs[1]!.id })]
    const { calls } = mockApi({
      ...sessionRoutes(),
      'POST /ws-tickets': () => json({ ticket: 'ev', expiresAt: '' }, 201),
      'GET /scripts': () => json({ items: [s], nextCursor: '' }),
      'GET /scripts/:id': () => json(s),
      'GET /devices': pagedDevices(devs),
      'POST /scripts/:id/runs': () => json(run(), 202),
      'GET /script-runs/:id': () => json(run()),
      'GET /script-runs/:id/results': () => json({ items: results, nextCursor: '' }),
      'GET /commands/:id': (c) => json(results.find((r) => r.id === c.path.split('/')[2])),
    })
    const user = userEvent.setup()
    const { container } = renderApp('/scripts')
    await user.click(await screen.findByRole('button', { name: 'Run…' }))
    const dialog = await screen.findByRole('dialog', { name: 'Run Disk report' })
    await user.selectOptions(within(dialog).getByLabelText('Organization'), 'org-1')
    const list = within(dialog).getByRole('list', { name: 'Devices to run on' })
    await user.click(await within(list).findByLabelText(/alpha/))
    await user.click(within(dialog).getByRole('button', { name: 'Run' }))
    expect((within(dialog).getByLabelText(/^NAME/) as HTMLInputElement).validity.valueMissing).toBe(true) // the browser asks
    expect(calls.some((c) => c.path === '/scripts/s1/runs')).toBe(false)
    await user.type(within(dialog).getByLabelText(/^NAME/), 'world')
    expect((within(dialog).getByLabelText(/^COUNT/) as HTMLInputElement).type).toBe('number')
    expect((within(dialog).getByLabelText(/^TOKEN/) as HTMLInputElement).type).toBe('password')
    await user.type(within(dialog).getByLabelText(/^TOKEN/), 's3cret')
    await user.click(within(dialog).getByLabelText(/LOUD/))
    await user.click(within(dialog).getByRole('button', { name: 'Run' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.path === '/scripts/s1/runs')).toBe(true))
    expect(calls.find((c) => c.path === '/scripts/s1/runs')!.body).toEqual({
      deviceIds: [devs[0]!.id],
      params: { NAME: 'world', COUNT: '2', LOUD: 'true', TOKEN: 's3cret' },
    })

    // the run view
    expect(await screen.findByRole('heading', { name: 'Run of Disk report' })).toBeTruthy()
    expect(await screen.findByText('0 of 2 finished')).toBeTruthy()
    expect(screen.getByText('********')).toBeTruthy()
    const table = await screen.findByRole('table', { name: 'Results by device' })
    await waitFor(() => expect(within(table).getByRole('link', { name: 'alpha' })).toBeTruthy())
    await waitFor(() => expect(sockets.length).toBeGreaterThan(0))
    sockets[0]!.open()
    results = [
      result({ id: 'c1', deviceId: devs[0]!.id, status: 'succeeded', exitCode: 0, stdout: 'hello world\n' }),
      result({ id: 'c2', deviceId: devs[1]!.id, status: 'failed', exitCode: 1, stdout: XSS }),
    ]
    sockets[0]!.push({ type: 'command.updated', at: '', deviceId: devs[0]!.id, data: { id: 'c1', deviceId: devs[0]!.id, batchId: 'r1', status: 'succeeded', exitCode: 0 } })
    sockets[0]!.push({ type: 'run.updated', at: '', data: { runId: 'r1', counts: { succeeded: 1, failed: 1 }, total: 2 } })
    expect(await screen.findByText('2 of 2 finished')).toBeTruthy()
    expect(await within(table).findByText('hello world')).toBeTruthy()
    const evil = await within(table).findByText(XSS)
    expect(evil.tagName).toBe('PRE')
    expect(within(table).getByText('Failed')).toBeTruthy()
    expect(container.querySelector('img')).toBeNull()
    expect(alert).not.toHaveBeenCalled()
  })

  it('reads the run again when its results show more finished commands than its counts (a missed event)', async () => {
    const sockets = mockWebSocket()
    const devs = [device(1, { hostname: 'alpha' })]
    let counts: ScriptRun['counts'] = { sent: 1 } // read before the command finished
    const { calls } = mockApi({
      ...sessionRoutes(),
      'POST /ws-tickets': () => json({ ticket: 'ev', expiresAt: '' }, 201),
      'GET /scripts/:id': () => json(script()),
      'GET /devices': pagedDevices(devs),
      'GET /script-runs/:id': () => json(run({ deviceIds: [devs[0]!.id], total: 1, counts })),
      'GET /script-runs/:id/results': () =>
        json({ items: [result({ deviceId: devs[0]!.id, status: 'succeeded', exitCode: 0, stdout: 'hello\n' })], nextCursor: '' }),
    })
    renderApp('/script-runs/r1')
    await waitFor(() => expect(sockets.length).toBeGreaterThan(0))
    sockets[0]!.open() // live: no polling; the run.updated event was published before the page asked
    expect(await screen.findByText('0 of 1 finished')).toBeTruthy()
    counts = { succeeded: 1 }
    expect(await screen.findByText('1 of 1 finished', {}, { timeout: 3000 })).toBeTruthy()
    expect(calls.filter((c) => c.method === 'GET' && c.path === '/script-runs/r1').length).toBeGreaterThan(1)
  })

  it('runs from the device list on the selected devices', async () => {
    const devs = [device(1, { hostname: 'alpha' }), device(2, { hostname: 'bravo' }), device(3, { hostname: 'charlie', orgId: 'org-2' })]
    const { calls } = mockApi({
      ...sessionRoutes(),
      'GET /devices': pagedDevices(devs),
      'GET /scripts': () => json({ items: [script()], nextCursor: '' }),
      'POST /scripts/:id/runs': () => json(run(), 202),
      'GET /script-runs/:id': () => json(run()),
      'GET /script-runs/:id/results': () => json({ items: [], nextCursor: '' }),
      'GET /scripts/:id': () => json(script()),
    })
    const user = userEvent.setup()
    renderApp('/devices')
    await user.click(await screen.findByLabelText('Select alpha'))
    await user.click(screen.getByLabelText('Select charlie'))
    const bar = screen.getByRole('region', { name: 'Selected devices' })
    expect((within(bar).getByRole('button', { name: 'Run script…' }) as HTMLButtonElement).disabled).toBe(true) // two orgs
    await user.click(screen.getByLabelText('Select charlie'))
    await user.click(screen.getByLabelText('Select bravo'))
    await user.click(within(bar).getByRole('button', { name: 'Run script…' }))
    const dialog = await screen.findByRole('dialog', { name: 'Run a script' })
    expect(within(dialog).getByText(/2 selected devices: alpha, bravo/)).toBeTruthy()
    await waitFor(() => expect(within(dialog).getByRole('option', { name: 'Disk report' })).toBeTruthy())
    await user.selectOptions(within(dialog).getByLabelText('Script'), 's1')
    await user.click(within(dialog).getByRole('button', { name: 'Run' }))
    await waitFor(() => expect(calls.some((c) => c.path === '/scripts/s1/runs')).toBe(true))
    expect(calls.find((c) => c.path === '/scripts/s1/runs')!.body).toEqual({ deviceIds: [devs[0]!.id, devs[1]!.id], params: {} })
    expect(await screen.findByRole('heading', { name: 'Run of Disk report' })).toBeTruthy()
  })
})
