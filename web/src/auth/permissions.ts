import type { Me } from '../api/types'

// Permission names (core/domain/permissions.go).
export const P = {
  partnersRead: 'partners:read',
  orgsRead: 'orgs:read',
  sitesRead: 'sites:read',
  groupsRead: 'device-groups:read',
  devicesRead: 'devices:read',
  devicesWrite: 'devices:write',
  usersRead: 'users:read',
  usersWrite: 'users:write',
  rolesRead: 'roles:read',
  rolesWrite: 'roles:write',
  apiKeysRead: 'api-keys:read',
  apiKeysWrite: 'api-keys:write',
  enrollWrite: 'enrollment-keys:write',
  auditRead: 'audit:read',
} as const

/** Whether the caller holds perm anywhere (the server still scopes every answer). */
export function can(me: Me | undefined, perm: string): boolean {
  return !!me && me.permissions.includes(perm)
}
