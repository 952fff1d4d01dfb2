import { describe, expect, it, vi } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import type { Command, ProcessInfo } from '../api/types'
import { ALL_PERMISSIONS, apiError, json, makeMe, mockApi, sessionRoutes, type Call } from '../test/api'
import { device } from '../test/devices'
import { renderApp } from '../test/render'
import { killable, matchProcess } from './ResultTables'

const XSS = '<img src=x onerror=alert(1)>'
const d = device(3, { hostname: 'web-03', status: 'online' })

const cmd = (over: Partial<Command>): Command => ({
  id: 'c1', deviceId: d.id, orgId: 'org-1', siteId: 'site-1', action: 'run_script', status: 'succeeded',
  exitCode: 0, stdout: '', stderr: '', truncated: false, createdAt: new Date().toISOString(), ...over,
})
const proc = (pid: number, name: string, cmdline = name): ProcessInfo => ({ pid, ppid: 1, name, user: 'root', cpuPercent: pid / 10, rss: 1024, cmdline })
const PROCS = [proc(0, 'kernel'), proc(1, 'systemd', '/sbin/init'), proc(42, XSS, `/tmp/x "${XSS}"`), proc(77, 'nginx', '/usr/sbin/nginx -g daemon'), proc(99, 'python3', '/opt/app/worker.py')]

const posts = (calls: Call[], suffix: string) => calls.filter((c) => c.method === 'POST' && c.path.endsWith(suffix))
const gets = (calls: Call[]) => calls.filter((c) => c.method === 'GET' && c.path === `/devices/${d.id}/commands`)

/** A device whose history holds the given commands; POSTs create queued commands at its head. */
function setup(history: Command[], opts: { me?: ReturnType<typeof makeMe>; cancel?: (c: Call) => ReturnType<typeof json> } = {}) {
  let items = [...history]
  return mockApi({
    ...sessionRoutes(opts.me),
    'GET /devices/:id': () => json(d),
    'GET /devices/:id/commands': () => json({ items, nextCursor: '' }),
    'POST /devices/:id/commands': (c) => {
      const body = c.body as { action: string; payload?: unknown }
      const created = cmd({ id: `n${items.length}`, action: body.action, payload: body.payload, status: 'queued', exitCode: undefined })
      items = [created, ...items]
      return json(created, 202)
    },
    'POST /commands/:id/cancel': (c) => {
      if (opts.cancel) return opts.cancel(c)
      const id = c.path.split('/')[2]
      items = items.map((x) => (x.id === id ? { ...x, status: 'cancelled' as const } : x))
      return json(items.find((x) => x.id === id))
    },
  })
}

async function openResult(user: ReturnType<typeof userEvent.setup>, row: number) {
  const table = await screen.findByRole('table', { name: 'Command history' })
  const rows = within(table).getAllByRole('row').slice(1)
  await user.click(within(rows[row]!).getByRole('button', { name: 'Result' }))
  return table
}

