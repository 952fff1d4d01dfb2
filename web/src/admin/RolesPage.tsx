import { useState } from 'react'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import type { Role } from '../api/types'
import { useMe } from '../auth/session'
import { can, P } from '../auth/permissions'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { Dialog } from '../ui/Dialog'
import { QueryView } from '../ui/States'
import { PermissionPicker } from './PermissionPicker'
import { useRoles } from './GrantsDialog'

export default function RolesPage() {
  const me = useMe()
  const writable = can(me, P.rolesWrite)
  const roles = useRoles()
  const qc = useQueryClient()
  const [dialog, setDialog] = useState<{ kind: 'create' } | { kind: 'edit' | 'delete'; role: Role } | null>(null)
  return (
    <section className="page" aria-labelledby="roles-title">
      <header className="page-header">
        <h1 id="roles-title">Roles</h1>
        <div className="page-actions">
          {writable && (
            <button type="button" className="btn btn-primary" onClick={() => setDialog({ kind: 'create' })}>
              New custom role
            </button>
          )}
        </div>
      </header>
      <p className="muted">A role is a set of permissions; grant it to a user at a partner, an organization or a site (Users → Roles…).</p>
      <QueryView query={roles} isEmpty={(l) => l.length === 0}>
        {(list) => (
          <ul className="role-list">
            {list.map((r) => (
              <li key={r.id} className="role-card">
                <details>
                  <summary>
                    <span className="role-name">{r.name}</span>
                    <span className={`pill ${r.builtIn ? 'pill-off' : 'pill-ok'}`}>{r.builtIn ? 'built in' : 'custom'}</span>
                    <span className="muted">{r.permissions.length} permissions</span>
                  </summary>
                  {r.description && <p>{r.description}</p>}
                  <ul className="perm-tags">
                    {r.permissions.map((p) => (
                      <li key={p} className="mono">
                        {p}
                      </li>
                    ))}
                  </ul>
                  {writable && !r.builtIn && (
                    <div className="actions">
                      <button type="button" className="btn btn-small" onClick={() => setDialog({ kind: 'edit', role: r })}>
                        Edit…
                      </button>
                      <button type="button" className="btn btn-small btn-danger" onClick={() => setDialog({ kind: 'delete', role: r })}>
                        Delete…
                      </button>
                    </div>
                  )}
                </details>
              </li>
            ))}
          </ul>
        )}
      </QueryView>
      {dialog?.kind === 'create' && <RoleDialog onClose={() => setDialog(null)} />}
      {dialog?.kind === 'edit' && <RoleDialog role={dialog.role} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title={`Delete the role ${dialog.role.name}?`}
          confirmLabel="Delete role"
          danger
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api.del(`/roles/${encodeURIComponent(dialog.role.id)}`)
            await qc.invalidateQueries({ queryKey: ['roles'] })
          }}
        >
          <p>Only a role no one holds can be deleted; revoke its grants first.</p>
        </ConfirmDialog>
      )}
    </section>
  )
}

function RoleDialog({ role, onClose }: { role?: Role; onClose: () => void }) {
  const me = useMe()
  const qc = useQueryClient()
  const [name, setName] = useState(role?.name ?? '')
  const [description, setDescription] = useState(role?.description ?? '')
  const [perms, setPerms] = useState<string[]>(role?.permissions ?? [])
  const save = useMutation({
    mutationFn: () =>
      role
        ? api.patch<Role>(`/roles/${encodeURIComponent(role.id)}`, { name, description, permissions: perms, version: role.version })
        : api.post<Role>('/roles', { name, description, permissions: perms }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['roles'] })
      onClose()
    },
  })
  return (
    <Dialog
      title={role ? `Edit ${role.name}` : 'New custom role'}
      onClose={onClose}
      onSubmit={() => save.mutate()}
      wide
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={save.isPending || perms.length === 0}>
            {save.isPending ? 'Saving…' : 'Save'}
          </button>
        </>
      }
    >
      <label className="field">
        <span className="field-label">Name</span>
        <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} autoFocus />
      </label>
      <label className="field">
        <span className="field-label">Description</span>
        <input maxLength={500} value={description} onChange={(e) => setDescription(e.target.value)} />
      </label>
      <PermissionPicker value={perms} onChange={setPerms} allowed={me.permissions} />
      <p className="hint">Only permissions you hold over your whole partner can go into a role.</p>
      {save.isError && (
        <p className="form-error" role="alert">
          {errorMessage(save.error)}
        </p>
      )}
    </Dialog>
  )
}
