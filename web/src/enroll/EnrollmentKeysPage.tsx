import { useEffect, useMemo, useState } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import { fetchAll } from '../api/lists'
import type { CreatedEnrollmentKey, EnrollmentKey } from '../api/types'
import { useGroups, useOrgs, useSites, useTenant, useTenantNames } from '../tenant/tenant'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { CopyField } from '../ui/CopyField'
import { Dialog } from '../ui/Dialog'
import { QueryView } from '../ui/States'
import { dateTime, relative } from '../ui/format'
import { installCommandFor } from './installCommand'

const KEY = ['enrollment-keys']

function keyState(k: EnrollmentKey): string {
  if (k.revokedAt) return 'Revoked'
  if (k.usable) return 'Usable'
  if (k.maxUses > 0 && k.uses >= k.maxUses) return 'Used up'
  return 'Expired'
}

export default function EnrollmentKeysPage() {
  const { sel } = useTenant()
  const names = useTenantNames()
  const keys = useQuery({ queryKey: KEY, queryFn: ({ signal }) => fetchAll<EnrollmentKey>('/enrollment-keys', {}, 10000, signal) })
  const [creating, setCreating] = useState(false)
  const [created, setCreated] = useState<CreatedEnrollmentKey | null>(null)
  const [revoking, setRevoking] = useState<EnrollmentKey | null>(null)
  const qc = useQueryClient()

  // The tenant switcher narrows the list.
  const shown = useMemo(
    () =>
      (keys.data ?? [])
        .filter((k) => (!sel.orgId || k.orgId === sel.orgId) && (!sel.siteId || k.siteId === sel.siteId))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
    [keys.data, sel.orgId, sel.siteId],
  )

  return (
    <section className="page" aria-labelledby="ek-title">
      <header className="page-header">
        <h1 id="ek-title">Enrollment keys</h1>
        <div className="page-actions">
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
            New enrollment key
          </button>
        </div>
      </header>
      <p className="muted">An agent trades a key for its own identity once; keys expire, can be limited in uses, and can be revoked.</p>
      <QueryView
        query={{ ...keys, data: keys.data && shown }}
        isEmpty={(l) => l.length === 0}
        empty={
          <div className="state state-empty">
            <p className="state-title">No enrollment keys{sel.orgId ? ' here' : ''} yet.</p>
            <p className="state-hint">Create one to add devices.</p>
          </div>
        }
      >
        {(list) => (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Site</th>
                <th scope="col">Group</th>
                <th scope="col">Key</th>
                <th scope="col">Uses</th>
                <th scope="col">Expires</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td>
                    {names.get(k.orgId) ?? '—'} / {names.get(k.siteId) ?? '—'}
                  </td>
                  <td>{k.deviceGroupId ? (names.get(k.deviceGroupId) ?? '—') : '—'}</td>
                  <td className="mono">{k.prefix}…</td>
                  <td>
                    {k.uses} / {k.maxUses > 0 ? k.maxUses : '∞'}
                  </td>
                  <td title={dateTime(k.expiresAt)}>{relative(k.expiresAt)}</td>
                  <td>
                    <span className={`pill pill-${keyState(k) === 'Usable' ? 'ok' : 'off'}`}>{keyState(k)}</span>
                  </td>
                  <td className="actions">
                    {!k.revokedAt && (
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
        <CreateKeyDialog
          onClose={() => setCreating(false)}
          onCreated={(k) => {
            setCreating(false)
            setCreated(k)
            void qc.invalidateQueries({ queryKey: KEY })
          }}
        />
      )}
      {created && <CreatedKeyDialog k={created} onClose={() => setCreated(null)} />}
      {revoking && (
        <ConfirmDialog
          title="Revoke this enrollment key?"
          confirmLabel="Revoke"
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await api.del(`/enrollment-keys/${encodeURIComponent(revoking.id)}`)
            await qc.invalidateQueries({ queryKey: KEY })
          }}
        >
          <p>
            No new device can enroll with <strong>{revoking.name}</strong> ({revoking.prefix}…). Devices that already
            enrolled with it stay.
          </p>
        </ConfirmDialog>
      )}
    </section>
  )
}

