// A fake Breeze API for component tests: fetch is replaced by a router of
// handlers, and every call is recorded for assertions.

import { vi } from 'vitest'
import type { Me } from '../api/types'

export interface Call {
  method: string
  path: string // without the /api/v1 prefix and the query
  query: URLSearchParams
  body: unknown
  headers: Record<string, string>
  credentials?: RequestCredentials
}

export type Reply = { status?: number; body?: unknown; headers?: Record<string, string> } | undefined
export type Handler = (c: Call) => Reply | Promise<Reply>

export function json(body: unknown, status = 200): Reply {
  return { status, body }
}

export function apiError(status: number, code: string, message = code): Reply {
  return { status, body: { error: { code, message } } }
}

/** Installs a fake fetch; routes are "METHOD /path" → handler (first match wins, then fallback). */
export function mockApi(routes: Record<string, Handler>, fallback?: Handler) {
  const calls: Call[] = []
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://breeze.test')
    const method = (init.method ?? 'GET').toUpperCase()
    const path = url.pathname.replace(/^\/api\/v1/, '')
    const headers = Object.fromEntries(Object.entries((init.headers as Record<string, string>) ?? {}))
    let body: unknown
    if (typeof init.body === 'string') body = init.body === '' ? '' : JSON.parse(init.body)
    const call: Call = { method, path, query: url.searchParams, body, headers, credentials: init.credentials }
    calls.push(call)
    let handler = routes[`${method} ${path}`]
    if (!handler) {
      // "GET /devices/:id" style patterns
      for (const [k, h] of Object.entries(routes)) {
        const [m, p] = k.split(' ')
        if (m !== method || !p?.includes(':')) continue
        const re = new RegExp('^' + p.replace(/:[a-zA-Z]+/g, '[^/]+') + '$')
        if (re.test(path)) {
          handler = h
          break
        }
      }
    }
    const reply = (await (handler ?? fallback ?? (() => apiError(404, 'not_found')))(call)) ?? { status: 204 }
    const status = reply.status ?? 200
    return new Response(status === 204 ? null : JSON.stringify(reply.body ?? {}), {
      status,
      headers: { 'Content-Type': 'application/json', ...(reply.headers ?? {}) },
    })
  })
  vi.stubGlobal('fetch', fetchMock)
  return { calls, fetchMock }
}

export const ALL_PERMISSIONS = [
  'partners:read',
  'orgs:read',
  'sites:read',
  'device-groups:read',
  'devices:read',
  'devices:write',
  'devices:execute',
  'remote:access',
  'scripts:read',
  'scripts:write',
  'users:read',
  'users:write',
  'roles:read',
  'roles:write',
  'api-keys:read',
  'api-keys:write',
  'enrollment-keys:write',
  'audit:read',
  'plugins:manage',
]

export function makeMe(over: Partial<Me> = {}, permissions = ALL_PERMISSIONS): Me {
  return {
    user: {
      id: '0190e4c4-0000-7000-8000-0000000000aa',
      partnerId: 'p1',
      email: 'admin@demo.breeze.local',
      name: 'Demo Admin',
      status: 'active',
      totpEnabled: false,
      version: 1,
      createdAt: '2024-01-01T00:00:00Z',
      updatedAt: '2024-01-01T00:00:00Z',
    },
    kind: 'user',
    grants: [{ level: 'partner', partnerId: 'p1', permissions, roleName: 'Partner Admin' }],
    permissions,
    mustEnrollTotp: false,
    ...over,
  }
}

export const ORG = { id: 'org-1', partnerId: 'p1', name: 'Demo Customer', version: 1, createdAt: '', updatedAt: '' }
export const SITE = { id: 'site-1', partnerId: 'p1', orgId: 'org-1', name: 'HQ', timezone: '', version: 1, createdAt: '', updatedAt: '' }

/** Routes every signed-in screen needs: a live session, /me and the tenant lists. */
export function sessionRoutes(me: Me = makeMe()): Record<string, Handler> {
  return {
    'POST /auth/refresh': () => json({ accessToken: 'tok-1', refreshToken: 'r', tokenType: 'Bearer', expiresIn: 900 }),
    'GET /me': () => json(me),
    'GET /partners': () => json({ items: [{ id: 'p1', name: 'Demo MSP', requireTotp: false, version: 1, createdAt: '', updatedAt: '' }], nextCursor: '' }),
    'GET /orgs': () => json({ items: [ORG], nextCursor: '' }),
    'GET /sites': () => json({ items: [SITE], nextCursor: '' }),
    'GET /device-groups': () => json({ items: [], nextCursor: '' }),
  }
}
