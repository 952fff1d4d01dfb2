// Writes or edits a library script: its content, typed parameters, limits
// and the operating systems it runs on; lists its kept versions. A plain
// monospace <textarea> keeps this chunk small (no code editor library).

import { useEffect, useState, type FormEvent } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import { api, ApiError, errorMessage } from '../api/client'
import type { Script, ScriptLanguage, ScriptParam, ScriptVersion } from '../api/types'
import { can, P } from '../auth/permissions'
import { useMe } from '../auth/session'
import { useOrgs, useTenant } from '../tenant/tenant'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { Empty, ErrorState, Loading } from '../ui/States'
import { dateTime } from '../ui/format'
import { ParamsEditor, paramsProblem } from './ParamsEditor'
import { RunDialog } from './RunDialog'
import { LANGUAGES, languageLabel, scriptKeys, useScript, useScriptVersions } from './useScripts'

const OSES = [
  { id: 'linux', label: 'Linux' },
  { id: 'windows', label: 'Windows' },
  { id: 'darwin', label: 'macOS' },
]

interface Form {
  orgId: string
  name: string
  description: string
  language: ScriptLanguage
  body: string
  params: ScriptParam[]
  timeoutSeconds: number
  runAs: string
  osFilter: string[]
}

const BLANK: Form = {
  orgId: '',
  name: '',
  description: '',
  language: 'bash',
  body: '#!/usr/bin/env bash\nset -euo pipefail\n\n',
  params: [],
  timeoutSeconds: 300,
  runAs: '',
  osFilter: [],
}

function toForm(s: Script): Form {
  return {
    orgId: s.orgId ?? '',
    name: s.name,
    description: s.description ?? '',
    language: s.language,
    body: s.body,
    params: (s.params ?? []).map((p) => ({ ...p, description: p.description ?? '', default: p.default ?? '', passAs: p.passAs || 'env', required: !!p.required })),
    timeoutSeconds: s.timeoutSeconds,
    runAs: s.runAs ?? '',
    osFilter: s.osFilter ?? [],
  }
}

export default function ScriptEditorPage() {
  const { id } = useParams()
  const isNew = !id || id === 'new'
  const script = useScript(isNew ? undefined : id)
  if (!isNew && script.isPending) return <Loading label="Loading the script…" />
  if (!isNew && script.isError) {
    if (script.error instanceof ApiError && script.error.status === 404)
      return (
        <Empty title="This script does not exist, or you cannot see it.">
          <Link to="/scripts">Back to the scripts</Link>
        </Empty>
      )
    return <ErrorState error={script.error} onRetry={() => void script.refetch()} />
  }
  return <Editor key={script.data?.id ?? 'new'} script={isNew ? undefined : script.data} />
}

