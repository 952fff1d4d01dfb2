import { describe, expect, it } from 'vitest'
import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { json, makeMe, mockApi, sessionRoutes } from '../test/api'
import { renderApp } from '../test/render'

const org = (id: string, name: string, partnerId = 'p1') => ({ id, partnerId, name, version: 1, createdAt: '', updatedAt: '' })

describe('the tenant switcher', () => {
  it('walks partner → organization → site → group and narrows the device list', async () => {
    const { calls } = mockApi({
      ...sessionRoutes(),
      'GET /partners': () =>
        json({ items: [{ id: 'p1', name: 'MSP One' }, { id: 'p2', name: 'MSP Two' }], nextCursor: '' }),
      'GET /orgs': (c) =>
        json({
          items: c.query.get('partnerId') === 'p2' ? [org('o3', 'Gamma', 'p2')] : [org('o1', 'Alpha'), org('o2', 'Beta')],
          nextCursor: '',
        }),
      'GET /sites': (c) =>
        json({ items: c.query.get('orgId') === 'o3' ? [{ id: 's3', orgId: 'o3', name: 'Gamma HQ' }] : [], nextCursor: '' }),
      'GET /device-groups': (c) =>
        json({ items: c.query.get('siteId') === 's3' ? [{ id: 'g3', orgId: 'o3', siteId: 's3', name: 'Servers' }] : [], nextCursor: '' }),
      'GET /devices': () => json({ items: [], nextCursor: '' }),
    })
    const user = userEvent.setup()
    renderApp('/devices')
    const partner = await screen.findByLabelText('Partner')
    expect((screen.getByLabelText('Site') as HTMLSelectElement).disabled).toBe(true)
    await user.selectOptions(partner, 'p2')
    await waitFor(() => expect(screen.getByRole('option', { name: 'Gamma' })).toBeTruthy())
    await user.selectOptions(screen.getByLabelText('Organization'), 'o3')
    await waitFor(() => expect(screen.getByRole('option', { name: 'Gamma HQ' })).toBeTruthy())
    await user.selectOptions(screen.getByLabelText('Site'), 's3')
    await waitFor(() => expect(screen.getByRole('option', { name: 'Servers' })).toBeTruthy())
    await user.selectOptions(screen.getByLabelText('Group'), 'g3')
    await waitFor(() => {
      const q = calls.filter((c) => c.path === '/devices').at(-1)!.query
      expect([q.get('orgId'), q.get('siteId'), q.get('groupId')]).toEqual(['o3', 's3', 'g3'])
    })
    // choosing another organization clears the site and group below it
    await user.selectOptions(screen.getByLabelText('Organization'), '')
    expect((screen.getByLabelText('Site') as HTMLSelectElement).value).toBe('')
    expect((screen.getByLabelText('Group') as HTMLSelectElement).value).toBe('')
  })

  it('shows only the levels the caller may read', async () => {
    const orgViewer = makeMe({}, ['sites:read', 'device-groups:read', 'devices:read'])
    const { calls } = mockApi({ ...sessionRoutes(orgViewer), 'GET /devices': () => json({ items: [], nextCursor: '' }) })
    renderApp('/devices')
    await screen.findByRole('heading', { name: 'Devices' })
    expect(screen.queryByLabelText('Partner')).toBeNull()
    expect(screen.queryByLabelText('Organization')).toBeNull()
    expect(calls.some((c) => c.path === '/partners' || c.path === '/orgs')).toBe(false)
  })
})
