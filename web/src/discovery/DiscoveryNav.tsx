import { NavLink } from 'react-router'

/** Switches between the discovered assets and the profiles that find them. */
export function DiscoveryNav() {
  const cls = ({ isActive }: { isActive: boolean }) => (isActive ? 'tab active' : 'tab')
  return (
    <nav className="tabs" aria-label="Discovery">
      <NavLink to="/discovery" end className={cls}>
        Assets
      </NavLink>
      <NavLink to="/discovery/profiles" className={cls}>
        Profiles
      </NavLink>
    </nav>
  )
}