function Editor({ script }: { script?: Script }) {
  const me = useMe()
  const qc = useQueryClient()
  const navigate = useNavigate()
  const { sel } = useTenant()
  const orgs = useOrgs()
  const [form, setForm] = useState<Form>(() => (script ? toForm(script) : { ...BLANK, orgId: sel.orgId ?? '' }))
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [saved, setSaved] = useState<string | null>(null)
  const [dialog, setDialog] = useState<'delete' | 'run' | null>(null)
  const canWrite = can(me, P.scriptsWrite)
  const canRun = can(me, P.devicesExecute)
  const set = <K extends keyof Form>(k: K, v: Form[K]) => {
    setForm((f) => ({ ...f, [k]: v }))
    setSaved(null)
  }
  useEffect(() => setSaved(null), [script?.version])

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const problem = !form.name.trim()
      ? 'Give the script a name.'
      : !form.body.trim()
        ? 'The script is empty.'
        : !(form.timeoutSeconds >= 1 && form.timeoutSeconds <= 86400)
          ? 'The timeout is between 1 second and 24 hours.'
          : paramsProblem(form.params)
    setError(problem)
    if (problem) return
    setBusy(true)
    const body = {
      name: form.name.trim(),
      description: form.description,
      language: form.language,
      body: form.body,
      params: form.params,
      timeoutSeconds: form.timeoutSeconds,
      runAs: form.runAs.trim(),
      osFilter: form.osFilter,
    }
    try {
      if (script) {
        const s = await api.patch<Script>(`/scripts/${encodeURIComponent(script.id)}`, { ...body, version: script.version })
        qc.setQueryData(scriptKeys.detail(s.id), s)
        await qc.invalidateQueries({ queryKey: scriptKeys.versions(s.id) })
        setSaved(`Saved as version ${s.version}.`)
      } else {
        const owner = form.orgId ? { orgId: form.orgId } : { partnerId: sel.partnerId ?? me.user.partnerId }
        const s = await api.post<Script>('/scripts', { ...owner, ...body })
        qc.setQueryData(scriptKeys.detail(s.id), s)
        navigate(`/scripts/${encodeURIComponent(s.id)}`, { replace: true })
      }
      await qc.invalidateQueries({ queryKey: ['scripts', 'list'] })
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 409 && script
          ? 'Someone saved this script meanwhile. Reload it to see their version, then apply your change again.'
          : errorMessage(err),
      )
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="page" aria-labelledby="script-title">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/scripts">Scripts</Link> / <span>{script ? script.name : 'New script'}</span>
      </nav>
      <header className="page-header">
        <h1 id="script-title">{script ? script.name : 'New script'}</h1>
        {script && <span className="pill">v{script.version}</span>}
        <div className="page-actions">
          {script && canRun && (
            <button type="button" className="btn btn-small btn-primary" onClick={() => setDialog('run')}>
              Run…
            </button>
          )}
          {script && canWrite && (
            <button type="button" className="btn btn-small btn-danger" onClick={() => setDialog('delete')}>
              Delete…
            </button>
          )}
        </div>
      </header>
      {!canWrite && <p className="notice">You can read this script; changing it needs the scripts:write permission.</p>}
      <form className="script-form" onSubmit={submit}>
        <fieldset className="plain" disabled={!canWrite || busy}>
          <div className="field-row">
            <label className="field">
              <span className="field-label">Name</span>
              <input value={form.name} onChange={(e) => set('name', e.target.value)} maxLength={200} required />
            </label>
            <label className="field">
              <span className="field-label">Language</span>
              <select value={form.language} onChange={(e) => set('language', e.target.value as ScriptLanguage)}>
                {LANGUAGES.map((l) => (
                  <option key={l.id} value={l.id}>
                    {l.label}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span className="field-label">Shared with</span>
              <select value={form.orgId} disabled={!!script} onChange={(e) => set('orgId', e.target.value)}>
                <option value="">Every organization</option>
                {(orgs.data ?? []).map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.name}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <label className="field">
            <span className="field-label">Description</span>
            <input value={form.description} onChange={(e) => set('description', e.target.value)} maxLength={1000} />
          </label>
          <label className="field">
            <span className="field-label">Script</span>
            <textarea
              className="code"
              value={form.body}
              onChange={(e) => set('body', e.target.value)}
              rows={18}
              spellCheck={false}
              autoCapitalize="off"
              autoComplete="off"
              wrap="off"
              onKeyDown={(e) => {
                // Tab indents instead of leaving the field; Escape then Tab leaves it.
                if (e.key !== 'Tab' || e.shiftKey || e.ctrlKey || e.metaKey || e.altKey) return
                e.preventDefault()
                const t = e.currentTarget
                const { selectionStart: a, selectionEnd: b, value } = t
                const v = value.slice(0, a) + '  ' + value.slice(b)
                set('body', v)
                requestAnimationFrame(() => t.setSelectionRange(a + 2, a + 2))
              }}
            />
          </label>
          <ParamsEditor params={form.params} onChange={(p) => set('params', p)} readOnly={!canWrite} />
          <div className="field-row">
            <label className="field">
              <span className="field-label">Timeout (seconds)</span>
              <input
                type="number"
                min={1}
                max={86400}
                value={form.timeoutSeconds}
                onChange={(e) => set('timeoutSeconds', Number(e.target.value))}
              />
            </label>
            <label className="field">
              <span className="field-label">Run as</span>
              <input value={form.runAs} onChange={(e) => set('runAs', e.target.value)} placeholder="the agent's user" maxLength={100} />
            </label>
            <fieldset className="fieldset field">
              <legend className="field-label">Runs on</legend>
              {OSES.map((o) => (
                <label key={o.id} className="check">
                  <input
                    type="checkbox"
                    checked={form.osFilter.includes(o.id)}
                    onChange={(e) => set('osFilter', e.target.checked ? [...form.osFilter, o.id] : form.osFilter.filter((x) => x !== o.id))}
                  />
                  {o.label}
                </label>
              ))}
              <span className="hint">None checked: any.</span>
            </fieldset>
          </div>
        </fieldset>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {saved && (
          <p className="pill pill-ok" role="status">
            {saved}
          </p>
        )}
        {canWrite && (
          <div>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? 'Saving…' : script ? 'Save' : 'Create script'}
            </button>
          </div>
        )}
      </form>
      {script && <Versions script={script} onRestore={canWrite ? (v) => setForm((f) => ({ ...f, language: v.language, body: v.body, params: toForm({ ...script, ...v }).params, timeoutSeconds: v.timeoutSeconds, runAs: v.runAs ?? '', osFilter: v.osFilter ?? [] })) : undefined} />}
      {dialog === 'run' && script && <RunDialog script={script} onClose={() => setDialog(null)} />}
      {dialog === 'delete' && script && (
        <ConfirmDialog
          title={`Delete ${script.name}?`}
          confirmLabel="Delete"
          danger
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api.del(`/scripts/${encodeURIComponent(script.id)}`)
            await qc.invalidateQueries({ queryKey: scriptKeys.all })
            navigate('/scripts')
          }}
        >
          <p>The script and its versions go; the results of past runs stay in each device&apos;s command history.</p>
        </ConfirmDialog>
      )}
    </section>
  )
}

