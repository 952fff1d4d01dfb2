import { NavLink } from 'react-router'

/** Switches between the routes and the dead-letter list. */
export function NotifyNav() {
  const cls = ({ isActive }: { isActive: boolean }) => (isActive ? 'tab active' : 'tab')
  return (
    <nav className="tabs" aria-label="Notifications">
      <NavLink to="/notifications" end className={cls}>
        Routes
      </NavLink>
      <NavLink to="/notifications/dead-letters" className={cls}>
        Dead letters
      </NavLink>
    </nav>
  )
}
