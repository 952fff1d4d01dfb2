import { lazy, Suspense, useState, type FormEvent } from 'react'
import { useMutation } from '@tanstack/react-query'
import { Link, useNavigate } from 'react-router'
import { api, errorMessage } from '../api/client'
import type { TotpEnrollment } from '../api/types'
import { useAuth, useMe } from './session'
import { Loading } from '../ui/States'

const QrCode = lazy(() => import('./QrCode'))

/** Enrol (or replace) the second factor; forced when the partner requires one. */
export default function TotpEnrollPage() {
  const me = useMe()
  const { reloadMe, logout } = useAuth()
  const navigate = useNavigate()
  const [code, setCode] = useState('')
  const [currentCode, setCurrentCode] = useState('')
  const begin = useMutation({ mutationFn: () => api.post<TotpEnrollment>('/auth/totp/enroll') })
  // The server made the secret and keeps it pending: confirming sends codes only.
  const confirm = useMutation({
    mutationFn: () =>
      api.post('/auth/totp/confirm', {
        code: code.trim(),
        ...(me.user.totpEnabled ? { currentCode: currentCode.trim() } : {}),
      }),
    onSuccess: async () => {
      await reloadMe()
      navigate('/', { replace: true })
    },
  })

  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (begin.data) confirm.mutate()
  }

  return (
    <main className="login" id="main">
      <div className="login-card login-card-wide">
        <h1 className="brand">Two-factor authentication</h1>
        {me.mustEnrollTotp && (
          <p className="notice">Your organization requires a second factor. Set it up to continue.</p>
        )}
        {!begin.data ? (
          <>
            <p>You will need an authenticator app (any TOTP app works).</p>
            {begin.isError && (
              <p className="form-error" role="alert">
                {errorMessage(begin.error)}
              </p>
            )}
            <button className="btn btn-primary" onClick={() => begin.mutate()} disabled={begin.isPending}>
              {begin.isPending ? 'Preparing…' : 'Begin'}
            </button>
          </>
        ) : (
          <form onSubmit={submit}>
            <p>Scan this code with the app, or type the secret in by hand.</p>
            <Suspense fallback={<Loading label="Drawing the QR code…" />}>
              <QrCode text={begin.data.otpauthUrl} label="QR code of the authenticator secret" />
            </Suspense>
            <p className="mono secret" aria-label="Secret">
              {begin.data.secret}
            </p>
            {me.user.totpEnabled && (
              <label className="field">
                <span className="field-label">Code from your current authenticator</span>
                <input
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  required
                  value={currentCode}
                  onChange={(e) => setCurrentCode(e.target.value)}
                />
              </label>
            )}
            <label className="field">
              <span className="field-label">Code from the new authenticator</span>
              <input
                inputMode="numeric"
                autoComplete="one-time-code"
                pattern="[0-9]{6,8}"
                required
                autoFocus
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
            </label>
            {confirm.isError && (
              <p className="form-error" role="alert">
                {errorMessage(confirm.error)}
              </p>
            )}
            <button type="submit" className="btn btn-primary" disabled={confirm.isPending}>
              {confirm.isPending ? 'Checking…' : 'Confirm'}
            </button>
          </form>
        )}
        {!me.mustEnrollTotp && (
          <Link to="/" className="btn btn-link">
            Back to the dashboard
          </Link>
        )}
        <button type="button" className="btn btn-link" onClick={() => void logout()}>
          Sign out
        </button>
      </div>
    </main>
  )
}