function Versions({ script, onRestore }: { script: Script; onRestore?: (v: ScriptVersion) => void }) {
  const versions = useScriptVersions(script.id)
  const [shown, setShown] = useState<number | null>(null)
  return (
    <section aria-labelledby="versions-title">
      <h2 id="versions-title" className="section-title">
        Versions
      </h2>
      {versions.isPending ? (
        <Loading label="Loading versions…" />
      ) : versions.isError ? (
        <ErrorState error={versions.error} onRetry={() => void versions.refetch()} />
      ) : versions.data.length === 0 ? (
        <p className="hint">No earlier versions.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Saved</th>
              <th scope="col">Language</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {[...versions.data]
              .sort((a, b) => b.version - a.version)
              .map((v) => (
                <tr key={v.version}>
                  <td>
                    v{v.version}
                    {v.version === script.version ? ' (current)' : ''}
                  </td>
                  <td>{dateTime(v.createdAt)}</td>
                  <td>{languageLabel(v.language)}</td>
                  <td className="actions">
                    <button type="button" className="btn btn-small" aria-expanded={shown === v.version} onClick={() => setShown(shown === v.version ? null : v.version)}>
                      {shown === v.version ? 'Hide' : 'View'}
                    </button>
                    {onRestore && v.version !== script.version && (
                      <button type="button" className="btn btn-small" onClick={() => onRestore(v)}>
                        Load into editor
                      </button>
                    )}
                  </td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
      {shown !== null && versions.data && (
        <pre className="output" aria-label={`Version ${shown}`}>
          {versions.data.find((v) => v.version === shown)?.body ?? ''}
        </pre>
      )}
    </section>
  )
}
