import { useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { errorMessage } from '../api/client'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { QueryView } from '../ui/States'
import { AddCatalogDialog } from './AddCatalogDialog'
import type { PluginCatalog } from './usePluginCatalog'
import { catalogKeys, removeCatalog, syncCatalog, useCatalogs } from './usePluginCatalog'

const plural = (n: number) => `${n} plugin${n === 1 ? '' : 's'}`
const when = (t?: string) => (t ? new Date(t).toLocaleString() : 'never')

/** The subscriptions: last sync and its error, sync now, remove, add. */
export function CatalogsSection({ onNotice }: { onNotice: (s: string) => void }) {
  const catalogs = useCatalogs()
  const qc = useQueryClient()
  const [adding, setAdding] = useState(false)
  const [removing, setRemoving] = useState<PluginCatalog | null>(null)
  const [syncing, setSyncing] = useState('')
  const refresh = () => qc.invalidateQueries({ queryKey: catalogKeys.all })
  const sync = async (c: PluginCatalog) => {
    setSyncing(c.id)
    try {
      const out = await syncCatalog(c.id)
      onNotice(out.syncError ? `Sync of ${c.name} failed: ${out.syncError}` : `${c.name} synced: ${plural(out.plugins)}.`)
    } catch (e) {
      onNotice(`Sync of ${c.name} failed: ${errorMessage(e)}`)
    } finally {
      setSyncing('')
      await refresh()
    }
  }
  return (
    <section aria-labelledby="catalogs-title" className="catalogs-section">
      <header className="section-header">
        <h2 id="catalogs-title">Catalogs</h2>
        <button type="button" className="btn" onClick={() => setAdding(true)}>
          Add catalog…
        </button>
      </header>
      <QueryView
        query={catalogs}
        isEmpty={(l) => l.length === 0}
        empty={<p className="muted">No catalogs yet. Add one with its index URL and public key.</p>}
      >
        {(list) => (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">URL</th>
                <th scope="col">Key</th>
                <th scope="col">Plugins</th>
                <th scope="col">Last sync</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <tr key={c.id}>
                  <td>{c.name}</td>
                  <td className="mono">{c.url}</td>
                  <td className="mono" title={c.fingerprint}>
                    {c.keyId}
                  </td>
                  <td>{c.plugins}</td>
                  <td>
                    {when(c.syncedAt)}
                    {c.syncError && (
                      <p className="form-error" title={c.attemptedAt ? `attempted ${when(c.attemptedAt)}` : undefined}>
                        Last attempt failed: {c.syncError}
                      </p>
                    )}
                  </td>
                  <td className="actions">
                    <button
                      type="button"
                      className="btn btn-small"
                      aria-label={`Sync ${c.name}`}
                      disabled={syncing === c.id}
                      onClick={() => void sync(c)}
                    >
                      {syncing === c.id ? 'Syncing…' : 'Sync now'}
                    </button>{' '}
                    <button type="button" className="btn btn-small btn-danger" onClick={() => setRemoving(c)}>
                      Remove…
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryView>
      {adding && (
        <AddCatalogDialog
          onClose={() => setAdding(false)}
          onAdded={(c) => {
            setAdding(false)
            onNotice(c.syncError ? `Added ${c.name}, but its first sync failed: ${c.syncError}` : `Added ${c.name}: ${plural(c.plugins)}.`)
            void refresh()
          }}
        />
      )}
      {removing && (
        <ConfirmDialog
          title={`Remove the catalog ${removing.name}?`}
          confirmLabel="Remove"
          danger
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await removeCatalog(removing.id)
            onNotice(`Removed the catalog ${removing.name}.`)
            await refresh()
          }}
        >
          <p>Its plugins are no longer offered or updated from it. Plugins already installed stay installed.</p>
        </ConfirmDialog>
      )}
    </section>
  )
}
