import { describe, expect, it, vi } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import type { Command } from '../api/types'
import { json, makeMe, mockApi, sessionRoutes } from '../test/api'
import { device } from '../test/devices'
import { renderApp } from '../test/render'
import { mockWebSocket } from '../test/ws'

const XSS = '<img src=x onerror=alert(1)>'
const d = device(3, { hostname: 'web-03', status: 'online' })

const cmd = (over: Partial<Command>): Command => ({
  id: 'c1', deviceId: d.id, orgId: 'org-1', siteId: 'site-1', action: 'run_script', status: 'succeeded',
  exitCode: 0, stdout: '', stderr: '', truncated: false, createdAt: new Date().toISOString(), ...over,
})

describe('the Commands tab', () => {
  it('lists the history with status badges and renders agent output as text', async () => {
    const alert = vi.fn()
    vi.stubGlobal('alert', alert)
    mockApi({
      ...sessionRoutes(),
      'GET /devices/:id': () => json(d),
      'GET /devices/:id/commands': () =>
        json({
          items: [
            cmd({ id: 'c1', stdout: XSS, stderr: '"><script>window.__pwned=1</script>', exitCode: 3, status: 'failed', truncated: true }),
            cmd({
              id: 'c2', action: 'list_processes',
              data: [{ pid: 42, ppid: 1, name: XSS, user: 'root', cpuPercent: 12.5, rss: 2048, cmdline: '/usr/bin/evil --x' }],
            }),
            cmd({ id: 'c3', action: 'list_services', data: [{ name: 'sshd', description: XSS, state: 'running', enabled: true }] }),
            cmd({ id: 'c4', action: 'reboot', status: 'queued', exitCode: undefined }),
          ],
          nextCursor: '',
        }),
    })
    const user = userEvent.setup()
    const { container } = renderApp(`/devices/${d.id}?tab=commands`)
    const table = await screen.findByRole('table', { name: 'Command history' })
    const rows = within(table).getAllByRole('row').slice(1)
    expect(rows.map((r) => within(r).getAllByRole('cell')[1]!.textContent)).toEqual(['Failed', 'Succeeded', 'Succeeded', 'Queued'])

    await user.click(within(rows[0]!).getByRole('button', { name: 'Result' }))
    const out = await screen.findByLabelText('Standard output')
    expect(out.tagName).toBe('PRE')
    expect(out.textContent).toBe(XSS)
    expect(screen.getByLabelText('Standard error').textContent).toContain('<script>')
    expect(screen.getByText(/output was truncated/)).toBeTruthy()

    await user.click(within(rows[1]!).getByRole('button', { name: 'Result' }))
    const procs = await screen.findByRole('table', { name: /1 processes/ })
    expect(within(procs).getByText(XSS).tagName).toBe('TD')
    expect(within(procs).getByText('12.5 %')).toBeTruthy()
    await user.click(within(rows[2]!).getByRole('button', { name: 'Result' }))
    expect(within(await screen.findByRole('table', { name: /1 services/ })).getByText(XSS)).toBeTruthy()
    await user.click(within(rows[3]!).getByRole('button', { name: 'Result' }))
    expect(await screen.findByText(/Waiting for the agent/)).toBeTruthy()

    expect(container.querySelector('img')).toBeNull()
    expect(container.querySelector('script')).toBeNull()
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined()
    expect(alert).not.toHaveBeenCalled()
  })

  it('sends quick actions, asks before a reboot, and follows the status live', async () => {
    const sockets = mockWebSocket()
    let history: Command[] = []
    const { calls } = mockApi({
      ...sessionRoutes(),
      'POST /ws-tickets': () => json({ ticket: 'ev-1', expiresAt: '' }, 201),
      'GET /devices/:id': () => json(d),
      'GET /devices/:id/commands': () => json({ items: history, nextCursor: '' }),
      'POST /devices/:id/commands': (c) => {
        const body = c.body as { action: string }
        const created = cmd({ id: `n${history.length}`, action: body.action, status: 'queued', exitCode: undefined })
        history = [created, ...history]
        return json(created, 202)
      },
      'GET /commands/:id': (c) =>
        json(cmd({ id: c.path.split('/')[2]!, action: 'list_processes', status: 'succeeded', data: [{ pid: 7, ppid: 1, name: 'bash', user: 'root', cpuPercent: 0, rss: 1, cmdline: 'bash' }] })),
    })
    const user = userEvent.setup()
    renderApp(`/devices/${d.id}?tab=commands`)
    expect(await screen.findByText('No commands yet.')).toBeTruthy()
    await waitFor(() => expect(sockets.length).toBe(1))
    sockets[0]!.open()

    await user.click(screen.getByRole('button', { name: 'List processes' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.path.endsWith('/commands'))).toBe(true))
    const post = calls.find((c) => c.method === 'POST' && c.path.endsWith('/commands'))!
    expect(post.body).toMatchObject({ action: 'list_processes' })
    expect((post.body as { idempotencyKey: string }).idempotencyKey).toMatch(/\S{8,}/)
    const table = await screen.findByRole('table', { name: 'Command history' })
    await waitFor(() => expect(within(table).getByText('Queued')).toBeTruthy())
    expect(await screen.findByText(/Waiting for the agent/)).toBeTruthy() // the new command opens expanded

    // the stream says it finished: the badge changes and the result is read once
    sockets[0]!.push({ type: 'command.updated', at: '', deviceId: d.id, data: { id: 'n0', deviceId: d.id, action: 'list_processes', status: 'succeeded', exitCode: 0 } })
    await waitFor(() => expect(within(table).getByText('Succeeded')).toBeTruthy())
    expect(await screen.findByRole('table', { name: /1 processes/ })).toBeTruthy()

    // reboot only after confirming
    await user.click(screen.getByRole('button', { name: 'Reboot…' }))
    const dialog = await screen.findByRole('dialog', { name: `Reboot ${d.hostname}?` })
    expect(calls.filter((c) => c.method === 'POST' && c.path.endsWith('/commands'))).toHaveLength(1)
    await user.click(within(dialog).getByRole('button', { name: 'Reboot' }))
    await waitFor(() => expect(calls.filter((c) => c.method === 'POST' && c.path.endsWith('/commands'))).toHaveLength(2))
    expect(calls.filter((c) => c.method === 'POST' && c.path.endsWith('/commands'))[1]!.body).toMatchObject({ action: 'reboot' })
  })

  it('offers no actions without devices:execute on the device', async () => {
    const viewer = makeMe({}, ['orgs:read', 'sites:read', 'devices:read', 'scripts:read'])
    mockApi({
      ...sessionRoutes(viewer),
      'GET /devices/:id': () => json(d),
      'GET /devices/:id/commands': () => json({ items: [], nextCursor: '' }),
    })
    renderApp(`/devices/${d.id}?tab=commands`)
    expect(await screen.findByText(/needs the devices:execute permission/)).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'List processes' })).toBeNull()
  })
})