const EXPIRY = [
  { label: '1 day', days: 1 },
  { label: '7 days', days: 7 },
  { label: '30 days', days: 30 },
  { label: '90 days', days: 90 },
  { label: '1 year', days: 365 },
]

function CreateKeyDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (k: CreatedEnrollmentKey) => void }) {
  const { sel } = useTenant()
  const [orgId, setOrgId] = useState(sel.orgId ?? '')
  const [siteId, setSiteId] = useState(sel.siteId ?? '')
  const [groupId, setGroupId] = useState(sel.groupId ?? '')
  const [name, setName] = useState('')
  const [days, setDays] = useState(7)
  const [maxUses, setMaxUses] = useState('')
  const orgs = useOrgs(sel.partnerId)
  // With a single organization there is nothing to choose.
  const onlyOrg = orgs.data?.length === 1 ? orgs.data[0]!.id : ''
  useEffect(() => {
    if (onlyOrg && !orgId) setOrgId(onlyOrg)
  }, [onlyOrg, orgId])
  const sites = useSites(orgId || undefined)
  const groups = useGroups(orgId || undefined)
  const eligibleGroups = (groups.data ?? []).filter((g) => !g.siteId || g.siteId === siteId)
  const create = useMutation({
    mutationFn: () =>
      api.post<CreatedEnrollmentKey>('/enrollment-keys', {
        orgId,
        siteId,
        ...(groupId ? { deviceGroupId: groupId } : {}),
        ...(name.trim() ? { name: name.trim() } : {}),
        expiresAt: new Date(Date.now() + days * 86400_000).toISOString(),
        ...(maxUses ? { maxUses: Number(maxUses) } : {}),
      }),
    onSuccess: onCreated,
  })
  return (
    <Dialog
      title="New enrollment key"
      onClose={onClose}
      onSubmit={() => create.mutate()}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={create.isPending || !siteId}>
            {create.isPending ? 'Creating…' : 'Create'}
          </button>
        </>
      }
    >
      <label className="field">
        <span className="field-label">Organization</span>
        <select
          required
          value={orgId}
          onChange={(e) => {
            setOrgId(e.target.value)
            setSiteId('')
            setGroupId('')
          }}
        >
          <option value="">Choose…</option>
          {orgs.data?.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field-label">Site</span>
        <select
          required
          value={siteId}
          disabled={!orgId}
          onChange={(e) => {
            setSiteId(e.target.value)
            setGroupId('')
          }}
        >
          <option value="">Choose…</option>
          {sites.data?.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field-label">Device group (optional)</span>
        <select value={groupId} disabled={!siteId} onChange={(e) => setGroupId(e.target.value)}>
          <option value="">None</option>
          {eligibleGroups.map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field-label">Name (optional)</span>
        <input value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
      </label>
      <div className="field-row">
        <label className="field">
          <span className="field-label">Expires after</span>
          <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {EXPIRY.map((x) => (
              <option key={x.days} value={x.days}>
                {x.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Maximum uses (empty: 50, 0: unlimited)</span>
          <input type="number" min={0} max={100000} value={maxUses} onChange={(e) => setMaxUses(e.target.value)} />
        </label>
      </div>
      {create.isError && (
        <p className="form-error" role="alert">
          {errorMessage(create.error)}
        </p>
      )}
    </Dialog>
  )
}

function CreatedKeyDialog({ k, onClose }: { k: CreatedEnrollmentKey; onClose: () => void }) {
  const command = installCommandFor(k.key, k.installCommand, window.location.origin)
  return (
    <Dialog
      title="Enrollment key created"
      onClose={onClose}
      wide
      footer={
        <button type="button" className="btn btn-primary" onClick={onClose}>
          Done
        </button>
      }
    >
      <p className="notice">
        This is the only time the key is shown. Copy it now; afterwards only its prefix <span className="mono">{k.prefix}</span>{' '}
        is visible.
      </p>
      <CopyField label="Install command (Linux, as root)" value={command} multiline />
      <CopyField label="Enrollment key" value={k.key} />
      <p className="muted">
        Valid until {dateTime(k.expiresAt)}
        {k.maxUses > 0 ? `, for ${k.maxUses} device${k.maxUses === 1 ? '' : 's'}` : ''}.
      </p>
    </Dialog>
  )
}
