import { useMemo, useState } from 'react'
import { Link, useParams } from 'react-router'
import type { Plugin, PluginOrgSettings } from '../api/types'
import { canOn, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { useOrgs, useTenant } from '../tenant/tenant'
import { ErrorState, Loading, QueryView } from '../ui/States'
import { dateTime } from '../ui/format'
import { OrgSettingsDialog } from './OrgSettingsDialog'
import { PluginStateBadge } from './PluginStateBadge'
import { UnsignedBadge } from './UnsignedBadge'
import { isUnsigned, kindLabel, sideLabel, usePlugin, usePluginOrgs } from './usePlugins'

export default function PluginPage() {
  const { id = '' } = useParams()
  const plugin = usePlugin(id)
  if (plugin.isPending) return <Loading />
  if (plugin.isError) return <ErrorState error={plugin.error} onRetry={() => void plugin.refetch()} />
  return <PluginDetail p={plugin.data} />
}

function PluginDetail({ p }: { p: Plugin }) {
  const title = p.name || p.id
  return (
    <section className="page" aria-labelledby="plugin-title">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/plugins">Plugins</Link> / <span>{title}</span>
      </nav>
      <header className="page-header">
        <h1 id="plugin-title">{title}</h1>
        <span className="mono muted">{p.version}</span>
        <UnsignedBadge unsigned={isUnsigned(p)} source={p.source} />
        <span className={p.enabled ? 'pill pill-ok' : 'pill'}>{p.enabled ? 'Enabled' : 'Disabled'}</span>
      </header>
      {p.description && <p className="plugin-description">{p.description}</p>}
      {!p.enabled && (
        <p className="notice">
          This plugin is disabled for the whole installation. Organizations can still be configured; nothing runs until a platform
          administrator enables it.
        </p>
      )}
      <dl className="facts">
        <dt>ID</dt>
        <dd className="mono">{p.id}</dd>
        <dt>Kind</dt>
        <dd>{kindLabel(p.kind)}</dd>
        <dt>Runs on</dt>
        <dd>{sideLabel(p.side)}</dd>
        <dt>Signed by</dt>
        <dd>{isUnsigned(p) ? <span className="pill pill-warn">{p.signedBy || 'unsigned'}</span> : <span className="mono">{p.signedBy}</span>}</dd>
        <dt>State</dt>
        <dd>
          <PluginStateBadge plugin={p} full />
        </dd>
        <dt>Installed</dt>
        <dd>{dateTime(p.installedAt)}</dd>
        {p.sha256 && (
          <>
            <dt>SHA-256</dt>
            <dd className="mono">{p.sha256}</dd>
          </>
        )}
      </dl>
      <OrgTable p={p} />
    </section>
  )
}

interface Row {
  orgId: string
  name: string
  entry?: PluginOrgSettings
}

/** The organizations the caller manages plugins for, with this plugin on or off in each. */
function OrgTable({ p }: { p: Plugin }) {
  const me = useMe()
  const { sel } = useTenant()
  const entries = usePluginOrgs(p.id)
  const orgs = useOrgs()
  const [editing, setEditing] = useState<Row | null>(null)
  const rows = useMemo(() => {
    const byId = new Map<string, Row>()
    // Readable organizations a plugins:manage grant covers, then whatever the server lists.
    for (const o of orgs.data ?? [])
      if (canOn(me, P.pluginsManage, { partnerId: o.partnerId, orgId: o.id })) byId.set(o.id, { orgId: o.id, name: o.name })
    for (const e of entries.data ?? []) byId.set(e.orgId, { orgId: e.orgId, name: byId.get(e.orgId)?.name ?? e.orgId, entry: e })
    return [...byId.values()]
      .filter((r) => !sel.orgId || r.orgId === sel.orgId)
      .sort((a, b) => a.name.localeCompare(b.name))
  }, [orgs.data, entries.data, me, sel.orgId])

  return (
    <>
      <h2 className="section-title">Organizations</h2>
      <QueryView
        query={{ ...entries, data: entries.data && rows }}
        isEmpty={(l) => l.length === 0}
        empty={
          <div className="state state-empty">
            <p className="state-title">No organization to configure{sel.orgId ? ' here' : ''}.</p>
            <p className="state-hint">Your plugins:manage grants cover no organization.</p>
          </div>
        }
      >
        {(list) => (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Organization</th>
                <th scope="col">In this organization</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.orgId}>
                  <td>{r.name}</td>
                  <td>
                    <span className={r.entry?.enabled ? 'pill pill-ok' : 'pill'}>{r.entry?.enabled ? 'On' : 'Off'}</span>
                  </td>
                  <td className="actions">
                    <button type="button" className="btn btn-small" aria-label={`Configure for ${r.name}`} onClick={() => setEditing(r)}>
                      Configure…
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryView>
      {editing && (
        <OrgSettingsDialog plugin={p} orgId={editing.orgId} orgName={editing.name} entry={editing.entry} onClose={() => setEditing(null)} />
      )}
    </>
  )
}
