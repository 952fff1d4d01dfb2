import { useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { errorMessage } from '../api/client'
import { QueryView } from '../ui/States'
import { useDebounced } from '../ui/useDebounced'
import { CatalogsSection } from './CatalogsSection'
import { TrustedKeysSection } from './TrustedKeysSection'
import { TrustPublisherDialog } from './TrustPublisherDialog'
import type { CatalogPlugin } from './usePluginCatalog'
import { catalogKeys, installFromCatalog, useCatalogPlugins } from './usePluginCatalog'
import { kindLabel, pluginKeys } from './usePlugins'

/** What the subscribed catalogs offer, beside what is installed: install, upgrade, trust a publisher; then the catalogs themselves. */
export function BrowseTab() {
  const [text, setText] = useState('')
  const q = useDebounced(text.trim(), 250)
  const plugins = useCatalogPlugins(q)
  const qc = useQueryClient()
  const [notice, setNotice] = useState('')
  const [busy, setBusy] = useState('')
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [trusting, setTrusting] = useState<CatalogPlugin | null>(null)
  const refresh = async () => {
    await qc.invalidateQueries({ queryKey: catalogKeys.all })
    await qc.invalidateQueries({ queryKey: pluginKeys.all })
  }
  const key = (p: CatalogPlugin) => `${p.catalogId}/${p.id}`
  const install = async (p: CatalogPlugin, upgrade: boolean) => {
    setBusy(key(p))
    setErrors((e) => ({ ...e, [key(p)]: '' }))
    try {
      const out = await installFromCatalog({ id: p.id, catalogId: p.catalogId, upgrade })
      setNotice(`${upgrade ? 'Upgraded' : 'Installed'} ${out.name || out.id} ${out.version}.${out.enabled ? '' : ' Enable it on the Installed tab.'}`)
      await refresh()
    } catch (e) {
      setErrors((all) => ({ ...all, [key(p)]: errorMessage(e) }))
    } finally {
      setBusy('')
    }
  }
  return (
    <>
      <div role="status" aria-live="polite" className="status-line">
        {notice}
      </div>
      <label className="field field-inline">
        <span className="field-label">Search the catalogs</span>
        <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="id, name or description" />
      </label>
      <QueryView
        query={plugins}
        isEmpty={(l) => l.length === 0}
        empty={
          <div className="state state-empty">
            <p className="state-title">{q ? 'No plugin matches.' : 'The catalogs offer no plugins yet.'}</p>
            <p className="state-hint">Add a catalog below, or sync one.</p>
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
                  <th scope="col">Kind</th>
                  <th scope="col">Catalog</th>
                  <th scope="col">Latest</th>
                  <th scope="col">Installed</th>
                  <th scope="col">Publisher</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((p) => (
                  <tr key={key(p)}>
                    <td>
                      {p.name || p.id}
                      {p.description && <p className="muted small">{p.description}</p>}
                    </td>
                    <td className="mono">{p.id}</td>
                    <td>{kindLabel(p.kind)}</td>
                    <td>{p.catalogName}</td>
                    <td className="mono">{p.latest}</td>
                    <td>
                      {p.installed ? <span className="mono">{p.installed}</span> : <span className="muted">—</span>}
                      {p.updateAvailable && <span className="pill pill-warn"> Update available</span>}
                    </td>
                    <td>
                      <span className="mono" title={p.publisherFingerprint}>
                        {p.publisherKeyId}
                      </span>{' '}
                      {p.publisherTrusted ? <span className="pill pill-ok">Trusted</span> : <span className="pill pill-warn">Not trusted</span>}
                    </td>
                    <td className="actions">
                      {!p.publisherTrusted ? (
                        <button type="button" className="btn btn-small" onClick={() => setTrusting(p)}>
                          Trust publisher…
                        </button>
                      ) : p.updateAvailable ? (
                        <button type="button" className="btn btn-small btn-primary" disabled={busy === key(p)} onClick={() => void install(p, true)}>
                          {busy === key(p) ? 'Upgrading…' : `Upgrade to ${p.latest}`}
                        </button>
                      ) : !p.installed ? (
                        <button type="button" className="btn btn-small btn-primary" disabled={busy === key(p)} onClick={() => void install(p, false)}>
                          {busy === key(p) ? 'Installing…' : 'Install'}
                        </button>
                      ) : (
                        <span className="muted">Up to date</span>
                      )}
                      {errors[key(p)] && (
                        <p className="form-error" role="alert">
                          {errors[key(p)]}
                        </p>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      <CatalogsSection onNotice={setNotice} />
      <TrustedKeysSection onNotice={setNotice} />
      {trusting && (
        <TrustPublisherDialog
          plugin={trusting}
          onClose={() => setTrusting(null)}
          onTrusted={() => {
            setNotice(`Trusted the publisher key ${trusting.publisherKeyId}.`)
            void refresh()
          }}
        />
      )}
    </>
  )
}
