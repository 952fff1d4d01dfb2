// The API client: one fetch wrapper that carries the access token, renews
// it with the refresh cookie, and turns error bodies into ApiError.
//
// Security: the access token lives only in this module's memory. The
// refresh token is the HttpOnly SameSite=Strict cookie the server sets on
// /api/v1/auth; script never sees it, and nothing here writes to web
// storage.

import type { TokenResponse } from './types'

export const API = '/api/v1'

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly requestId: string | undefined
  readonly retryAfter: number | undefined
  constructor(status: number, code: string, message: string, requestId?: string, retryAfter?: number) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.requestId = requestId
    this.retryAfter = retryAfter
  }
}

let accessToken: string | null = null
let expiresAt = 0 // ms since epoch
let refreshing: Promise<boolean> | null = null
const expiredListeners = new Set<() => void>()

/** Stores a fresh access token (memory only). */
export function setSession(token: string, expiresInSeconds: number): void {
  accessToken = token
  expiresAt = Date.now() + expiresInSeconds * 1000
}

/** Forgets the access token. */
export function clearSession(): void {
  accessToken = null
  expiresAt = 0
}

export function hasSession(): boolean {
  return accessToken !== null
}

/** Called when the session can no longer be renewed (signed out elsewhere, revoked). */
export function onSessionExpired(fn: () => void): () => void {
  expiredListeners.add(fn)
  return () => expiredListeners.delete(fn)
}

/**
 * Trades the refresh cookie for a new access token. Concurrent callers share
 * one request, so a burst of 401s spends the refresh token once.
 * Resolves false when there is no valid session; rejects on network errors.
 */
export function refreshSession(): Promise<boolean> {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const res = await fetch(`${API}/auth/refresh`, {
          method: 'POST',
          credentials: 'same-origin',
          cache: 'no-store',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: '{}', // no refreshToken in the body: the server reads the cookie
        })
        if (!res.ok) {
          clearSession()
          return false
        }
        const body = (await res.json()) as TokenResponse
        setSession(body.accessToken, body.expiresIn)
        return true
      } finally {
        refreshing = null
      }
    })()
  }
  return refreshing
}

export type Query = Record<string, string | number | boolean | undefined | null>

export function buildUrl(path: string, query?: Query): string {
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null || v === '') continue
    qs.set(k, String(v))
  }
  const s = qs.toString()
  return `${API}${path}${s ? `?${s}` : ''}`
}

export interface RequestOptions {
  query?: Query
  body?: unknown
  signal?: AbortSignal
  /** false for the sign-in routes: no token, no renewal on 401. */
  auth?: boolean
}

/** Turns an error answer's {"error":{code,message}} body into an ApiError. */
export function errorFromBody(status: number, statusText: string, text: string, requestId?: string, retryAfter?: number): ApiError {
  let code = `http_${status}`
  let message = statusText || `HTTP ${status}`
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } }
    if (body?.error?.code) code = body.error.code
    if (body?.error?.message) message = body.error.message
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(status, code, message, requestId, retryAfter)
}

async function toError(res: Response): Promise<ApiError> {
  const requestId = res.headers.get('X-Request-ID') ?? undefined
  const ra = Number(res.headers.get('Retry-After'))
  const retryAfter = Number.isFinite(ra) && ra > 0 ? ra : undefined
  let code = `http_${res.status}`
  let message = res.statusText || `HTTP ${res.status}`
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } }
    if (body?.error?.code) code = body.error.code
    if (body?.error?.message) message = body.error.message
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, code, message, requestId, retryAfter)
}

const RENEW_MARGIN_MS = 30_000

/** Performs one API call and decodes its JSON answer (undefined for 204). */
export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const auth = opts.auth !== false
  if (auth && accessToken && Date.now() > expiresAt - RENEW_MARGIN_MS) {
    await refreshSession().catch(() => false) // renew ahead of expiry; a 401 below retries anyway
  }
  const send = () => {
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (auth && accessToken) headers.Authorization = `Bearer ${accessToken}`
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json'
    return fetch(buildUrl(path, opts.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    })
  }
  let res: Response
  try {
    res = await send()
    if (res.status === 401 && auth) {
      if (await refreshSession()) {
        res = await send()
      } else {
        expiredListeners.forEach((fn) => fn())
      }
    }
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection and try again.')
  }
  if (!res.ok) throw await toError(res)
  if (res.status === 204) return undefined as T
  const text = await res.text()
  return (text ? JSON.parse(text) : undefined) as T
}

/**
 * Runs send with the caller's Authorization header, renewing the token ahead
 * of expiry and once after a 401, like request(). For answers that are not
 * JSON (file downloads) and transports other than fetch (XHR uploads with
 * progress). send resolves with anything that has a status.
 */
export async function withAuth<R extends { status: number }>(send: (headers: Record<string, string>) => Promise<R>): Promise<R> {
  if (accessToken && Date.now() > expiresAt - RENEW_MARGIN_MS) await refreshSession().catch(() => false)
  const headers = () => (accessToken ? { Authorization: `Bearer ${accessToken}` } : ({} as Record<string, string>))
  let res = await send(headers())
  if (res.status === 401) {
    if (await refreshSession().catch(() => false)) res = await send(headers())
    else expiredListeners.forEach((fn) => fn())
  }
  return res
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { query, signal }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body: body ?? {} }),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, { body }),
  del: (path: string) => request<void>('DELETE', path),
}

/** A message for people: the server's message, or a generic line. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 429 && e.retryAfter) return `${e.message} (try again in ${e.retryAfter} s)`
    return e.message
  }
  if (e instanceof Error) return e.message
  return 'Something went wrong.'
}

/**
 * POSTs a file as the raw request body (a plugin archive, an agent build)
 * and returns the JSON answer; errors as the JSON calls give them.
 */
export async function postRaw<T>(url: string, contentType: string, file: Blob, signal?: AbortSignal): Promise<T> {
  let res: Response
  try {
    res = await withAuth((headers) =>
      fetch(url, {
        method: 'POST',
        headers: { ...headers, Accept: 'application/json', 'Content-Type': contentType },
        credentials: 'same-origin',
        body: file,
        signal,
      }),
    )
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection and try again.')
  }
  const text = await res.text().catch(() => '')
  if (!res.ok) throw errorFromBody(res.status, res.statusText, text, res.headers.get('X-Request-ID') ?? undefined)
  return JSON.parse(text) as T
}
