import { useState } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, errorMessage, setSession } from '../api/client'
import { fetchAll } from '../api/lists'
import type { TokenResponse, User } from '../api/types'
import { useMe } from '../auth/session'
import { can, P } from '../auth/permissions'
import { useOrgs, useTenantNames } from '../tenant/tenant'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { Dialog } from '../ui/Dialog'
import { QueryView } from '../ui/States'
import { relative } from '../ui/format'
import { useDebounced } from '../ui/useDebounced'
import { GrantsDialog } from './GrantsDialog'

export default function UsersPage() {
  const me = useMe()
  const writable = can(me, P.usersWrite)
  const [search, setSearch] = useState('')
  const q = useDebounced(search.trim(), 300)
  const users = useQuery({
    queryKey: ['users', 'all', q],
    queryFn: ({ signal }) => fetchAll<User>('/users', { q }, 10000, signal),
  })
  const names = useTenantNames()
  const [dialog, setDialog] = useState<{ kind: 'create' } | { kind: 'edit' | 'delete' | 'grants'; user: User } | null>(null)
  const qc = useQueryClient()

  return (
    <section className="page" aria-labelledby="users-title">
      <header className="page-header">
        <h1 id="users-title">Users</h1>
        <div className="page-actions">
          {writable && (
            <button type="button" className="btn btn-primary" onClick={() => setDialog({ kind: 'create' })}>
              New user
            </button>
          )}
        </div>
      </header>
      <div className="filters" role="search">
        <label className="field-inline">
          <span className="visually-hidden">Search users</span>
          <input type="search" placeholder="Search name or email" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
      </div>
      <QueryView query={users} isEmpty={(l) => l.length === 0} empty={<p className="state state-empty">No users match.</p>}>
        {(list) => (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Staff of</th>
                <th scope="col">Status</th>
                <th scope="col">2FA</th>
                <th scope="col">Last sign-in</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((u) => (
                <tr key={u.id}>
                  <td>{u.name}</td>
                  <td>{u.email}</td>
                  <td>{u.orgId ? (names.get(u.orgId) ?? 'an organization') : 'the partner'}</td>
                  <td>
                    <span className={`pill pill-${u.status === 'active' ? 'ok' : 'off'}`}>{u.status}</span>
                  </td>
                  <td>{u.totpEnabled ? 'on' : 'off'}</td>
                  <td>{relative(u.lastLoginAt)}</td>
                  <td className="actions">
                    <button type="button" className="btn btn-small" onClick={() => setDialog({ kind: 'grants', user: u })}>
                      Roles…
                    </button>
                    {writable && (
                      <>
                        <button type="button" className="btn btn-small" onClick={() => setDialog({ kind: 'edit', user: u })}>
                          Edit…
                        </button>
                        {u.id !== me.user.id && (
                          <button
                            type="button"
                            className="btn btn-small btn-danger"
                            onClick={() => setDialog({ kind: 'delete', user: u })}
                          >
                            Delete…
                          </button>
                        )}
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryView>
      {dialog?.kind === 'create' && <UserDialog onClose={() => setDialog(null)} />}
      {dialog?.kind === 'edit' && <UserDialog user={dialog.user} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'grants' && <GrantsDialog user={dialog.user} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title={`Delete ${dialog.user.email}?`}
          confirmLabel="Delete user"
          danger
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api.del(`/users/${encodeURIComponent(dialog.user.id)}`)
            await qc.invalidateQueries({ queryKey: ['users'] })
          }}
        >
          <p>Their role grants and sessions end now. This cannot be undone; disabling the user instead keeps the account.</p>
        </ConfirmDialog>
      )}
    </section>
  )
}

function UserDialog({ user, onClose }: { user?: User; onClose: () => void }) {
  const qc = useQueryClient()
  const orgs = useOrgs()
  const me = useMe()
  // One's own password changes only with the current one (POST /auth/password),
  // which ends one's other sessions and hands back a fresh one.
  const self = !!user && user.id === me.user.id
  const [name, setName] = useState(user?.name ?? '')
  const [email, setEmail] = useState(user?.email ?? '')
  const [password, setPassword] = useState('')
  const [currentPassword, setCurrentPassword] = useState('')
  const [orgId, setOrgId] = useState(user?.orgId ?? '')
  const [active, setActive] = useState(user ? user.status === 'active' : true)
  const save = useMutation({
    mutationFn: async () => {
      if (!user) return api.post<User>('/users', { name, email, password, ...(orgId ? { orgId } : {}) })
      let version = user.version
      if (self && password) {
        const t = await api.post<TokenResponse>('/auth/password', { currentPassword, newPassword: password })
        setSession(t.accessToken, t.expiresIn)
        version += 1
      }
      const patch = {
        ...(name !== user.name ? { name } : {}),
        ...(email !== user.email ? { email } : {}),
        ...(active !== (user.status === 'active') ? { status: active ? 'active' : 'disabled' } : {}),
        ...(password && !self ? { password } : {}),
      }
      if (Object.keys(patch).length === 0 && self && password) return user
      return api.patch<User>(`/users/${encodeURIComponent(user.id)}`, { version, ...patch })
    },
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['users'] })
      onClose()
    },
  })
  return (
    <Dialog
      title={user ? `Edit ${user.email}` : 'New user'}
      onClose={onClose}
      onSubmit={() => save.mutate()}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : user ? 'Save' : 'Create'}
          </button>
        </>
      }
    >
      <label className="field">
        <span className="field-label">Name</span>
        <input required value={name} maxLength={200} onChange={(e) => setName(e.target.value)} autoFocus />
      </label>
      <label className="field">
        <span className="field-label">Email</span>
        <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" />
      </label>
      <label className="field">
        <span className="field-label">{user ? 'New password (empty: unchanged)' : 'Password'}</span>
        <input
          type="password"
          required={!user}
          minLength={12}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete="new-password"
        />
        <span className="hint">
          At least 12 characters.
          {self ? ' Your other sessions end; API keys stay.' : user ? ' Setting one ends the user’s sessions.' : ''}
        </span>
      </label>
      {self && password && (
        <label className="field">
          <span className="field-label">Current password</span>
          <input
            type="password"
            required
            value={currentPassword}
            onChange={(e) => setCurrentPassword(e.target.value)}
            autoComplete="current-password"
          />
        </label>
      )}
      {!user && (
        <label className="field">
          <span className="field-label">Staff of</span>
          <select value={orgId} onChange={(e) => setOrgId(e.target.value)}>
            <option value="">The partner (MSP staff)</option>
            {orgs.data?.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name} (customer staff)
              </option>
            ))}
          </select>
        </label>
      )}
      {user && (
        <label className="check">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} />
          Active (unticking disables the account and ends its sessions)
        </label>
      )}
      {!user && <p className="hint">A new user holds no role until you grant one (Roles… in the list).</p>}
      {save.isError && (
        <p className="form-error" role="alert">
          {errorMessage(save.error)}
        </p>
      )}
    </Dialog>
  )
}
