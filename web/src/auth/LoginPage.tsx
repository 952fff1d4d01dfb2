import { useState, type FormEvent } from 'react'
import { Navigate, useLocation } from 'react-router'
import { ApiError, errorMessage } from '../api/client'
import { useAuth } from './session'
import { Loading } from '../ui/States'

/** Email and password, then the authenticator code when the server asks for it. */
export function LoginPage() {
  const { state, login } = useAuth()
  const location = useLocation()
  const [step, setStep] = useState<'password' | 'totp'>('password')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  if (state.status === 'loading') return <Loading label="Restoring your session…" />
  if (state.status === 'authenticated') {
    const from = (location.state as { from?: string } | null)?.from
    return <Navigate to={from && from.startsWith('/') && !from.startsWith('//') ? from : '/'} replace />
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await login(email.trim(), password, step === 'totp' ? code.trim() : undefined)
    } catch (err) {
      if (err instanceof ApiError && err.code === 'totp_required') {
        setStep('totp')
        setCode('')
      } else if (err instanceof ApiError && err.status === 401) {
        setError(step === 'totp' ? 'That code is wrong or has expired.' : 'Email or password is wrong.')
      } else {
        setError(errorMessage(err))
      }
    } finally {
      setBusy(false)
    }
  }

  const reason = state.status === 'anonymous' ? state.reason : undefined
  return (
    <main className="login" id="main">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title" className="brand">
          Breeze
        </h1>
        {reason && step === 'password' && <p className="notice">{reason}</p>}
        {step === 'password' ? (
          <>
            <label className="field">
              <span className="field-label">Email</span>
              <input
                type="email"
                autoComplete="username"
                required
                autoFocus
                value={email}
                onChange={(e) => setEmail(e.target.value)}
              />
            </label>
            <label className="field">
              <span className="field-label">Password</span>
              <input
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
          </>
        ) : (
          <>
            <p>Enter the 6-digit code from your authenticator app.</p>
            <label className="field">
              <span className="field-label">Authentication code</span>
              <input
                inputMode="numeric"
                autoComplete="one-time-code"
                pattern="[0-9]{6,8}"
                maxLength={8}
                required
                autoFocus
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
            </label>
          </>
        )}
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Signing in…' : step === 'totp' ? 'Verify' : 'Sign in'}
        </button>
        {step === 'totp' && (
          <button
            type="button"
            className="btn btn-link"
            onClick={() => {
              setStep('password')
              setError(null)
            }}
          >
            Use another account
          </button>
        )}
      </form>
    </main>
  )
}
