import { describe, expect, it, vi } from 'vitest'
import { ApiError, api, clearSession, hasSession, onSessionExpired, refreshSession, request, setSession } from './client'
import { apiError, json, mockApi } from '../test/api'

describe('the API client', () => {
  it('sends the in-memory access token and keeps nothing in web storage', async () => {
    const { calls } = mockApi({ 'GET /me': () => json({ ok: true }) })
    setSession('secret-access-token', 900)
    await api.get('/me')
    expect(calls[0]!.headers.Authorization).toBe('Bearer secret-access-token')
    expect(calls[0]!.credentials).toBe('same-origin')
    expect(window.localStorage.length).toBe(0)
    expect(window.sessionStorage.length).toBe(0)
    expect(document.cookie).not.toContain('secret-access-token')
  })

  it('renews with the refresh cookie (empty JSON body) on 401 and retries once', async () => {
    let n = 0
    const { calls } = mockApi({
      'GET /devices': (c) =>
        c.headers.Authorization === 'Bearer fresh' ? json({ items: [], nextCursor: '' }) : apiError(401, 'unauthenticated'),
      'POST /auth/refresh': () => {
        n++
        return json({ accessToken: 'fresh', refreshToken: 'ignored', tokenType: 'Bearer', expiresIn: 900 })
      },
    })
    setSession('stale', 900)
    const page = await api.get<{ items: unknown[] }>('/devices')
    expect(page.items).toEqual([])
    expect(n).toBe(1)
    const refresh = calls.find((c) => c.path === '/auth/refresh')!
    expect(refresh.body).toEqual({})
    expect(refresh.credentials).toBe('same-origin')
    expect(refresh.headers.Authorization).toBeUndefined()
    // the refresh token of the answer is not kept anywhere script can read
    expect(JSON.stringify(window.localStorage)).not.toContain('ignored')
  })

  it('shares one refresh among concurrent 401s', async () => {
    let refreshes = 0
    mockApi({
      'GET /a': (c) => (c.headers.Authorization === 'Bearer fresh' ? json(1) : apiError(401, 'unauthenticated')),
      'POST /auth/refresh': async () => {
        refreshes++
        await new Promise((r) => setTimeout(r, 10))
        return json({ accessToken: 'fresh', refreshToken: 'x', tokenType: 'Bearer', expiresIn: 900 })
      },
    })
    setSession('stale', 900)
    await Promise.all([api.get('/a'), api.get('/a'), api.get('/a')])
    expect(refreshes).toBe(1)
  })

  it('reports an ended session when the refresh is refused', async () => {
    mockApi({
      'GET /me': () => apiError(401, 'unauthenticated', 'no session'),
      'POST /auth/refresh': () => apiError(401, 'unauthenticated'),
    })
    const expired = vi.fn()
    const off = onSessionExpired(expired)
    setSession('stale', 900)
    await expect(api.get('/me')).rejects.toMatchObject({ status: 401, code: 'unauthenticated' })
    expect(expired).toHaveBeenCalledTimes(1)
    expect(hasSession()).toBe(false)
    off()
  })

  it('does not refresh for the sign-in route itself', async () => {
    const { calls } = mockApi({ 'POST /auth/login': () => apiError(401, 'totp_required', 'a code is required') })
    const err = await request('POST', '/auth/login', { body: { email: 'a', password: 'b' }, auth: false }).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).code).toBe('totp_required')
    expect(calls.map((c) => c.path)).toEqual(['/auth/login'])
  })

  it('renews ahead of expiry', async () => {
    const { calls } = mockApi({
      'POST /auth/refresh': () => json({ accessToken: 'next', refreshToken: 'x', tokenType: 'Bearer', expiresIn: 900 }),
      'GET /me': () => json({}),
    })
    setSession('almost-expired', 10) // inside the 30 s margin
    await api.get('/me')
    expect(calls.map((c) => c.path)).toEqual(['/auth/refresh', '/me'])
    expect(calls[1]!.headers.Authorization).toBe('Bearer next')
  })

  it('turns error bodies, Retry-After and network failures into ApiError', async () => {
    mockApi({ 'GET /x': () => ({ status: 429, body: { error: { code: 'rate_limited', message: 'slow down' } }, headers: { 'Retry-After': '30' } }) })
    const e = (await api.get('/x').catch((x) => x)) as ApiError
    expect(e.status).toBe(429)
    expect(e.retryAfter).toBe(30)
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))))
    const n = (await api.get('/x').catch((x) => x)) as ApiError
    expect(n.code).toBe('network')
  })

  it('answers false from refreshSession without a cookie', async () => {
    mockApi({ 'POST /auth/refresh': () => apiError(401, 'unauthenticated') })
    clearSession()
    expect(await refreshSession()).toBe(false)
  })
})
