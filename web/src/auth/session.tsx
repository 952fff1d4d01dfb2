// The signed-in session: who the caller is (/me), sign-in and sign-out.

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { api, clearSession, errorMessage, onSessionExpired, refreshSession, request, setSession } from '../api/client'
import type { LoginResponse, Me } from '../api/types'

export type AuthState =
  | { status: 'loading' }
  | { status: 'anonymous'; reason?: string }
  | { status: 'error'; message: string }
  | { status: 'authenticated'; me: Me }

interface AuthContext {
  state: AuthState
  /** Signs in; rejects with ApiError (code totp_required asks for the code). */
  login: (email: string, password: string, totp?: string) => Promise<void>
  logout: () => Promise<void>
  /** Re-reads /me (after enrolling a second factor, for example). */
  reloadMe: () => Promise<void>
  retry: () => void
}

const Ctx = createContext<AuthContext | null>(null)

export function AuthProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient()
  const [state, setState] = useState<AuthState>({ status: 'loading' })
  const [attempt, setAttempt] = useState(0)

  const loadMe = useCallback(async () => {
    const me = await api.get<Me>('/me')
    setState({ status: 'authenticated', me })
  }, [])

  // A reload loses the in-memory token: the refresh cookie restores it.
  useEffect(() => {
    let live = true
    refreshSession()
      .then(async (ok) => {
        if (!live) return
        if (ok) await loadMe()
        else setState({ status: 'anonymous' })
      })
      .catch((e) => live && setState({ status: 'error', message: errorMessage(e) }))
    return () => {
      live = false
    }
  }, [loadMe, attempt])

  useEffect(
    () =>
      onSessionExpired(() => {
        clearSession()
        qc.clear()
        setState({ status: 'anonymous', reason: 'Your session ended. Sign in again.' })
      }),
    [qc],
  )

  const login = useCallback(
    async (email: string, password: string, totp?: string) => {
      const res = await request<LoginResponse>('POST', '/auth/login', {
        body: { email, password, ...(totp ? { totp } : {}) },
        auth: false,
      })
      setSession(res.accessToken, res.expiresIn)
      qc.clear()
      await loadMe()
    },
    [loadMe, qc],
  )

  const logout = useCallback(async () => {
    try {
      await api.post('/auth/logout')
    } catch {
      // the session is forgotten here whatever the server said
    }
    clearSession()
    qc.clear()
    setState({ status: 'anonymous' })
  }, [qc])

  const value = useMemo<AuthContext>(
    () => ({ state, login, logout, reloadMe: loadMe, retry: () => {
        setState({ status: 'loading' })
        setAttempt((n) => n + 1)
      },
    }),
    [state, login, logout, loadMe],
  )
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>
}

export function useAuth(): AuthContext {
  const c = useContext(Ctx)
  if (!c) throw new Error('useAuth outside AuthProvider')
  return c
}

/** The caller, inside the signed-in part of the app. */
export function useMe(): Me {
  const { state } = useAuth()
  if (state.status !== 'authenticated') throw new Error('useMe outside a session')
  return state.me
}
