// The browser's end of GET /api/v1/events: a one-use ticket from
// POST /ws-tickets, then a WebSocket; on any close a new ticket and a new
// socket after a jittered, growing delay (1 s … 30 s), so a restarting
// server is not stampeded by every open dashboard.

import { api, ApiError } from '../api/client'
import type { WsTicket } from '../api/types'

export interface LiveSocketOptions {
  onMessage: (data: unknown) => void
  /** connected: the socket is open; reconnected: it was open before (caches may be stale). */
  onState: (connected: boolean, reconnected: boolean) => void
  /** Overridable for tests. */
  getTicket?: () => Promise<string>
  WebSocketImpl?: typeof WebSocket
  random?: () => number
}

export const BACKOFF_MIN_MS = 1000
export const BACKOFF_MAX_MS = 30_000
/** A socket open this long counts as healthy: the next failure starts the backoff again. */
const HEALTHY_MS = 10_000

export function eventsTicket(): Promise<string> {
  return api.post<WsTicket>('/ws-tickets', { purpose: 'events' }).then((t) => t.ticket)
}

/** ws(s)://this-origin/api/v1/path?query */
export function wsUrl(path: string, query: Record<string, string | number>): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))
  return `${proto}//${window.location.host}/api/v1${path}?${qs}`
}

export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt)
  return Math.round(base / 2 + (random() * base) / 2)
}

/** Opens the stream and keeps it open; returns the teardown. */
export function openLiveSocket(opts: LiveSocketOptions): () => void {
  const getTicket = opts.getTicket ?? eventsTicket
  const WS = opts.WebSocketImpl ?? window.WebSocket
  let stopped = false
  let attempt = 0
  let everOpen = false
  let ws: WebSocket | null = null
  let timer: ReturnType<typeof setTimeout> | undefined

  const schedule = () => {
    if (stopped) return
    timer = setTimeout(run, backoffDelay(attempt, opts.random))
    attempt++
  }

  const run = async () => {
    let ticket: string
    try {
      ticket = await getTicket()
    } catch (e) {
      // Not allowed (an API key, no devices:read anywhere): stay on polling.
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) return
      schedule()
      return
    }
    if (stopped) return
    let socket: WebSocket
    try {
      socket = new WS(wsUrl('/events', { ticket }))
    } catch {
      schedule()
      return
    }
    ws = socket
    let openedAt = 0
    socket.onopen = () => {
      openedAt = Date.now()
      opts.onState(true, everOpen)
      everOpen = true
    }
    socket.onmessage = (m: MessageEvent) => {
      if (typeof m.data !== 'string') return
      let parsed: unknown
      try {
        parsed = JSON.parse(m.data)
      } catch {
        return
      }
      opts.onMessage(parsed)
    }
    socket.onclose = () => {
      if (ws === socket) ws = null
      if (stopped) return
      if (openedAt && Date.now() - openedAt > HEALTHY_MS) attempt = 0
      opts.onState(false, false)
      schedule()
    }
  }

  void run()
  return () => {
    stopped = true
    clearTimeout(timer)
    const s = ws
    ws = null
    if (s) {
      s.onclose = null
      s.onmessage = null
      s.close(1000)
    }
  }
}
