import { describe, expect, it } from 'vitest'
import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { ALL_PERMISSIONS, json, makeMe, mockApi, sessionRoutes } from '../test/api'
import { renderApp } from '../test/render'

describe('the partner security page', () => {
  it('requires agent client certificates for a partner, with the version read', async () => {
    const partner = { id: 'p1', name: 'Demo MSP', requireTotp: false, requireMtls: false, version: 4, createdAt: '', updatedAt: '' }
    const { calls } = mockApi({
      ...sessionRoutes(makeMe({}, [...ALL_PERMISSIONS, 'partners:write'])),
      'GET /partners': () => json({ items: [partner], nextCursor: '' }),
      'PATCH /partners/:id': (c) => {
        Object.assign(partner, c.body as object, { version: partner.version + 1 })
        return json(partner)
      },
    })
    const user = userEvent.setup()
    renderApp('/partner-security')
    const box = await screen.findByRole('checkbox', { name: 'Agent client certificates required for Demo MSP' })
    expect((box as HTMLInputElement).checked).toBe(false)
    await user.click(box)
    await waitFor(() => expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ requireMtls: true, version: 4 }))
    await waitFor(() =>
      expect((screen.getByRole('checkbox', { name: 'Agent client certificates required for Demo MSP' }) as HTMLInputElement).checked).toBe(true),
    )
  })

  it('shows the switches read-only without partners:write', async () => {
    mockApi({ ...sessionRoutes() })
    renderApp('/partner-security')
    const box = await screen.findByRole('checkbox', { name: 'Agent client certificates required for Demo MSP' })
    expect((box as HTMLInputElement).disabled).toBe(true)
  })
})
