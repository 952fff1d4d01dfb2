import { useState } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import { fetchAll } from '../api/lists'
import type { ApiKey, CreatedApiKey } from '../api/types'
import { useMe } from '../auth/session'
import { can, P } from '../auth/permissions'
import { useTenantNames } from '../tenant/tenant'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { CopyField } from '../ui/CopyField'
import { Dialog } from '../ui/Dialog'
import { QueryView } from '../ui/States'
import { dateTime, relative } from '../ui/format'
import { PermissionPicker } from './PermissionPicker'
import { UnitPicker, emptyUnit, unitBody, unitComplete, type Unit } from './UnitPicker'

const KEY = ['api-keys']

export default function ApiKeysPage() {
  const me = useMe()
  const writable = can(me, P.apiKeysWrite)
  const names = useTenantNames()
  const keys = useQuery({ queryKey: KEY, queryFn: ({ signal }) => fetchAll<ApiKey>('/api-keys', {}, 10000, signal) })
  const qc = useQueryClient()
  const [creating, setCreating] = useState(false)
  const [created, setCreated] = useState<CreatedApiKey | null>(null)
  const [revoking, setRevoking] = useState<ApiKey | null>(null)
  return (
    <section className="page" aria-labelledby="ak-title">
      <header className="page-header">
        <h1 id="ak-title">API keys</h1>
        <div className="page-actions">
          {writable && (
            <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
              New API key
            </button>
          )}
        </div>
      </header>
      <p className="muted">A key acts for its owner, never beyond what the owner holds when it is used.</p>
      <QueryView query={keys} isEmpty={(l) => l.length === 0} empty={<p className="state state-empty">No API keys yet.</p>}>
        {(list) => (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Applies to</th>
                <th scope="col">Permissions</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td className="mono">{k.prefix}…</td>
                  <td>{k.siteId ? names.get(k.siteId) ?? 'a site' : k.orgId ? names.get(k.orgId) ?? 'an organization' : 'the partner'}</td>
                  <td title={k.permissions.join(', ')}>{k.permissions.length}</td>
                  <td>{relative(k.lastUsedAt)}</td>
                  <td>{k.revokedAt ? <span className="pill pill-off">revoked</span> : k.expiresAt ? dateTime(k.expiresAt) : 'never'}</td>
                  <td className="actions">
                    {writable && !k.revokedAt && (
                      <button type="button" className="btn btn-small btn-danger" onClick={() => setRevoking(k)}>
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
      {creating && (
        <CreateApiKeyDialog
          onClose={() => setCreating(false)}
          onCreated={(k) => {
            setCreating(false)
            setCreated(k)
            void qc.invalidateQueries({ queryKey: KEY })
          }}
        />
      )}
      {created && (
        <Dialog
          title="API key created"
          onClose={() => setCreated(null)}
          wide
          footer={
            <button type="button" className="btn btn-primary" onClick={() => setCreated(null)}>
              Done
            </button>
          }
        >
          <p className="notice">This is the only time the key is shown. Store it in your secret manager now.</p>
          <CopyField label="API key" value={created.key} />
          <p className="muted">Send it as <span className="mono">Authorization: Bearer …</span>.</p>
        </Dialog>
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke ${revoking.name}?`}
          confirmLabel="Revoke"
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await api.del(`/api-keys/${encodeURIComponent(revoking.id)}`)
            await qc.invalidateQueries({ queryKey: KEY })
          }}
        >
          <p>Programs using {revoking.prefix}… stop working at once.</p>
        </ConfirmDialog>
      )}
    </section>
  )
}

const EXPIRY = [
  { label: 'Never', days: 0 },
  { label: '30 days', days: 30 },
  { label: '90 days', days: 90 },
  { label: '1 year', days: 365 },
]

function CreateApiKeyDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (k: CreatedApiKey) => void }) {
  const me = useMe()
  const [name, setName] = useState('')
  const [perms, setPerms] = useState<string[]>([])
  const [unit, setUnit] = useState<Unit>(emptyUnit())
  const [days, setDays] = useState(90)
  const create = useMutation({
    mutationFn: () =>
      api.post<CreatedApiKey>('/api-keys', {
        name,
        permissions: perms,
        ...unitBody(unit),
        ...(days ? { expiresAt: new Date(Date.now() + days * 86400_000).toISOString() } : {}),
      }),
    onSuccess: onCreated,
  })
  return (
    <Dialog
      title="New API key"
      onClose={onClose}
      onSubmit={() => create.mutate()}
      wide
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={create.isPending || perms.length === 0 || !unitComplete(unit)}>
            {create.isPending ? 'Creating…' : 'Create'}
          </button>
        </>
      }
    >
      <label className="field">
        <span className="field-label">Name</span>
        <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} autoFocus />
      </label>
      <UnitPicker value={unit} onChange={setUnit} />
      <label className="field">
        <span className="field-label">Expires</span>
        <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
          {EXPIRY.map((x) => (
            <option key={x.days} value={x.days}>
              {x.label}
            </option>
          ))}
        </select>
      </label>
      <PermissionPicker value={perms} onChange={setPerms} allowed={me.permissions} />
      {create.isError && (
        <p className="form-error" role="alert">
          {errorMessage(create.error)}
        </p>
      )}
    </Dialog>
  )
}
