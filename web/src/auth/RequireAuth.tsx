import { Navigate, Outlet, useLocation } from 'react-router'
import { useAuth } from './session'
import { ErrorState, Loading } from '../ui/States'

/** Guards the signed-in app; a partner that requires a second factor sends the user to enrol first. */
export function RequireAuth() {
  const { state, retry } = useAuth()
  const location = useLocation()
  if (state.status === 'loading') return <Loading label="Restoring your session…" />
  if (state.status === 'error')
    return (
      <main className="centered" id="main">
        <ErrorState error={new Error(state.message)} onRetry={retry} />
      </main>
    )
  if (state.status === 'anonymous') return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />
  if (state.me.mustEnrollTotp && location.pathname !== '/enroll-totp') return <Navigate to="/enroll-totp" replace />
  return <Outlet />
}
