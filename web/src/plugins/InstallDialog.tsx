import { useId, useState } from 'react'
import { useMutation } from '@tanstack/react-query'
import { ApiError, errorMessage } from '../api/client'
import type { Plugin } from '../api/types'
import { Dialog } from '../ui/Dialog'
import { bytes } from '../ui/format'
import { installPlugin, MAX_ARCHIVE_BYTES } from './usePlugins'

/** Chooses a signed archive and uploads it; the server's refusal is shown as it said it. */
export function InstallDialog({ onClose, onInstalled }: { onClose: () => void; onInstalled: (p: Plugin) => void }) {
  const [file, setFile] = useState<File | null>(null)
  const hintId = useId()
  const install = useMutation({ mutationFn: (f: File) => installPlugin(f), onSuccess: onInstalled })
  const tooBig = !!file && file.size > MAX_ARCHIVE_BYTES
  const refused = install.error instanceof ApiError && install.error.status >= 400 && install.error.status < 500
  return (
    <Dialog
      title="Install a plugin"
      onClose={onClose}
      onSubmit={() => file && !tooBig && install.mutate(file)}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={!file || tooBig || install.isPending}>
            {install.isPending ? 'Installing…' : 'Install'}
          </button>
        </>
      }
    >
      <label className="field">
        <span className="field-label">Plugin archive (.tar.gz)</span>
        <input
          type="file"
          accept=".tar.gz,.tgz,application/gzip,application/x-gzip"
          aria-describedby={hintId}
          onChange={(e) => {
            setFile(e.target.files?.[0] ?? null)
            install.reset()
          }}
        />
      </label>
      <p id={hintId} className="hint">
        An archive made by <span className="mono">breeze plugin pack</span>. The server checks its signature against the trusted keys, every
        file's hash and the version before anything is installed; refusals are recorded in the audit log.
      </p>
      {file && (
        <p className="muted">
          {file.name} — {bytes(file.size)}
        </p>
      )}
      {tooBig && (
        <p className="form-error" role="alert">
          This file is larger than {bytes(MAX_ARCHIVE_BYTES)}.
        </p>
      )}
      {install.isError && (
        <div className="refusal" role="alert">
          <p className="refusal-title">{refused ? 'The server refused this plugin' : 'The plugin could not be installed'}</p>
          <p className="refusal-message">{errorMessage(install.error)}</p>
          {install.error instanceof ApiError && install.error.requestId && (
            <p className="muted">Request {install.error.requestId}</p>
          )}
        </div>
      )}
    </Dialog>
  )
}
