import { useState } from 'react'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { errorMessage } from '../api/client'
import { can, canGlobally, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { Dialog } from '../ui/Dialog'
import { QueryView } from '../ui/States'
import { bytes, dateTime } from '../ui/format'
import {
  actOnRollout,
  createRollout,
  MAX_BUILD_BYTES,
  parseStages,
  progress,
  type Release,
  type Rollout,
  type RolloutRequest,
  updateKeys,
  uploadRelease,
  useReleases,
  useRollouts,
} from './useUpdates'

/** Agent builds and the staged rollouts that move agents to them. */
export default function AgentUpdatesPage() {
  const me = useMe()
  const admin = canGlobally(me, P.pluginsManage)
  const writer = can(me, P.devicesWrite)
  const releases = useReleases()
  const rollouts = useRollouts()
  const qc = useQueryClient()
  const [uploading, setUploading] = useState(false)
  const [creating, setCreating] = useState(false)
  const [stopping, setStopping] = useState<Rollout | null>(null)
  const [notice, setNotice] = useState('')
  const refresh = () => qc.invalidateQueries({ queryKey: updateKeys.all })
  const act = useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'pause' | 'resume' | 'stop' }) => actOnRollout(id, action),
    onSuccess: (r) => {
      setNotice(`Rollout of ${r.version} is ${r.state}.`)
      void refresh()
    },
    onError: (e) => setNotice(errorMessage(e)),
  })

  return (
    <section className="page" aria-labelledby="updates-title">
      <header className="page-header">
        <h1 id="updates-title">Agent updates</h1>
        <div className="page-actions">
          {admin && (
            <button type="button" className="btn" onClick={() => setUploading(true)}>
              Upload build…
            </button>
          )}
          {writer && (
            <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
              New rollout…
            </button>
          )}
        </div>
      </header>
      <p className="muted">
        Agent builds are signed offline with a release key (<code>breeze release sign</code>); agents check the signature again before they
        install a build, and go back to their previous build by themselves when the new one does not link in time.
      </p>
      <div role="status" aria-live="polite" className="status-line">
        {notice}
      </div>

      <h2 className="section-title">Rollouts</h2>
      <QueryView
        query={rollouts}
        isEmpty={(l) => l.length === 0}
        empty={
          <div className="state state-empty">
            <p className="state-title">No rollouts yet.</p>
          </div>
        }
      >
        {(list) => (
          <table className="table">
            <caption className="visually-hidden">Rollouts</caption>
            <thead>
              <tr>
                <th scope="col" className="nowrap">Version</th>
                <th scope="col">Scope</th>
                <th scope="col">Stages</th>
                <th scope="col">State</th>
                <th scope="col">Started</th>
                {writer && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.id}>
                  <td className="mono">{r.version}</td>
                  <td>
                    {r.scopeKind} <span className="mono muted">{r.scopeId}</span>
                  </td>
                  <td>
                    <StageBar rollout={r} />
                  </td>
                  <td>
                    <span className={`pill ${r.state === 'stopped' ? 'pill-warn' : r.state === 'completed' ? 'pill-ok' : ''}`}>{r.state}</span>
                    {r.reason && <p className="plugin-error">{r.reason}</p>}
                  </td>
                  <td title={dateTime(r.createdAt)}>{dateTime(r.createdAt)}</td>
                  {writer && (
                    <td className="actions">
                      {r.state === 'active' && (
                        <button type="button" className="btn btn-small" onClick={() => act.mutate({ id: r.id, action: 'pause' })}>
                          Pause
                        </button>
                      )}
                      {r.state === 'paused' && (
                        <button type="button" className="btn btn-small" onClick={() => act.mutate({ id: r.id, action: 'resume' })}>
                          Resume
                        </button>
                      )}
                      {(r.state === 'active' || r.state === 'paused') && (
                        <button type="button" className="btn btn-small btn-danger" onClick={() => setStopping(r)}>
                          Stop…
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryView>

      <h2 className="section-title">Builds</h2>
      <QueryView
        query={releases}
        isEmpty={(l) => l.length === 0}
        empty={
          <div className="state state-empty">
            <p className="state-title">No agent builds uploaded.</p>
          </div>
        }
      >
        {(list) => <ReleasesTable list={list} />}
      </QueryView>

      {uploading && (
        <UploadDialog
          onClose={() => setUploading(false)}
          onUploaded={(r) => {
            setUploading(false)
            setNotice(`Uploaded ${r.version} for ${r.os}/${r.arch}.`)
            void refresh()
          }}
        />
      )}
      {creating && (
        <RolloutDialog
          versions={[...new Set((releases.data ?? []).map((r) => r.version))]}
          onClose={() => setCreating(false)}
          onCreated={(r) => {
            setCreating(false)
            setNotice(`Rollout of ${r.version} started.`)
            void refresh()
          }}
        />
      )}
      {stopping && (
        <ConfirmDialog
          title={`Stop the rollout of ${stopping.version}?`}
          confirmLabel="Stop"
          danger
          onClose={() => setStopping(null)}
          onConfirm={() => act.mutateAsync({ id: stopping.id, action: 'stop' })}
        >
          <p>Devices already updated keep the new version; the others are not offered it any more.</p>
        </ConfirmDialog>
      )}
    </section>
  )
}

/** One cell per stage: done, running (with devices done of assigned) or to come. */
export function StageBar({ rollout: r }: { rollout: Rollout }) {
  const p = progress(r)
  return (
    <ol className="stage-bar" aria-label={`Stages of the rollout of ${r.version}`}>
      {r.stages.map((pct, i) => {
        const state = r.state === 'completed' || i < r.stage ? 'done' : i === r.stage ? 'current' : 'next'
        return (
          <li key={pct} className={`stage stage-${state}`}>
            {pct} %{state === 'done' && ' ✓'}
            {state === 'current' && (
              <span>
                {' '}
                ({p.done}/{p.assigned} done{p.failed > 0 ? `, ${p.failed} failed` : ''}
                {r.nextStageAt ? `, next stage ${dateTime(r.nextStageAt)}` : ''})
              </span>
            )}
          </li>
        )
      })}
    </ol>
  )
}

function ReleasesTable({ list }: { list: Release[] }) {
  return (
    <table className="table">
      <caption className="visually-hidden">Agent builds</caption>
      <thead>
        <tr>
          <th scope="col">Version</th>
          <th scope="col">Platform</th>
          <th scope="col">Size</th>
          <th scope="col">SHA-256</th>
          <th scope="col">Uploaded</th>
          <th scope="col">Notes</th>
        </tr>
      </thead>
      <tbody>
        {list.map((r) => (
          <tr key={r.id}>
            <td className="mono">{r.version}</td>
            <td>
              {r.os}/{r.arch}
            </td>
            <td>{bytes(r.size)}</td>
            <td className="mono" title={r.sha256}>
              {r.sha256.slice(0, 16)}…
            </td>
            <td>{dateTime(r.createdAt)}</td>
            <td>{r.notes}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function UploadDialog({ onClose, onUploaded }: { onClose: () => void; onUploaded: (r: Release) => void }) {
  const [file, setFile] = useState<File | null>(null)
  const [version, setVersion] = useState('')
  const [os, setOs] = useState('linux')
  const [arch, setArch] = useState('amd64')
  const [signature, setSignature] = useState('')
  const [notes, setNotes] = useState('')
  const upload = useMutation({
    mutationFn: (f: File) => uploadRelease(f, { version, os, arch, signature: signature.trim(), notes }),
    onSuccess: onUploaded,
  })
  const tooBig = !!file && file.size > MAX_BUILD_BYTES
  const ready = !!file && !tooBig && version.trim() !== '' && signature.trim() !== ''
  return (
    <Dialog
      title="Upload an agent build"
      onClose={onClose}
      onSubmit={() => ready && file && upload.mutate(file)}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={!ready || upload.isPending}>
            {upload.isPending ? 'Uploading…' : 'Upload'}
          </button>
        </>
      }
    >
      <label className="field">
        <span className="field-label">Agent executable</span>
        <input type="file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      </label>
      {tooBig && <p className="field-error">The build is larger than {bytes(MAX_BUILD_BYTES)}.</p>}
      <label className="field">
        <span className="field-label">Version</span>
        <input value={version} onChange={(e) => setVersion(e.target.value)} placeholder="1.4.2" />
      </label>
      <label className="field">
        <span className="field-label">Operating system</span>
        <select aria-label="Operating system" value={os} onChange={(e) => setOs(e.target.value)}>
          <option value="linux">linux</option>
          <option value="darwin">darwin</option>
          <option value="windows">windows</option>
        </select>
      </label>
      <label className="field">
        <span className="field-label">Architecture</span>
        <select aria-label="Architecture" value={arch} onChange={(e) => setArch(e.target.value)}>
          <option value="amd64">amd64</option>
          <option value="arm64">arm64</option>
        </select>
      </label>
      <label className="field">
        <span className="field-label">Signature (from breeze release sign)</span>
        <input value={signature} onChange={(e) => setSignature(e.target.value)} className="mono" />
      </label>
      <label className="field">
        <span className="field-label">Notes</span>
        <input value={notes} onChange={(e) => setNotes(e.target.value)} />
      </label>
      {upload.error && (
        <p role="alert" className="field-error">
          {errorMessage(upload.error)}
        </p>
      )}
    </Dialog>
  )
}

function RolloutDialog({ versions, onClose, onCreated }: { versions: string[]; onClose: () => void; onCreated: (r: Rollout) => void }) {
  const [scopeKind, setScopeKind] = useState<RolloutRequest['scopeKind']>('org')
  const [scopeId, setScopeId] = useState('')
  const [version, setVersion] = useState(versions[0] ?? '')
  const [stagesText, setStagesText] = useState('1, 10, 100')
  const [pause, setPause] = useState('600')
  const [threshold, setThreshold] = useState('5')
  const [trial, setTrial] = useState('300')
  const [allowDowngrade, setAllowDowngrade] = useState(false)
  const stages = parseStages(stagesText)
  const create = useMutation({
    mutationFn: () =>
      createRollout({
        scopeKind,
        scopeId: scopeId.trim(),
        version,
        stages: stages ?? [],
        pauseSeconds: Number(pause) || 0,
        failureThreshold: Number(threshold) || 0,
        trialSeconds: Number(trial) || 0,
        allowDowngrade,
      }),
    onSuccess: onCreated,
  })
  const ready = !!stages && scopeId.trim() !== '' && version !== ''
  return (
    <Dialog
      title="Start a rollout"
      onClose={onClose}
      onSubmit={() => ready && create.mutate()}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={!ready || create.isPending}>
            {create.isPending ? 'Starting…' : 'Start rollout'}
          </button>
        </>
      }
    >
      <label className="field">
        <span className="field-label">Version</span>
        <select aria-label="Version" value={version} onChange={(e) => setVersion(e.target.value)}>
          {versions.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field-label">Scope</span>
        <select aria-label="Scope" value={scopeKind} onChange={(e) => setScopeKind(e.target.value as RolloutRequest['scopeKind'])}>
          <option value="partner">Partner</option>
          <option value="org">Organization</option>
          <option value="site">Site</option>
          <option value="group">Device group</option>
        </select>
      </label>
      <label className="field">
        <span className="field-label">Scope id</span>
        <input value={scopeId} onChange={(e) => setScopeId(e.target.value)} className="mono" />
      </label>
      <label className="field">
        <span className="field-label">Stages (cumulative %, ending at 100)</span>
        <input value={stagesText} onChange={(e) => setStagesText(e.target.value)} aria-invalid={!stages} />
      </label>
      {!stages && <p className="field-error">Ascending percentages between 1 and 100, the last one 100.</p>}
      <label className="field">
        <span className="field-label">Pause between stages (seconds)</span>
        <input type="number" min={0} value={pause} onChange={(e) => setPause(e.target.value)} />
      </label>
      <label className="field">
        <span className="field-label">Stop when failures pass (%)</span>
        <input type="number" min={0} max={100} value={threshold} onChange={(e) => setThreshold(e.target.value)} />
      </label>
      <label className="field">
        <span className="field-label">Time a new build has to link (seconds)</span>
        <input type="number" min={0} max={3600} value={trial} onChange={(e) => setTrial(e.target.value)} />
      </label>
      <label className="field field-inline">
        <input type="checkbox" checked={allowDowngrade} onChange={(e) => setAllowDowngrade(e.target.checked)} />
        <span>Allow a downgrade (agents running a newer version go back to this one)</span>
      </label>
      {create.error && (
        <p role="alert" className="field-error">
          {errorMessage(create.error)}
        </p>
      )}
    </Dialog>
  )
}
