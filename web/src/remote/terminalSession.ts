// The terminal's wire protocol (notes/api.md), apart from xterm so it can be
// tested alone: a one-use ticket for the device, then
// GET /api/v1/terminal/:deviceId?ticket=&cols=&rows= as a WebSocket.
//   browser → server: {type:"input", data} | {type:"resize", cols, rows}
//   server → browser: {type:"ready", sessionId} | {type:"output", data: base64}
//                     | {type:"closed", reason, exitCode?} | {type:"error", code, message}

import { api, ApiError } from '../api/client'
import type { WsTicket } from '../api/types'
import { wsUrl } from '../live/socket'

export type TerminalState =
  | { kind: 'connecting' }
  | { kind: 'open'; sessionId: string }
  | { kind: 'closed'; reason: string; exitCode?: number }
  | { kind: 'error'; code: string; message: string }

export interface TerminalHandlers {
  output: (bytes: Uint8Array) => void
  state: (s: TerminalState) => void
}

export interface TerminalSession {
  input: (data: string) => void
  resize: (cols: number, rows: number) => void
  close: () => void
}

export function terminalTicket(deviceId: string): Promise<string> {
  return api.post<WsTicket>('/ws-tickets', { purpose: 'terminal', deviceId }).then((t) => t.ticket)
}

export function decodeBase64(s: string): Uint8Array {
  const bin = atob(s)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

function ticketError(e: unknown): TerminalState {
  if (e instanceof ApiError) {
    if (e.status === 403) return { kind: 'error', code: e.code, message: 'You do not have remote access to this device.' }
    if (e.status === 404) return { kind: 'error', code: e.code, message: 'This device does not exist, or you cannot reach it.' }
    return { kind: 'error', code: e.code, message: e.message }
  }
  return { kind: 'error', code: 'network', message: 'The server cannot be reached.' }
}

export function openTerminal(
  deviceId: string,
  size: { cols: number; rows: number },
  h: TerminalHandlers,
  deps: { getTicket?: (deviceId: string) => Promise<string>; WebSocketImpl?: typeof WebSocket } = {},
): TerminalSession {
  let ws: WebSocket | null = null
  let closed = false
  let final = false // a closed or error frame already said how it ended
  let pendingSize = size
  h.state({ kind: 'connecting' })

  const sendJson = (m: unknown) => {
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(m))
  }

  void (async () => {
    let ticket: string
    try {
      ticket = await (deps.getTicket ?? terminalTicket)(deviceId)
    } catch (e) {
      if (!closed) h.state(ticketError(e))
      return
    }
    if (closed) return
    const WS = deps.WebSocketImpl ?? window.WebSocket
    const socket = new WS(wsUrl(`/terminal/${encodeURIComponent(deviceId)}`, { ticket, cols: pendingSize.cols, rows: pendingSize.rows }))
    ws = socket
    socket.onopen = () => {
      // the size may have changed while the ticket was on its way
      if (pendingSize.cols !== size.cols || pendingSize.rows !== size.rows) sendJson({ type: 'resize', ...pendingSize })
    }
    socket.onmessage = (m: MessageEvent) => {
      if (typeof m.data !== 'string') return
      let f: Record<string, unknown>
      try {
        f = JSON.parse(m.data) as Record<string, unknown>
      } catch {
        return
      }
      switch (f.type) {
        case 'ready':
          h.state({ kind: 'open', sessionId: String(f.sessionId ?? '') })
          break
        case 'output':
          if (typeof f.data === 'string') {
            try {
              h.output(decodeBase64(f.data))
            } catch {
              // not base64: drop the frame
            }
          }
          break
        case 'closed':
          final = true
          h.state({
            kind: 'closed',
            reason: String(f.reason ?? 'closed'),
            ...(typeof f.exitCode === 'number' ? { exitCode: f.exitCode } : {}),
          })
          break
        case 'error':
          final = true
          h.state({ kind: 'error', code: String(f.code ?? 'error'), message: String(f.message ?? 'The session failed.') })
          break
      }
    }
    socket.onclose = (e: CloseEvent) => {
      ws = null
      if (closed || final) return
      h.state({ kind: 'closed', reason: e.reason || 'The connection was lost.' })
    }
  })()

  return {
    input: (data) => sendJson({ type: 'input', data }),
    resize: (cols, rows) => {
      pendingSize = { cols, rows }
      sendJson({ type: 'resize', cols, rows })
    },
    close: () => {
      closed = true
      const s = ws
      ws = null
      if (s) {
        s.onclose = null
        s.onmessage = null
        s.close(1000)
      }
    },
  }
}