describe('cancelling a pending command', () => {
  const history = [
    cmd({ id: 'q1', action: 'reboot', status: 'queued', exitCode: undefined }),
    cmd({ id: 's1', action: 'list_services', status: 'sent', exitCode: undefined }),
    cmd({ id: 'r1', action: 'run_script', status: 'running', exitCode: undefined }),
    cmd({ id: 'f1', action: 'list_processes', status: 'succeeded', data: PROCS }),
    cmd({ id: 'f2', action: 'run_script', status: 'failed', exitCode: 1 }),
  ]

  it('is offered on queued, sent and running commands only, and asks first', async () => {
    const { calls } = setup(history)
    const user = userEvent.setup()
    renderApp(`/devices/${d.id}?tab=commands`)
    const table = await screen.findByRole('table', { name: 'Command history' })
    const rows = within(table).getAllByRole('row').slice(1)
    expect(rows.map((r) => within(r).queryByRole('button', { name: /^Cancel / }) !== null)).toEqual([true, true, true, false, false])

    // dismissing sends nothing
    await user.click(within(rows[0]!).getByRole('button', { name: 'Cancel Reboot' }))
    let dialog = await screen.findByRole('dialog', { name: `Cancel “Reboot” on ${d.hostname}?` })
    await user.click(within(dialog).getByRole('button', { name: 'Keep it' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(posts(calls, '/cancel')).toHaveLength(0)

    // confirming cancels that command and reads the history again
    const before = gets(calls).length
    await user.click(within(rows[2]!).getByRole('button', { name: 'Cancel Run script' }))
    dialog = await screen.findByRole('dialog')
    await user.click(within(dialog).getByRole('button', { name: 'Cancel command' }))
    await waitFor(() => expect(posts(calls, '/cancel')).toHaveLength(1))
    expect(posts(calls, '/cancel')[0]!.path).toBe('/commands/r1/cancel')
    await waitFor(() => expect(gets(calls).length).toBeGreaterThan(before))
    await waitFor(() => expect(within(table).getByText('Cancelled')).toBeTruthy())
    expect(screen.queryByRole('dialog')).toBeNull()
    const after = within(table).getAllByRole('row').slice(1)
    expect(within(after[2]!).queryByRole('button', { name: /^Cancel / })).toBeNull()
  })

  it('shows the server’s message when the command already finished (409)', async () => {
    const { calls } = setup(history, { cancel: () => apiError(409, 'conflict', 'The command already finished: succeeded.') })
    const user = userEvent.setup()
    renderApp(`/devices/${d.id}?tab=commands`)
    const table = await screen.findByRole('table', { name: 'Command history' })
    const before = gets(calls).length
    await user.click(within(table).getByRole('button', { name: 'Cancel Reboot' }))
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Cancel command' }))
    expect((await screen.findByRole('alert')).textContent).toBe('The command already finished: succeeded.')
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(posts(calls, '/cancel')).toHaveLength(1)
    await waitFor(() => expect(gets(calls).length).toBeGreaterThan(before)) // reads the final state
  })

  it('keeps the dialog open with the error on other failures', async () => {
    setup(history, { cancel: () => apiError(500, 'internal', 'Try again later.') })
    const user = userEvent.setup()
    renderApp(`/devices/${d.id}?tab=commands`)
    const table = await screen.findByRole('table', { name: 'Command history' })
    await user.click(within(table).getByRole('button', { name: 'Cancel Reboot' }))
    const dialog = await screen.findByRole('dialog')
    await user.click(within(dialog).getByRole('button', { name: 'Cancel command' }))
    expect((await within(dialog).findByRole('alert')).textContent).toBe('Try again later.')
  })

  it('is not offered without devices:execute on the device’s scope', async () => {
    // devices:execute is held, but on another organization: canOn says no.
    const elsewhere = makeMe({ grants: [{ level: 'org', orgId: 'org-2', permissions: ALL_PERMISSIONS, roleName: 'Org Admin' }] })
    const { calls } = setup(history, { me: elsewhere })
    const user = userEvent.setup()
    renderApp(`/devices/${d.id}?tab=commands`)
    const table = await screen.findByRole('table', { name: 'Command history' })
    expect(within(table).queryByRole('button', { name: /^Cancel / })).toBeNull()
    expect(screen.getByText(/needs the devices:execute permission/)).toBeTruthy()
    await openResult(user, 3)
    await screen.findByRole('table', { name: /processes/ })
    expect(screen.queryByRole('button', { name: /^Kill/ })).toBeNull()
    expect(posts(calls, '/cancel')).toHaveLength(0)
  })
})

describe('process and service actions', () => {
  it('kills a process after confirming, with TERM by default or KILL; PID 0 and 1 have no Kill', async () => {
    const alert = vi.fn()
    vi.stubGlobal('alert', alert)
    const { calls } = setup([cmd({ id: 'p1', action: 'list_processes', data: PROCS })])
    const user = userEvent.setup()
    const { container } = renderApp(`/devices/${d.id}?tab=commands`)
    const history = await openResult(user, 0)
    const procs = await screen.findByRole('table', { name: /5 processes/ })
    const rowOf = (pid: number) => within(procs).getAllByRole('row').find((r) => within(r).queryAllByRole('cell')[0]?.textContent === String(pid))!
    expect(within(rowOf(0)).queryByRole('button')).toBeNull()
    expect(within(rowOf(1)).queryByRole('button')).toBeNull()
    expect(within(rowOf(77)).getByRole('button', { name: 'Kill PID 77' })).toBeTruthy()

    // dismissing sends nothing
    await user.click(within(rowOf(42)).getByRole('button', { name: 'Kill PID 42' }))
    let dialog = await screen.findByRole('dialog', { name: `Kill process 42 on ${d.hostname}?` })
    expect(within(dialog).getAllByText(XSS, { exact: false }).length).toBeGreaterThan(0) // the hostile name, as text
    expect((within(dialog).getByRole('radio', { name: /^TERM/ }) as HTMLInputElement).checked).toBe(true)
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(posts(calls, '/commands')).toHaveLength(0)

    // TERM
    const before = gets(calls).length
    await user.click(within(rowOf(42)).getByRole('button', { name: 'Kill PID 42' }))
    dialog = await screen.findByRole('dialog')
    await user.click(within(dialog).getByRole('button', { name: 'Kill' }))
    await waitFor(() => expect(posts(calls, '/commands')).toHaveLength(1))
    expect(posts(calls, '/commands')[0]!.body).toMatchObject({ action: 'kill_process', payload: { pid: 42, signal: 'TERM' } })
    await waitFor(() => expect(gets(calls).length).toBeGreaterThan(before))
    await waitFor(() => expect(within(history).getByText('Kill process')).toBeTruthy()) // the new command is in the history

    // KILL
    await user.click(within(rowOf(77)).getByRole('button', { name: 'Kill PID 77' }))
    dialog = await screen.findByRole('dialog')
    await user.click(within(dialog).getByRole('radio', { name: /^KILL/ }))
    await user.click(within(dialog).getByRole('button', { name: 'Kill now' }))
    await waitFor(() => expect(posts(calls, '/commands')).toHaveLength(2))
    expect(posts(calls, '/commands')[1]!.body).toMatchObject({ action: 'kill_process', payload: { pid: 77, signal: 'KILL' } })

    expect(container.querySelector('img')).toBeNull()
    expect(document.querySelector('img')).toBeNull()
    expect(alert).not.toHaveBeenCalled()
  })

  it('restarts a service after confirming', async () => {
    const { calls } = setup([
      cmd({ id: 's1', action: 'list_services', data: [{ name: 'sshd', description: XSS, state: 'running', enabled: true }, { name: 'cron', description: '', state: 'running', enabled: true }] }),
    ])
    const user = userEvent.setup()
    renderApp(`/devices/${d.id}?tab=commands`)
    const history = await openResult(user, 0)
    await screen.findByRole('table', { name: /2 services/ })

    await user.click(screen.getByRole('button', { name: 'Restart sshd' }))
    let dialog = await screen.findByRole('dialog', { name: `Restart sshd on ${d.hostname}?` })
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(posts(calls, '/commands')).toHaveLength(0)

    await user.click(screen.getByRole('button', { name: 'Restart sshd' }))
    dialog = await screen.findByRole('dialog')
    await user.click(within(dialog).getByRole('button', { name: 'Restart' }))
    await waitFor(() => expect(posts(calls, '/commands')).toHaveLength(1))
    expect(posts(calls, '/commands')[0]!.body).toMatchObject({ action: 'restart_service', payload: { name: 'sshd' } })
    await waitFor(() => expect(within(history).getByText('Restart service')).toBeTruthy())
  })

  it('filters the process table by name or command line, from the keyboard', async () => {
    setup([cmd({ id: 'p1', action: 'list_processes', data: PROCS })])
    const user = userEvent.setup()
    renderApp(`/devices/${d.id}?tab=commands`)
    await openResult(user, 0)
    const procs = await screen.findByRole('table', { name: /5 processes/ })
    const pids = () => within(procs).getAllByRole('row').slice(1).map((r) => within(r).getAllByRole('cell')[0]!.textContent)

    // reachable with Tab from the Result button
    await user.tab()
    const box = screen.getByRole('searchbox', { name: 'Filter processes' })
    expect(document.activeElement).toBe(box)

    await user.keyboard('NGINX')
    expect(pids()).toEqual(['77'])
    expect(procs.querySelector('caption')!.textContent).toBe('5 processes, 1 matching')

    await user.clear(box)
    await user.type(box, 'worker.py') // only in the command line
    expect(pids()).toEqual(['99'])

    await user.clear(box)
    await user.type(box, '<img') // hostile text is just text to match
    expect(pids()).toEqual(['42'])

    await user.clear(box)
    await user.type(box, 'no-such-thing')
    expect(pids()).toEqual([])
    expect(screen.getByText(/No process matches/)).toBeTruthy()

    await user.keyboard('{Escape}')
    expect((box as HTMLInputElement).value).toBe('')
    expect(pids()).toEqual(['99', '77', '42', '1', '0'])
  })
})

describe('process helpers', () => {
  it('never offers PID 0, 1 or a non-number', () => {
    expect([0, 1, 2, 4242].map((pid) => killable(proc(pid, 'x')))).toEqual([false, false, true, true])
    expect(killable({ ...proc(5, 'x'), pid: 'NaN' as unknown as number })).toBe(false)
    expect(killable({ ...proc(5, 'x'), pid: 1.5 })).toBe(false)
  })
  it('matches name or command line, case-insensitively, tolerating missing fields', () => {
    expect(matchProcess(proc(5, 'Bash', '/bin/bash -l'), 'bash')).toBe(true)
    expect(matchProcess(proc(5, 'x', '/bin/bash -l'), ' -L ')).toBe(true)
    expect(matchProcess({ pid: 5 } as ProcessInfo, 'a')).toBe(false)
    expect(matchProcess({ pid: 5 } as ProcessInfo, '  ')).toBe(true)
  })
})
