import { describe, expect, it } from 'vitest'
import { fireEvent, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { json, mockApi, sessionRoutes } from '../test/api'
import { renderApp } from '../test/render'
import { installCommandFor, shellQuote } from './installCommand'

const key = {
  id: 'ek-1', partnerId: 'p1', orgId: 'org-1', siteId: 'site-1', name: 'Office rollout', prefix: 'bek_AbCd',
  expiresAt: new Date(Date.now() + 7 * 86400_000).toISOString(), maxUses: 10, uses: 2, usable: true,
  createdAt: '2024-01-02T00:00:00Z',
}

describe('enrollment keys', () => {
  it('creates a key and shows its secret and install command once', async () => {
    const SECRET = 'bek_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'
    const CMD = `curl -fsSL 'http://breeze.test/downloads/breeze-agent-linux-'"$(uname -m)" -o /usr/local/bin/breeze-agent && BREEZE_ENROLLMENT_KEY='${SECRET}' /usr/local/bin/breeze-agent enroll`
    const { calls } = mockApi({
      ...sessionRoutes(),
      'GET /enrollment-keys': () => json({ items: [], nextCursor: '' }),
      'POST /enrollment-keys': (c) => json({ ...key, ...(c.body as object), key: SECRET, installCommand: CMD }, 201),
    })
    const user = userEvent.setup()
    renderApp('/enrollment-keys')
    expect(await screen.findByText(/^No enrollment keys( here)? yet\.$/)).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'New enrollment key' }))
    const dialog = await screen.findByRole('dialog', { name: 'New enrollment key' })
    await waitFor(() => expect(within(dialog).getByLabelText('Organization')).toHaveProperty('value', 'org-1'))
    await user.selectOptions(within(dialog).getByLabelText('Site'), 'site-1')
    await user.type(within(dialog).getByLabelText('Maximum uses (empty: 50, 0: unlimited)'), '10')
    await user.click(within(dialog).getByRole('button', { name: 'Create' }))

    const shown = await screen.findByRole('dialog', { name: 'Enrollment key created' })
    expect(within(shown).getByLabelText('Install command (Linux, as root)')).toHaveProperty('value', CMD)
    expect(within(shown).getByLabelText('Enrollment key')).toHaveProperty('value', SECRET)
    const post = calls.find((c) => c.method === 'POST' && c.path === '/enrollment-keys')!
    expect(post.body).toMatchObject({ orgId: 'org-1', siteId: 'site-1', maxUses: 10 })
    expect(Date.parse((post.body as { expiresAt: string }).expiresAt)).toBeGreaterThan(Date.now() + 6 * 86400_000)

    await user.click(within(shown).getByRole('button', { name: 'Done' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(document.body.innerHTML).not.toContain(SECRET) // shown once, then gone
  })

  it('revokes only after confirmation', async () => {
    const { calls } = mockApi({
      ...sessionRoutes(),
      'GET /enrollment-keys': () => json({ items: [key], nextCursor: '' }),
      'DELETE /enrollment-keys/:id': () => ({ status: 204 }),
    })
    const user = userEvent.setup()
    renderApp('/enrollment-keys')
    const row = (await screen.findByText('Office rollout')).closest('tr')!
    expect(within(row).getByText('2 / 10')).toBeTruthy()
    await user.click(within(row).getByRole('button', { name: 'Revoke…' }))
    // Escape: the browser fires "cancel" on a modal <dialog> (jsdom does not, so fire it)
    fireEvent(await screen.findByRole('dialog'), new Event('cancel', { cancelable: true }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false)

    await user.click(within(row).getByRole('button', { name: 'Revoke…' }))
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Revoke' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'DELETE' && c.path === '/enrollment-keys/ek-1')).toBe(true))
  })

  it('builds a safe command when the server gives none', () => {
    expect(shellQuote(`a'b`)).toBe(`'a'\\''b'`)
    const cmd = installCommandFor(`bek_x'; rm -rf /`, undefined, 'https://rmm.example.com')
    expect(cmd).toBe(
      `BREEZE_ENROLLMENT_KEY='bek_x'\\''; rm -rf /' breeze-agent enroll --server 'https://rmm.example.com' && sudo breeze-agent install`,
    )
    expect(installCommandFor('k', 'server says', 'x')).toBe('server says')
  })
})
