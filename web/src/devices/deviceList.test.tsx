import { describe, expect, it } from 'vitest'
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { json, mockApi, sessionRoutes, makeMe } from '../test/api'
import { device, pagedDevices } from '../test/devices'
import { renderApp } from '../test/render'

const rowsIn = (grid: HTMLElement) => within(grid).getAllByRole('row').slice(1) // minus the header row

describe('the device list', () => {
  it('loads 10 000 devices page by page but keeps only the visible rows in the DOM', async () => {
    const all = Array.from({ length: 10_000 }, (_, i) => device(i))
    const { calls } = mockApi({ ...sessionRoutes(), 'GET /devices': pagedDevices(all) })
    renderApp('/devices')
    expect(await screen.findByText(/^10\D?000 devices$/, {}, { timeout: 25_000 })).toBeTruthy()
    const grid = screen.getByRole('grid', { name: 'Devices' })
    expect(grid.getAttribute('aria-rowcount')).toBe('10001')
    const rendered = rowsIn(grid).length
    expect(rendered).toBeGreaterThan(10)
    expect(rendered).toBeLessThan(100)
    const pages = calls.filter((c) => c.path === '/devices')
    expect(pages.length).toBe(20) // 500 per page
    expect(pages.every((c) => c.query.get('limit') === '500')).toBe(true)
  }, 30_000)

  it('marks network devices with a Network badge', async () => {
    const all = [device(1, { hostname: 'server' }), device(2, { hostname: 'printer', kind: 'network' })]
    mockApi({ ...sessionRoutes(), 'GET /devices': pagedDevices(all) })
    renderApp('/devices')
    const grid = await screen.findByRole('grid', { name: 'Devices' })
    await waitFor(() => expect(rowsIn(grid).length).toBe(2))
    const printer = rowsIn(grid).find((r) => r.textContent?.includes('printer'))!
    const server = rowsIn(grid).find((r) => r.textContent?.includes('server'))!
    expect(within(printer).getByText('Network')).toBeTruthy()
    expect(within(server).queryByText('Network')).toBeNull()
  })

  it('sorts by a column and reflects it in aria-sort', async () => {
    const all = [device(1, { hostname: 'bravo' }), device(2, { hostname: 'alpha' }), device(3, { hostname: 'charlie' })]
    mockApi({ ...sessionRoutes(), 'GET /devices': pagedDevices(all) })
    const user = userEvent.setup()
    renderApp('/devices')
    const grid = await screen.findByRole('grid', { name: 'Devices' })
    await waitFor(() => expect(rowsIn(grid)[0]!.textContent).toContain('alpha'))
    await user.click(within(grid).getByRole('button', { name: /Hostname/ }))
    await waitFor(() => expect(rowsIn(grid)[0]!.textContent).toContain('charlie'))
    const header = within(grid).getAllByRole('columnheader')[1]!
    expect(header.getAttribute('aria-sort')).toBe('descending')
  })

  it('passes filters, search and the tenant to the API', async () => {
    const { calls } = mockApi({ ...sessionRoutes(), 'GET /devices': () => json({ items: [], nextCursor: '' }) })
    const user = userEvent.setup()
    renderApp('/devices')
    await screen.findByRole('heading', { name: 'Devices' })
    await waitFor(() => expect(screen.getByRole('option', { name: 'Demo Customer' })).toBeTruthy())
    await user.selectOptions(screen.getByLabelText('Organization'), 'org-1')
    await waitFor(() => expect(calls.some((c) => c.path === '/devices' && c.query.get('orgId') === 'org-1')).toBe(true))
    await user.selectOptions(screen.getByLabelText('Status'), 'online')
    await user.selectOptions(screen.getByLabelText('OS'), 'linux')
    await user.type(screen.getByPlaceholderText('Search hostnames'), 'web')
    await waitFor(
      () => {
        const last = calls.filter((c) => c.path === '/devices').at(-1)!
        expect(last.query.get('status')).toBe('online')
        expect(last.query.get('os')).toBe('linux')
        expect(last.query.get('q')).toBe('web')
        expect(last.query.get('orgId')).toBe('org-1')
      },
      { timeout: 3000 },
    )
    expect(await screen.findByText('No device matches these filters.')).toBeTruthy()
  })

  it('shows the empty and error states', async () => {
    mockApi({ ...sessionRoutes(), 'GET /devices': () => ({ status: 500, body: { error: { code: 'internal', message: 'database down' } } }) })
    renderApp('/devices')
    await waitFor(() => {
      expect(screen.getByText('database down')).toBeTruthy()
      expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy()
    })
  })

  it('moves with the keyboard, selects with Space and decommissions only after confirmation', async () => {
    const all = [device(1), device(2), device(3)]
    const decommissioned: string[] = []
    mockApi({
      ...sessionRoutes(),
      'GET /devices': pagedDevices(all),
      'POST /devices/:id/decommission': (c) => {
        decommissioned.push(c.path.split('/')[2]!)
        return json(all[0])
      },
    })
    const user = userEvent.setup()
    renderApp('/devices')
    const grid = await screen.findByRole('grid', { name: 'Devices' })
    await waitFor(() => expect(rowsIn(grid).length).toBe(3))
    grid.focus()
    await user.keyboard('{ArrowDown}') // row 2
    await user.keyboard(' ')
    expect(rowsIn(grid)[1]!.getAttribute('aria-selected')).toBe('true')
    expect(grid.getAttribute('aria-activedescendant')).toBe(`device-row-${all[1]!.id}`)
    expect(screen.getByText('1 selected')).toBeTruthy()

    await user.click(screen.getByRole('button', { name: 'Decommission…' }))
    const dialog = await screen.findByRole('dialog')
    // Cancel holds the focus: Enter must not destroy anything
    expect(document.activeElement?.textContent).toBe('Cancel')
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }))
    expect(decommissioned).toEqual([])

    await user.click(screen.getByRole('button', { name: 'Decommission…' }))
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Decommission' }))
    await waitFor(() => expect(decommissioned).toEqual([all[1]!.id]))
  })

  it('selects all listed devices from the header and clears with Escape', async () => {
    const all = Array.from({ length: 30 }, (_, i) => device(i))
    mockApi({ ...sessionRoutes(), 'GET /devices': pagedDevices(all) })
    const user = userEvent.setup()
    renderApp('/devices')
    const grid = await screen.findByRole('grid', { name: 'Devices' })
    await waitFor(() => expect(rowsIn(grid).length).toBe(30))
    await user.click(within(grid).getByRole('checkbox', { name: 'Select all listed devices' }))
    expect(screen.getByText('30 selected')).toBeTruthy()
    act(() => grid.focus())
    fireEvent.keyDown(grid, { key: 'Escape' })
    await waitFor(() => expect(screen.queryByText('30 selected')).toBeNull())
  })

  it('hides write actions from a viewer', async () => {
    const viewer = makeMe({}, ['orgs:read', 'sites:read', 'device-groups:read', 'devices:read'])
    mockApi({ ...sessionRoutes(viewer), 'GET /devices': pagedDevices([device(1)]) })
    const user = userEvent.setup()
    renderApp('/devices')
    const grid = await screen.findByRole('grid', { name: 'Devices' })
    await waitFor(() => expect(rowsIn(grid).length).toBe(1))
    await user.click(within(grid).getByRole('checkbox', { name: /Select host-/ }))
    expect(screen.getByText('1 selected')).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Decommission…' })).toBeNull()
    expect(screen.queryByRole('link', { name: 'Add devices' })).toBeNull()
    expect(screen.queryByRole('link', { name: 'Users' })).toBeNull()
  })
})
