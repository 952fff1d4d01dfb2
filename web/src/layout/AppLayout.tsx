import { Suspense } from 'react'
import { NavLink, Navigate, Outlet, Link } from 'react-router'
import { useAuth, useMe } from '../auth/session'
import { can } from '../auth/permissions'
import { TenantProvider } from '../tenant/tenant'
import { LiveEventsProvider } from '../live/live'
import { P } from '../auth/permissions'
import { TenantSwitcher } from '../tenant/TenantSwitcher'
import { ThemeSelect } from '../theme/ThemeSelect'
import { Empty, Loading } from '../ui/States'
import { NAV } from './nav'

export function AppLayout() {
  const me = useMe()
  const { logout } = useAuth()
  const items = NAV.filter((n) => can(me, n.perm))
  return (
    <TenantProvider>
      {/* One event stream per signed-in shell; API keys cannot open one. */}
      <LiveEventsProvider enabled={me.kind === 'user' && can(me, P.devicesRead)}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <div className="shell">
        <aside className="sidebar">
          <Link to="/" className="brand brand-small">
            Breeze
          </Link>
          <nav aria-label="Main">
            <ul>
              {items.map((n) => (
                <li key={n.to}>
                  <NavLink to={n.to} className={({ isActive }) => (isActive ? 'nav-link active' : 'nav-link')}>
                    {n.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
        </aside>
        <div className="workspace">
          <header className="topbar">
            <TenantSwitcher />
            <div className="topbar-end">
              <ThemeSelect />
              <span className="whoami" title={me.user.email}>
                {me.user.name || me.user.email}
              </span>
              <Link to="/enroll-totp" className="btn btn-small">
                {me.user.totpEnabled ? 'Replace 2FA' : 'Set up 2FA'}
              </Link>
              <button type="button" className="btn btn-small" onClick={() => void logout()}>
                Sign out
              </button>
            </div>
          </header>
          <main id="main" tabIndex={-1} className="content">
            <Suspense fallback={<Loading />}>
              <Outlet />
            </Suspense>
          </main>
        </div>
      </div>
      </LiveEventsProvider>
    </TenantProvider>
  )
}

/** The first section the caller may open. */
export function Home() {
  const me = useMe()
  const first = NAV.find((n) => can(me, n.perm))
  if (first) return <Navigate to={first.to} replace />
  return (
    <Empty title="Nothing to show yet.">
      Your account has no role that opens a section of the dashboard. Ask an administrator for a grant.
    </Empty>
  )
}

export function NotFound() {
  return (
    <Empty title="This page does not exist.">
      <Link to="/">Go to the start page</Link>
    </Empty>
  )
}
