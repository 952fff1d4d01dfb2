import { useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { QueryView } from '../ui/States'
import type { TrustedKey } from './usePluginCatalog'
import { catalogKeys, untrustPublisher, useTrustedKeys } from './usePluginCatalog'

/** Publisher keys trusted from the dashboard or the CLI (the server's configured keys are not listed here); untrust one. */
export function TrustedKeysSection({ onNotice }: { onNotice: (s: string) => void }) {
  const keys = useTrustedKeys()
  const qc = useQueryClient()
  const [removing, setRemoving] = useState<TrustedKey | null>(null)
  return (
    <section aria-labelledby="trusted-keys-title" className="catalogs-section">
      <h2 id="trusted-keys-title">Trusted publisher keys</h2>
      <QueryView
        query={keys}
        isEmpty={(l) => l.length === 0}
        empty={<p className="muted">None trusted from here yet (keys in BREEZE_PLUGIN_TRUSTED_KEYS are not listed).</p>}
      >
        {(list) => (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Name</th>
                <th scope="col">Fingerprint</th>
                <th scope="col">Trusted by</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((k) => (
                <tr key={k.keyId}>
                  <td className="mono">{k.keyId}</td>
                  <td>{k.name}</td>
                  <td className="mono small">{k.fingerprint}</td>
                  <td>
                    {k.addedBy}
                    {k.addedAt && <span className="muted"> · {new Date(k.addedAt).toLocaleString()}</span>}
                  </td>
                  <td className="actions">
                    <button type="button" className="btn btn-small btn-danger" aria-label={`Untrust ${k.keyId}`} onClick={() => setRemoving(k)}>
                      Untrust…
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryView>
      {removing && (
        <ConfirmDialog
          title={`Stop trusting ${removing.name || removing.keyId}?`}
          confirmLabel="Untrust"
          danger
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await untrustPublisher(removing.keyId)
            onNotice(`The key ${removing.keyId} is no longer trusted.`)
            await qc.invalidateQueries({ queryKey: catalogKeys.all })
          }}
        >
          <p>
            Plugins signed with <span className="mono">{removing.keyId}</span> can no longer be installed or upgraded. Those installed keep running;
            a server node that has not unpacked them yet will refuse them.
          </p>
        </ConfirmDialog>
      )}
    </section>
  )
}
