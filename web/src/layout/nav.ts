import { P } from '../auth/permissions'

export interface NavItem {
  to: string
  label: string
  perm: string
}

/** The sections of the dashboard, each shown to callers holding its permission. */
export const NAV: NavItem[] = [
  { to: '/home', label: 'Overview', perm: P.devicesRead },
  { to: '/devices', label: 'Devices', perm: P.devicesRead },
  { to: '/alerts', label: 'Alerts', perm: P.alertsRead },
  { to: '/alert-rules', label: 'Alert rules', perm: P.alertsWrite },
  { to: '/notifications', label: 'Notifications', perm: P.alertsRead },
  { to: '/maintenance', label: 'Maintenance', perm: P.alertsRead },
  { to: '/scripts', label: 'Scripts', perm: P.scriptsRead },
  { to: '/schedules', label: 'Schedules', perm: P.scriptsRead },
  { to: '/discovery', label: 'Discovery', perm: P.discoveryRead },
  { to: '/enrollment-keys', label: 'Enrollment keys', perm: P.enrollWrite },
  { to: '/users', label: 'Users', perm: P.usersRead },
  { to: '/roles', label: 'Roles', perm: P.rolesRead },
  { to: '/api-keys', label: 'API keys', perm: P.apiKeysRead },
  { to: '/audit', label: 'Audit log', perm: P.auditRead },
  { to: '/partner-security', label: 'Partner security', perm: P.partnersWrite },
  { to: '/plugins', label: 'Plugins', perm: P.pluginsManage },
  { to: '/agent-updates', label: 'Agent updates', perm: P.devicesRead },
]
