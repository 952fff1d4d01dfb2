import { describe, expect, it } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { json, makeMe, mockApi, sessionRoutes } from '../test/api'
import { renderApp } from '../test/render'

const bob = {
  id: 'u-bob', partnerId: 'p1', email: 'bob@example.com', name: 'Bob', status: 'active', totpEnabled: false,
  version: 3, createdAt: '', updatedAt: '',
}
const roles = [
  { id: 'r-viewer', name: 'Org Viewer', description: '', permissions: ['devices:read'], builtIn: true, version: 1, createdAt: '', updatedAt: '' },
]
const perms = { items: ['devices:read', 'devices:write', 'audit:read'].map((n) => ({ name: n, resource: n.split(':')[0], action: n.split(':')[1] })), nextCursor: '' }

describe('users, roles and grants', () => {
  it('creates a user, grants a role at an organization and revokes it after confirmation', async () => {
    const grants: { id: string; userId: string; roleId: string; level: string; orgId?: string; createdAt: string }[] = []
    const { calls } = mockApi({
      ...sessionRoutes(),
      'GET /users': () => json({ items: [bob], nextCursor: '' }),
      'POST /users': (c) => json({ ...bob, ...(c.body as object), id: 'u-new' }, 201),
      'GET /roles': () => json({ items: roles, nextCursor: '' }),
      'GET /role-assignments': () => json({ items: grants, nextCursor: '' }),
      'POST /role-assignments': (c) => {
        const b = c.body as { userId: string; roleId: string; orgId: string }
        grants.push({ id: 'ra-1', userId: b.userId, roleId: b.roleId, level: 'org', orgId: b.orgId, createdAt: '' })
        return json(grants[0], 201)
      },
      'DELETE /role-assignments/:id': () => {
        grants.pop()
        return { status: 204 }
      },
    })
    const user = userEvent.setup()
    renderApp('/users')
    await user.click(await screen.findByRole('button', { name: 'New user' }))
    const create = await screen.findByRole('dialog', { name: 'New user' })
    await user.type(within(create).getByLabelText('Name'), 'Carol')
    await user.type(within(create).getByLabelText('Email'), 'carol@example.com')
    await user.type(within(create).getByLabelText(/^Password/), 'a long enough password')
    await user.click(within(create).getByRole('button', { name: 'Create' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.path === '/users')).toBe(true))
    expect(calls.find((c) => c.method === 'POST' && c.path === '/users')!.body).toEqual({
      name: 'Carol', email: 'carol@example.com', password: 'a long enough password',
    })

    const row = (await screen.findByText('bob@example.com')).closest('tr')!
    await user.click(within(row).getByRole('button', { name: 'Roles…' }))
    const dialog = await screen.findByRole('dialog', { name: 'Roles of Bob' })
    expect(await within(dialog).findByText('No roles granted yet.')).toBeTruthy()
    await waitFor(() => expect(within(dialog).getByRole('option', { name: 'Org Viewer' })).toBeTruthy())
    await user.selectOptions(within(dialog).getByLabelText('Role'), 'r-viewer')
    await user.selectOptions(within(dialog).getByLabelText('Level'), 'org')
    await waitFor(() => expect(within(dialog).getByRole('option', { name: 'Demo Customer' })).toBeTruthy())
    await user.selectOptions(within(dialog).getByLabelText('Organization'), 'org-1')
    await user.click(within(dialog).getByRole('button', { name: 'Grant' }))
    await waitFor(() =>
      expect(calls.find((c) => c.method === 'POST' && c.path === '/role-assignments')?.body).toEqual({
        userId: 'u-bob', roleId: 'r-viewer', orgId: 'org-1',
      }),
    )
    expect(await within(dialog).findByText('organization Demo Customer')).toBeTruthy()

    await user.click(within(dialog).getByRole('button', { name: 'Revoke…' }))
    const confirm = await screen.findByRole('dialog', { name: 'Revoke this role?' })
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false)
    await user.click(within(confirm).getByRole('button', { name: 'Revoke' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'DELETE' && c.path === '/role-assignments/ra-1')).toBe(true))
  })

  it('edits a user with the version it read, sending only what changed', async () => {
    const { calls } = mockApi({
      ...sessionRoutes(),
      'GET /users': () => json({ items: [bob], nextCursor: '' }),
      'PATCH /users/:id': () => json(bob),
    })
    const user = userEvent.setup()
    renderApp('/users')
    const row = (await screen.findByText('bob@example.com')).closest('tr')!
    await user.click(within(row).getByRole('button', { name: 'Edit…' }))
    const dialog = await screen.findByRole('dialog')
    await user.click(within(dialog).getByRole('checkbox', { name: /Active/ }))
    await user.click(within(dialog).getByRole('button', { name: 'Save' }))
    await waitFor(() => expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ version: 3, status: 'disabled' }))
  })

  it('changes one’s own password only with the current one, through /auth/password', async () => {
    const me = makeMe()
    const self = { ...bob, id: me.user.id, email: me.user.email, name: me.user.name }
    const { calls } = mockApi({
      ...sessionRoutes(me),
      'GET /users': () => json({ items: [self], nextCursor: '' }),
      'POST /auth/password': () => json({ accessToken: 'tok-2', refreshToken: 'r2', tokenType: 'Bearer', expiresIn: 900 }),
      'PATCH /users/:id': () => json(self),
    })
    const user = userEvent.setup()
    renderApp('/users')
    const row = (await screen.findByText(me.user.email)).closest('tr')!
    await user.click(within(row).getByRole('button', { name: 'Edit…' }))
    const dialog = await screen.findByRole('dialog')
    expect(within(dialog).queryByLabelText('Current password')).toBeNull()
    await user.type(within(dialog).getByLabelText(/^New password/), 'a brand new passphrase')
    await user.type(within(dialog).getByLabelText('Current password'), 'the old passphrase')
    await user.click(within(dialog).getByRole('button', { name: 'Save' }))
    await waitFor(() =>
      expect(calls.find((c) => c.method === 'POST' && c.path === '/auth/password')?.body).toEqual({
        currentPassword: 'the old passphrase', newPassword: 'a brand new passphrase',
      }),
    )
    // Nothing else changed: no PATCH, and never a password in one.
    expect(calls.some((c) => c.method === 'PATCH')).toBe(false)
  })

  it('sets another user’s password without asking for a current one', async () => {
    const { calls } = mockApi({
      ...sessionRoutes(),
      'GET /users': () => json({ items: [bob], nextCursor: '' }),
      'PATCH /users/:id': () => json(bob),
    })
    const user = userEvent.setup()
    renderApp('/users')
    const row = (await screen.findByText('bob@example.com')).closest('tr')!
    await user.click(within(row).getByRole('button', { name: 'Edit…' }))
    const dialog = await screen.findByRole('dialog')
    await user.type(within(dialog).getByLabelText(/^New password/), 'reset by the admin')
    expect(within(dialog).queryByLabelText('Current password')).toBeNull()
    await user.click(within(dialog).getByRole('button', { name: 'Save' }))
    await waitFor(() => expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ version: 3, password: 'reset by the admin' }))
    expect(calls.some((c) => c.path === '/auth/password')).toBe(false)
  })

  it('mints an API key from the caller’s own permissions and shows it once', async () => {
    const { calls } = mockApi({
      ...sessionRoutes(),
      'GET /api-keys': () => json({ items: [], nextCursor: '' }),
      'GET /permissions': () => json(perms),
      'POST /api-keys': (c) => json({ id: 'k1', userId: 'u', partnerId: 'p1', name: 'ci', prefix: 'bzk_1234', permissions: (c.body as { permissions: string[] }).permissions, createdAt: '', key: 'bzk_1234_SECRET' }, 201),
    })
    const user = userEvent.setup()
    renderApp('/api-keys')
    await user.click(await screen.findByRole('button', { name: 'New API key' }))
    const dialog = await screen.findByRole('dialog', { name: 'New API key' })
    await user.type(within(dialog).getByLabelText('Name'), 'ci')
    const reads = await within(dialog).findAllByRole('checkbox', { name: 'read' })
    expect(reads.length).toBe(2) // devices:read and audit:read, which the caller holds
    await user.click(reads[0]!)
    await user.click(within(dialog).getByRole('button', { name: 'Create' }))
    const shown = await screen.findByRole('dialog', { name: 'API key created' })
    expect(within(shown).getByLabelText('API key')).toHaveProperty('value', 'bzk_1234_SECRET')
    const body = calls.find((c) => c.method === 'POST' && c.path === '/api-keys')!.body as { permissions: string[]; expiresAt: string }
    expect(body.permissions.length).toBe(1)
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now() + 89 * 86400_000)
  })
})
