import { useState } from 'react'
import { Link, useSearchParams } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import type { Plugin } from '../api/types'
import { canGlobally, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { QueryView } from '../ui/States'
import { TabPanel, Tabs } from '../ui/Tabs'
import { BrowseTab } from './BrowseTab'
import { InstallDialog } from './InstallDialog'
import { PluginStateBadge } from './PluginStateBadge'
import { DevModeBanner, UnsignedBadge } from './UnsignedBadge'
import { isUnsigned, kindLabel, pluginKeys, removePlugin, setGlobalEnabled, sideLabel, usePlugins } from './usePlugins'

export default function PluginsPage() {
  const me = useMe()
  const admin = canGlobally(me, P.pluginsManage)
  const plugins = usePlugins()
  const qc = useQueryClient()
  const [installing, setInstalling] = useState(false)
  const [notice, setNotice] = useState('')
  const [toggling, setToggling] = useState<Plugin | null>(null)
  const [removing, setRemoving] = useState<Plugin | null>(null)
  const refresh = () => qc.invalidateQueries({ queryKey: pluginKeys.all })
  const [params, setParams] = useSearchParams()
  // Browsing catalogs installs code on the server: platform administrators only.
  const tab: 'installed' | 'browse' = admin && params.get('tab') === 'browse' ? 'browse' : 'installed'

  return (
    <section className="page" aria-labelledby="plugins-title">
      <header className="page-header">
        <h1 id="plugins-title">Plugins</h1>
        <div className="page-actions">
          {admin && (
            <button type="button" className="btn btn-primary" onClick={() => setInstalling(true)}>
              Install plugin…
            </button>
          )}
        </div>
      </header>
      <p className="muted">
        Alert channels, discovery scanners, script runtimes and agent collectors. Each runs as its own process; organizations turn them on
        and configure them on the plugin's page.
        {!admin && ' Installing, removing and switching plugins on or off for the whole installation is for platform administrators.'}
      </p>
      <DevModeBanner plugins={plugins.data} />
      {admin && (
        <Tabs
          label="Plugins"
          tabs={[
            { id: 'installed', label: 'Installed' },
            { id: 'browse', label: 'Browse' },
          ]}
          value={tab}
          onChange={(t) =>
            setParams(
              (p) => {
                const n = new URLSearchParams(p)
                if (t === 'installed') n.delete('tab')
                else n.set('tab', t)
                return n
              },
              { replace: true },
            )
          }
        />
      )}
      {tab === 'browse' ? (
        <TabPanel id="browse">
          <BrowseTab />
        </TabPanel>
      ) : (
        <TabPanel id="installed">
          <div role="status" aria-live="polite" className="status-line">
            {notice}
          </div>
          <QueryView
            query={plugins}
            isEmpty={(l) => l.length === 0}
            empty={
              <div className="state state-empty">
                <p className="state-title">No plugins installed.</p>
                <p className="state-hint">
                  {admin ? 'Install a signed archive built with breeze plugin pack.' : 'A platform administrator installs them.'}
                </p>
              </div>
            }
          >
            {(list) => (
              <div className="plugins-scroll">
                <table className="table plugins-table">
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">ID</th>
                      <th scope="col">Version</th>
                      <th scope="col">Kind</th>
                      <th scope="col">Runs on</th>
                      <th scope="col">Signed by</th>
                      <th scope="col">State</th>
                      <th scope="col">Enabled</th>
                      {admin && (
                        <th scope="col">
                          <span className="visually-hidden">Actions</span>
                        </th>
                      )}
                    </tr>
                  </thead>
                  <tbody>
                    {[...list]
                      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
                      .map((p) => (
                        <tr key={p.id}>
                          <td className="nowrap">
                            <Link to={`/plugins/${encodeURIComponent(p.id)}`}>{p.name || p.id}</Link>{' '}
                            <UnsignedBadge unsigned={isUnsigned(p)} source={p.source} />
                          </td>
                          <td className="mono">{p.id}</td>
                          <td className="mono">{p.version}</td>
                          <td>{kindLabel(p.kind)}</td>
                          <td>{sideLabel(p.side)}</td>
                          <td>{isUnsigned(p) ? <span className="pill pill-warn">{p.signedBy || 'unsigned'}</span> : <span className="mono">{p.signedBy}</span>}</td>
                          <td>
                            <PluginStateBadge plugin={p} />
                          </td>
                          <td>
                            {admin ? (
                              <button
                                type="button"
                                role="switch"
                                aria-checked={p.enabled}
                                aria-label={`Enabled: ${p.name || p.id}`}
                                className={p.enabled ? 'switch switch-on' : 'switch'}
                                onClick={() => setToggling(p)}
                              >
                                <span className="switch-track" aria-hidden="true">
                                  <span className="switch-thumb" />
                                </span>
                                <span>{p.enabled ? 'On' : 'Off'}</span>
                              </button>
                            ) : (
                              <span className={p.enabled ? 'pill pill-ok' : 'pill'}>{p.enabled ? 'On' : 'Off'}</span>
                            )}
                          </td>
                          {admin && (
                            <td className="actions">
                              <button type="button" className="btn btn-small btn-danger" onClick={() => setRemoving(p)}>
                                Remove…
                              </button>
                            </td>
                          )}
                        </tr>
                      ))}
                  </tbody>
                </table>
              </div>
            )}
          </QueryView>
        </TabPanel>
      )}
      {installing && (
        <InstallDialog
          onClose={() => setInstalling(false)}
          onInstalled={(p) => {
            setInstalling(false)
            setNotice(`Installed ${p.name || p.id} ${p.version}. It is ${p.enabled ? 'enabled' : 'disabled'}.`)
            void refresh()
          }}
        />
      )}
      {toggling && (
        <ConfirmDialog
          title={toggling.enabled ? `Disable ${toggling.name || toggling.id}?` : `Enable ${toggling.name || toggling.id}?`}
          confirmLabel={toggling.enabled ? 'Disable' : 'Enable'}
          danger={toggling.enabled}
          onClose={() => setToggling(null)}
          onConfirm={async () => {
            const p = await setGlobalEnabled(toggling.id, !toggling.enabled)
            setNotice(`${p?.name || toggling.name || toggling.id} is now ${(p?.enabled ?? !toggling.enabled) ? 'enabled' : 'disabled'}.`)
            await refresh()
          }}
        >
          {toggling.enabled ? (
            <p>
              For every organization: {toggling.side === 'server' ? 'its process stops' : 'agents stop being offered it'}, and what relies on it
              stops working until it is enabled again. Organization settings are kept.
            </p>
          ) : (
            <p>
              {toggling.side === 'server'
                ? 'Its process starts on the server'
                : 'Agents of organizations that turn it on download and run it'}
              . Signed by <span className="mono">{toggling.signedBy || 'nobody'}</span>.
            </p>
          )}
        </ConfirmDialog>
      )}
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.name || removing.id}?`}
          confirmLabel="Remove"
          danger
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await removePlugin(removing.id)
            setNotice(`Removed ${removing.name || removing.id}.`)
            await refresh()
          }}
        >
          <p>
            Its executable is deleted from the server{removing.side === 'agent' ? ' and agents stop running it' : ''}, and every organization's
            settings for it are lost. Installing it again starts from scratch.
          </p>
        </ConfirmDialog>
      )}
    </section>
  )
}
