import { useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { api, errorMessage } from '../api/client'
import { installCommandFor } from '../enroll/installCommand'
import { CopyField } from '../ui/CopyField'
import { Dialog } from '../ui/Dialog'
import { dateTime } from '../ui/format'
import type { Asset, AssetDeployment } from './types'
import { discoveryKeys } from './useDiscovery'

/**
 * "Deploy the agent": mints a one-use enrollment key bound to the asset's
 * site (24 h) and shows its install command once; closing forgets it.
 */
export function DeployDialog({ asset: a, onClose }: { asset: Asset; onClose: () => void }) {
  const qc = useQueryClient()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [done, setDone] = useState<AssetDeployment | null>(null)
  const create = async () => {
    setBusy(true)
    setError(null)
    try {
      setDone(await api.post<AssetDeployment>(`/discovery/assets/${encodeURIComponent(a.id)}/deploy`))
      void qc.invalidateQueries({ queryKey: discoveryKeys.events(a.id) })
    } catch (e) {
      setError(errorMessage(e))
    } finally {
      setBusy(false)
    }
  }
  return (
    <Dialog
      title={`Deploy the agent to ${a.ip}`}
      onClose={onClose}
      wide
      footer={
        done ? (
          <button type="button" className="btn btn-primary" onClick={onClose}>
            Done
          </button>
        ) : (
          <>
            <button type="button" className="btn" onClick={onClose} autoFocus>
              Cancel
            </button>
            <button type="button" className="btn btn-primary" onClick={() => void create()} disabled={busy}>
              {busy ? 'Creating…' : 'Create install command'}
            </button>
          </>
        )
      }
    >
      {done ? (
        <>
          <p className="notice" role="status">
            Shown once: copy it now. The key enrolls one machine into this asset’s site and expires {dateTime(done.expiresAt)}.
          </p>
          <CopyField label="Install command (Linux, as root)" value={installCommandFor(done.enrollmentKey, done.installCommand, window.location.origin)} multiline />
          <CopyField label="Enrollment key" value={done.enrollmentKey} />
        </>
      ) : (
        <p>
          This creates a one-use enrollment key for the asset’s site, valid 24 hours, and its install command. Run the command on {a.ip} as
          root; once the agent enrolls the asset shows as managed.
        </p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  )
}
