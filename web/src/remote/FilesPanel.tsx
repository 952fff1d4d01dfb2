// Download a file from the device, or upload one to it. Both need
// remote:access on the device and are audited by the server.

import { useRef, useState, type FormEvent } from 'react'
import { errorMessage } from '../api/client'
import { bytes } from '../ui/format'
import { MAX_FILE_BYTES, baseName, downloadFile, pathProblem, saveBlob, sha256Hex, uploadFile } from './files'

interface Transfer {
  label: string
  done: number
  total: number
  state: 'running' | 'done' | 'error'
  message?: string
}

export function FilesPanel({ deviceId, os }: { deviceId: string; os: string }) {
  const example = os === 'windows' ? 'C:\\Windows\\Temp\\report.txt' : '/var/log/syslog'
  return (
    <div className="files">
      <DownloadForm deviceId={deviceId} example={example} />
      <UploadForm deviceId={deviceId} os={os} />
    </div>
  )
}

function Progress({ t }: { t: Transfer }) {
  return (
    <div className="transfer" role="status" aria-live="polite">
      {t.state === 'running' && (t.total > 0 ? <progress max={t.total} value={t.done} /> : <progress />)}
      <span>
        {t.label}
        {t.state === 'running' ? `: ${bytes(t.done)}${t.total ? ` of ${bytes(t.total)}` : ''}` : ''}
      </span>
      {t.state === 'done' && t.message && <span className="pill pill-ok">{t.message}</span>}
      {t.state === 'error' && (
        <span className="form-error" role="alert">
          {t.message}
        </span>
      )}
    </div>
  )
}

function DownloadForm({ deviceId, example }: { deviceId: string; example: string }) {
  const [path, setPath] = useState('')
  const [t, setT] = useState<Transfer | null>(null)
  const [invalid, setInvalid] = useState<string | null>(null)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const p = path.trim()
    const problem = pathProblem(p)
    setInvalid(problem)
    if (problem) return
    setT({ label: `Downloading ${baseName(p)}`, done: 0, total: 0, state: 'running' })
    try {
      const got = await downloadFile(deviceId, p, (done, total) => setT((x) => (x ? { ...x, done, total } : x)))
      saveBlob(got.blob, got.name)
      setT({ label: `Downloaded ${got.name}`, done: got.blob.size, total: got.blob.size, state: 'done', message: bytes(got.blob.size) })
    } catch (err) {
      setT({ label: `Downloading ${baseName(p)}`, done: 0, total: 0, state: 'error', message: errorMessage(err) })
    }
  }
  const running = t?.state === 'running'
  return (
    <form className="card" onSubmit={submit} aria-labelledby="dl-title">
      <h3 id="dl-title">Download a file</h3>
      <label className="field">
        <span className="field-label">Path on the device</span>
        <input
          className="mono"
          value={path}
          onChange={(e) => setPath(e.target.value)}
          placeholder={example}
          aria-invalid={!!invalid}
          maxLength={4096}
          required
        />
      </label>
      {invalid && <p className="form-error">{invalid}</p>}
      <button type="submit" className="btn btn-primary" disabled={running}>
        {running ? 'Downloading…' : 'Download'}
      </button>
      {t && <Progress t={t} />}
    </form>
  )
}

function UploadForm({ deviceId, os }: { deviceId: string; os: string }) {
  const [file, setFile] = useState<File | null>(null)
  const [path, setPath] = useState('')
  const [overwrite, setOverwrite] = useState(false)
  const [t, setT] = useState<Transfer | null>(null)
  const [invalid, setInvalid] = useState<string | null>(null)
  const input = useRef<HTMLInputElement>(null)
  const dir = os === 'windows' ? 'C:\\Windows\\Temp\\' : '/tmp/'

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const p = path.trim()
    const problem = !file ? 'Choose a file.' : file.size > MAX_FILE_BYTES ? `The file is larger than ${bytes(MAX_FILE_BYTES)}.` : pathProblem(p)
    setInvalid(problem)
    if (problem || !file) return
    setT({ label: `Checking ${file.name}`, done: 0, total: file.size, state: 'running' })
    try {
      const sha256 = await sha256Hex(file)
      setT({ label: `Uploading ${file.name}`, done: 0, total: file.size, state: 'running' })
      const r = await uploadFile(deviceId, p, file, {
        overwrite,
        sha256,
        onProgress: (done, total) => setT((x) => (x ? { ...x, done, total } : x)),
      })
      setT({ label: `Uploaded to ${r.path}`, done: r.size, total: r.size, state: 'done', message: `${bytes(r.size)}, SHA-256 ${r.sha256.slice(0, 12)}…` })
    } catch (err) {
      setT({ label: `Uploading ${file.name}`, done: 0, total: 0, state: 'error', message: errorMessage(err) })
    }
  }
  const running = t?.state === 'running'
  return (
    <form className="card" onSubmit={submit} aria-labelledby="ul-title">
      <h3 id="ul-title">Upload a file</h3>
      <label className="field">
        <span className="field-label">File</span>
        <input
          ref={input}
          type="file"
          onChange={(e) => {
            const f = e.target.files?.[0] ?? null
            setFile(f)
            if (f && (!path || path.startsWith(dir))) setPath(dir + f.name)
          }}
        />
      </label>
      <label className="field">
        <span className="field-label">Destination path on the device</span>
        <input className="mono" value={path} onChange={(e) => setPath(e.target.value)} placeholder={`${dir}file.txt`} maxLength={4096} />
      </label>
      <label className="check">
        <input type="checkbox" checked={overwrite} onChange={(e) => setOverwrite(e.target.checked)} />
        Replace the file if it exists
      </label>
      {invalid && <p className="form-error">{invalid}</p>}
      <div>
        <button type="submit" className="btn btn-primary" disabled={running}>
          {running ? 'Uploading…' : 'Upload'}
        </button>
      </div>
      {t && <Progress t={t} />}
    </form>
  )
}
