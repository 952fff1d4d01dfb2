import { useState } from 'react'
import { useMutation } from '@tanstack/react-query'
import { errorMessage } from '../api/client'
import { Dialog } from '../ui/Dialog'
import type { PluginCatalog } from './usePluginCatalog'
import { subscribeCatalog } from './usePluginCatalog'

/** Subscribes to a catalog: its index URL (https) and its public key; the server syncs it at once. */
export function AddCatalogDialog({ onClose, onAdded }: { onClose: () => void; onAdded: (c: PluginCatalog) => void }) {
  const [name, setName] = useState('')
  const [url, setUrl] = useState('')
  const [key, setKey] = useState('')
  const add = useMutation({ mutationFn: () => subscribeCatalog({ name: name.trim(), url: url.trim(), publicKey: key.trim() }), onSuccess: onAdded })
  const ready = name.trim() !== '' && url.trim() !== '' && key.trim() !== ''
  return (
    <Dialog
      title="Add a plugin catalog"
      onClose={onClose}
      onSubmit={() => ready && add.mutate()}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={!ready || add.isPending}>
            {add.isPending ? 'Adding…' : 'Add catalog'}
          </button>
        </>
      }
    >
      <label className="field">
        <span className="field-label">Name</span>
        <input type="text" required maxLength={128} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label className="field">
        <span className="field-label">Index URL</span>
        <input type="url" required value={url} placeholder="https://plugins.example.com/index.json" onChange={(e) => setUrl(e.target.value)} />
      </label>
      <label className="field">
        <span className="field-label">Catalog public key</span>
        <textarea
          className="mono"
          rows={4}
          required
          value={key}
          placeholder={'-----BEGIN PUBLIC KEY-----\n…'}
          onChange={(e) => setKey(e.target.value)}
        />
      </label>
      <p className="hint">
        The catalog's index must be signed with this key; its plugins are still installed only when their publisher's key is trusted.
      </p>
      {add.isError && (
        <p className="form-error" role="alert">
          {errorMessage(add.error)}
        </p>
      )}
    </Dialog>
  )
}
