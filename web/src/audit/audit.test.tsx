import { describe, expect, it } from 'vitest'
import { fireEvent, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { json, mockApi, sessionRoutes } from '../test/api'
import { renderApp } from '../test/render'
import { localToIso } from './AuditPage'

const entry = (i: number) => ({
  id: `a${i}`, seq: i, at: '2024-05-01T12:00:00Z', actorType: 'user', actorId: 'u-123456789', action: 'orgs.create',
  resourceType: 'organization', resourceId: 'r-987654321', orgId: 'org-1', outcome: i % 2 ? 'success' : 'denied',
  ip: '127.0.0.1', requestId: 'req-1', prevHash: 'p', hash: `h${i}`,
})

describe('the audit log', () => {
  it('filters by action, actor, dates and the tenant, and pages back in time', async () => {
    const { calls } = mockApi({
      ...sessionRoutes(),
      'GET /audit-logs': (c) =>
        json(c.query.get('cursor') ? { items: [entry(3)], nextCursor: '' } : { items: [entry(1), entry(2)], nextCursor: 'c1' }),
    })
    const user = userEvent.setup()
    renderApp('/audit')
    expect((await screen.findAllByText('orgs.create')).length).toBe(2)
    await user.type(screen.getByLabelText('Action'), 'devices.move')
    await waitFor(() => expect(calls.filter((c) => c.path === '/audit-logs').at(-1)!.query.get('action')).toBe('devices.move'), {
      timeout: 3000,
    })
    await user.selectOptions(screen.getByLabelText('Organization'), 'org-1')
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2024-05-01T00:00' } })
    await waitFor(() => {
      const last = calls.filter((c) => c.path === '/audit-logs').at(-1)!
      expect(last.query.get('orgId')).toBe('org-1')
      expect(last.query.get('from')).toBe(new Date('2024-05-01T00:00').toISOString())
      expect(last.query.get('action')).toBe('devices.move')
      expect(last.query.get('limit')).toBe('100')
    })

    await user.click((await screen.findAllByRole('button', { name: '23456789' }))[0]!)
    await waitFor(() => expect(calls.filter((c) => c.path === '/audit-logs').at(-1)!.query.get('actorId')).toBe('u-123456789'))

    await user.click(await screen.findByRole('button', { name: 'Load older entries' }))
    await waitFor(() => expect(calls.some((c) => c.path === '/audit-logs' && c.query.get('cursor') === 'c1')).toBe(true))
    expect(await screen.findAllByText('orgs.create')).toHaveLength(3)
  })

  it('converts the date inputs to RFC 3339', () => {
    expect(localToIso('')).toBe('')
    expect(localToIso('not a date')).toBe('')
    expect(localToIso('2024-05-01T12:30')).toBe(new Date('2024-05-01T12:30').toISOString())
  })
})
