import { useState } from 'react'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import type { CatalogPlugin } from './usePluginCatalog'
import { trustPublisher } from './usePluginCatalog'

/** Shows a publisher key's fingerprint and trusts it once the operator has compared it with the publisher's (audited). */
export function TrustPublisherDialog({ plugin, onClose, onTrusted }: { plugin: CatalogPlugin; onClose: () => void; onTrusted: () => void }) {
  const [name, setName] = useState('')
  return (
    <ConfirmDialog
      title="Trust this publisher?"
      confirmLabel="Trust publisher"
      onClose={onClose}
      onConfirm={async () => {
        await trustPublisher(plugin.publisherKeyId, name.trim())
        onTrusted()
      }}
    >
      <p>
        <strong>{plugin.name || plugin.id}</strong> is signed with key <span className="mono">{plugin.publisherKeyId}</span>, listed by the
        catalog <strong>{plugin.catalogName}</strong>. Every plugin signed with this key can then be installed on this server.
      </p>
      <p>Compare the fingerprint with the one the publisher gives you (their site, a signed release note) before trusting it:</p>
      <p className="mono fingerprint" aria-label="Fingerprint">
        {plugin.publisherFingerprint}
      </p>
      <label className="field">
        <span className="field-label">Name (optional)</span>
        <input type="text" value={name} maxLength={128} onChange={(e) => setName(e.target.value)} placeholder="e.g. Acme Inc." />
      </label>
    </ConfirmDialog>
  )
}
