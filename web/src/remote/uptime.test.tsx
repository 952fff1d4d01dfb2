import { describe, expect, it } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { ACTIONS, CONFIRMED_ACTIONS, QUICK_ACTIONS, actionLabel } from '../api/actions'
import type { Command } from '../api/types'
import { json, mockApi, sessionRoutes } from '../test/api'
import { device } from '../test/devices'
import { renderApp } from '../test/render'

const d = device(4, { hostname: 'db-04', status: 'online' })

const cmd = (over: Partial<Command>): Command => ({
  id: 'u1', deviceId: d.id, orgId: 'org-1', siteId: 'site-1', action: 'uptime', status: 'succeeded',
  exitCode: undefined, stdout: '', stderr: '', truncated: false, createdAt: new Date().toISOString(), ...over,
})

describe('the action table', () => {
  it('names every action once and says how each is offered', () => {
    expect(Object.keys(ACTIONS).sort()).toEqual([
      'collect_inventory', 'discover', 'kill_process', 'list_processes', 'list_services', 'reboot', 'restart_service',
      'run_script', 'uninstall_agent', 'uptime',
    ])
    expect(QUICK_ACTIONS).toEqual(['list_processes', 'list_services', 'collect_inventory', 'uptime'])
    expect(CONFIRMED_ACTIONS).toEqual(['reboot', 'uninstall_agent'])
    expect(actionLabel('uptime')).toBe('Uptime')
    expect(actionLabel('toString')).toBe('toString') // not a table entry
    expect(actionLabel('format_disk')).toBe('format_disk')
  })
})

describe('uptime', () => {
  it('is a quick action whose answer shows in the history', async () => {
    let items: Command[] = []
    const { calls } = mockApi({
      ...sessionRoutes(),
      'GET /devices/:id': () => json(d),
      'GET /devices/:id/commands': () => json({ items, nextCursor: '' }),
      'POST /devices/:id/commands': (c) => {
        const body = c.body as { action: string }
        items = [cmd({ action: body.action, stdout: 'up 52h3m0s', data: { seconds: 187380 } })]
        return json(items[0], 202)
      },
    })
    const user = userEvent.setup()
    renderApp(`/devices/${d.id}?tab=commands`)
    await user.click(await screen.findByRole('button', { name: 'Uptime' }))
    await waitFor(() => expect(calls.filter((c) => c.method === 'POST' && c.path.endsWith('/commands'))).toHaveLength(1))
    expect(calls.find((c) => c.method === 'POST' && c.path.endsWith('/commands'))!.body).toMatchObject({ action: 'uptime' })
    const table = await screen.findByRole('table', { name: 'Command history' })
    await waitFor(() => expect(within(table).getByText('Uptime')).toBeTruthy())
    expect((await screen.findByLabelText('Standard output')).textContent).toBe('up 52h3m0s')
  })
})
