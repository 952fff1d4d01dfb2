import type { Me } from '../api/types'

// Permission names (core/domain/permissions.go).
export const P = {
  partnersRead: 'partners:read',
  partnersWrite: 'partners:write',
  orgsRead: 'orgs:read',
  orgsWrite: 'orgs:write',
  sitesRead: 'sites:read',
  groupsRead: 'device-groups:read',
  devicesRead: 'devices:read',
  devicesWrite: 'devices:write',
  devicesExecute: 'devices:execute',
  remoteAccess: 'remote:access',
  scriptsRead: 'scripts:read',
  scriptsWrite: 'scripts:write',
  usersRead: 'users:read',
  usersWrite: 'users:write',
  rolesRead: 'roles:read',
  rolesWrite: 'roles:write',
  apiKeysRead: 'api-keys:read',
  apiKeysWrite: 'api-keys:write',
  enrollWrite: 'enrollment-keys:write',
  auditRead: 'audit:read',
  pluginsManage: 'plugins:manage',
  alertsRead: 'alerts:read',
  alertsAck: 'alerts:acknowledge',
  alertsWrite: 'alerts:write',
  discoveryRead: 'discovery:read',
  discoveryManage: 'discovery:manage',
} as const

/** Whether the caller holds perm anywhere (the server still scopes every answer). */
export function can(me: Me | undefined, perm: string): boolean {
  return !!me && me.permissions.includes(perm)
}

export interface Scope {
  partnerId?: string
  orgId?: string
  siteId?: string
}

/**
 * Whether a grant of the caller holds perm over a resource in scope (a
 * device's partner, org and site). The UI uses it to explain, not to
 * protect: the server decides.
 */
export function canOn(me: Me | undefined, perm: string, scope: Scope): boolean {
  if (!me) return false
  return me.grants.some((g) => {
    if (!g.permissions.includes(perm)) return false
    switch (g.level) {
      case 'global':
        return true
      case 'partner':
        return !!g.partnerId && g.partnerId === scope.partnerId
      case 'org':
        return !!g.orgId && g.orgId === scope.orgId
      case 'site':
        return !!g.siteId && g.siteId === scope.siteId
      default:
        return false
    }
  })
}

/** Whether a global grant holds perm (installing plugins puts executables on the server). */
export function canGlobally(me: Me | undefined, perm: string): boolean {
  return !!me && me.grants.some((g) => g.level === 'global' && g.permissions.includes(perm))
}
