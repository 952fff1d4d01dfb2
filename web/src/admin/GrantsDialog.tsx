import { useState } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import { fetchAll } from '../api/lists'
import type { Role, RoleAssignment, User } from '../api/types'
import { useMe } from '../auth/session'
import { can, P } from '../auth/permissions'
import { usePartners, useTenantNames } from '../tenant/tenant'
import { Dialog } from '../ui/Dialog'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { QueryView } from '../ui/States'
import { UnitPicker, emptyUnit, unitBody, unitComplete, type Unit } from './UnitPicker'

export function useRoles(enabled = true) {
  return useQuery({ queryKey: ['roles', 'all'], queryFn: ({ signal }) => fetchAll<Role>('/roles', {}, 5000, signal), enabled })
}

/** A user's role grants: list, grant and revoke. */
export function GrantsDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const me = useMe()
  const qc = useQueryClient()
  const names = useTenantNames()
  const partners = usePartners()
  const roles = useRoles(can(me, P.rolesRead))
  const key = ['role-assignments', user.id]
  const grants = useQuery({
    queryKey: key,
    queryFn: ({ signal }) => fetchAll<RoleAssignment>('/role-assignments', { userId: user.id }, 5000, signal),
  })
  const [unit, setUnit] = useState<Unit>(emptyUnit())
  const [roleId, setRoleId] = useState('')
  const [revoking, setRevoking] = useState<RoleAssignment | null>(null)
  const writable = can(me, P.usersWrite) // role assignments are users:write
  const roleName = (id: string) => roles.data?.find((r) => r.id === id)?.name ?? id
  const partnerName = (id?: string) => partners.data?.find((p) => p.id === id)?.name ?? 'the partner'
  const where = (a: RoleAssignment) =>
    a.level === 'site'
      ? `site ${names.get(a.siteId ?? '') ?? a.siteId}`
      : a.level === 'org'
        ? `organization ${names.get(a.orgId ?? '') ?? a.orgId}`
        : a.level === 'partner'
          ? partnerName(a.partnerId)
          : 'the whole platform'
  const grant = useMutation({
    mutationFn: () => api.post<RoleAssignment>('/role-assignments', { userId: user.id, roleId, ...unitBody(unit) }),
    onSuccess: async () => {
      setRoleId('')
      await qc.invalidateQueries({ queryKey: key })
    },
  })
  return (
    <Dialog title={`Roles of ${user.name || user.email}`} onClose={onClose} wide>
      <QueryView query={grants} isEmpty={(l) => l.length === 0} empty={<p className="state state-empty">No roles granted yet.</p>}>
        {(list) => (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Role</th>
                <th scope="col">Where</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((a) => (
                <tr key={a.id}>
                  <td>{roleName(a.roleId)}</td>
                  <td>{where(a)}</td>
                  <td className="actions">
                    {writable && (
                      <button type="button" className="btn btn-small btn-danger" onClick={() => setRevoking(a)}>
                        Revoke…
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryView>
      {writable && (
        <form
          className="grant-form"
          onSubmit={(e) => {
            e.preventDefault()
            grant.mutate()
          }}
        >
          <h3>Grant a role</h3>
          <label className="field">
            <span className="field-label">Role</span>
            <select required value={roleId} onChange={(e) => setRoleId(e.target.value)}>
              <option value="">Choose…</option>
              {roles.data?.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
            </select>
          </label>
          <UnitPicker value={unit} onChange={setUnit} />
          {grant.isError && (
            <p className="form-error" role="alert">
              {errorMessage(grant.error)}
            </p>
          )}
          <button type="submit" className="btn btn-primary" disabled={!roleId || !unitComplete(unit) || grant.isPending}>
            Grant
          </button>
          <p className="hint">You can only grant roles whose permissions you hold yourself at that place.</p>
        </form>
      )}
      {revoking && (
        <ConfirmDialog
          title="Revoke this role?"
          confirmLabel="Revoke"
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await api.del(`/role-assignments/${encodeURIComponent(revoking.id)}`)
            await qc.invalidateQueries({ queryKey: key })
          }}
        >
          <p>
            {user.email} loses {roleName(revoking.roleId)} at {where(revoking)}.
          </p>
        </ConfirmDialog>
      )}
    </Dialog>
  )
}
