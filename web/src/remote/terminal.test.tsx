import { describe, expect, it, vi } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { ApiError } from '../api/client'
import { json, makeMe, mockApi, sessionRoutes, apiError } from '../test/api'
import { device } from '../test/devices'
import { renderApp } from '../test/render'
import { FakeWebSocket, mockWebSocket } from '../test/ws'
import { decodeBase64, openTerminal, type TerminalState } from './terminalSession'
import { cspStyleElement } from './cspStyle'

// xterm needs a real layout engine: a recording stand-in takes its place.
const terms: FakeTerm[] = []
class FakeTerm {
  cols = 80
  rows = 24
  written: Uint8Array[] = []
  disposed = false
  private dataFns: ((d: string) => void)[] = []
  private resizeFns: ((s: { cols: number; rows: number }) => void)[] = []
  constructor() {
    terms.push(this)
  }
  loadAddon() {}
  open(el: HTMLElement) {
    el.appendChild(document.createElement('div')).className = 'xterm-rows'
  }
  focus() {}
  write(b: Uint8Array) {
    this.written.push(b)
  }
  onData(fn: (d: string) => void) {
    this.dataFns.push(fn)
    return { dispose() {} }
  }
  onResize(fn: (s: { cols: number; rows: number }) => void) {
    this.resizeFns.push(fn)
    return { dispose() {} }
  }
  dispose() {
    this.disposed = true
  }
  type(d: string) {
    this.dataFns.forEach((f) => f(d))
  }
  resize(cols: number, rows: number) {
    this.cols = cols
    this.rows = rows
    this.resizeFns.forEach((f) => f({ cols, rows }))
  }
}
vi.mock('@xterm/xterm', () => ({ Terminal: FakeTerm }))
vi.mock('@xterm/addon-fit', () => ({ FitAddon: class { fit() {} } }))

const d = device(5, { hostname: 'web-05', status: 'online' })
const b64 = (s: string) => btoa(s)

describe('the terminal protocol', () => {
  it('opens with a ticket, sends input and resizes, writes decoded output, reports the end', async () => {
    FakeWebSocket.instances = []
    const states: TerminalState[] = []
    const out: string[] = []
    const s = openTerminal(
      'dev 1',
      { cols: 100, rows: 30 },
      { output: (b) => out.push(new TextDecoder().decode(b)), state: (x) => states.push(x) },
      { getTicket: async (id) => `tk-${id}`, WebSocketImpl: FakeWebSocket as unknown as typeof WebSocket },
    )
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(1))
    const ws = FakeWebSocket.instances[0]!
    const url = new URL(ws.url)
    expect(url.pathname).toBe('/api/v1/terminal/dev%201')
    expect(Object.fromEntries(url.searchParams)).toEqual({ ticket: 'tk-dev 1', cols: '100', rows: '30' })
    s.input('lost') // not open yet: dropped, not thrown
    ws.open()
    ws.push({ type: 'ready', sessionId: 's1' })
    s.input('echo $((6*7))\r')
    s.resize(120, 40)
    expect(ws.sent).toEqual([
      { type: 'input', data: 'echo $((6*7))\r' },
      { type: 'resize', cols: 120, rows: 40 },
    ])
    ws.push({ type: 'output', data: b64('42\r\n') })
    ws.push({ type: 'output', data: '%%%not base64' })
    expect(out).toEqual(['42\r\n'])
    ws.push({ type: 'closed', reason: 'shell exited', exitCode: 0 })
    ws.drop()
    expect(states).toEqual([
      { kind: 'connecting' },
      { kind: 'open', sessionId: 's1' },
      { kind: 'closed', reason: 'shell exited', exitCode: 0 },
    ])
  })

  it('explains a refused ticket and a lost connection', async () => {
    const states: TerminalState[] = []
    openTerminal('d', { cols: 80, rows: 24 }, { output: () => {}, state: (x) => states.push(x) }, {
      getTicket: () => Promise.reject(new ApiError(403, 'forbidden', 'no')),
    })
    await waitFor(() => expect(states.at(-1)).toMatchObject({ kind: 'error', message: 'You do not have remote access to this device.' }))

    FakeWebSocket.instances = []
    const st2: TerminalState[] = []
    openTerminal('d', { cols: 80, rows: 24 }, { output: () => {}, state: (x) => st2.push(x) }, {
      getTicket: async () => 't',
      WebSocketImpl: FakeWebSocket as unknown as typeof WebSocket,
    })
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(1))
    FakeWebSocket.instances[0]!.open()
    FakeWebSocket.instances[0]!.push({ type: 'error', code: 'agent_offline', message: 'The device is offline.' })
    expect(st2.at(-1)).toEqual({ kind: 'error', code: 'agent_offline', message: 'The device is offline.' })
  })

  it('decodes base64 into bytes', () => expect([...decodeBase64('AP8=')]).toEqual([0, 255]))
})

describe('the Terminal tab', () => {
  it('connects xterm to the device and shows the session state', async () => {
    const sockets = mockWebSocket()
    const { calls } = mockApi({
      ...sessionRoutes(),
      'GET /devices/:id': () => json(d),
      'POST /ws-tickets': (c) => json({ ticket: (c.body as { purpose: string }).purpose === 'terminal' ? 'term-1' : 'ev-1', expiresAt: '' }, 201),
    })
    const user = userEvent.setup()
    const { unmount } = renderApp(`/devices/${d.id}`)
    await user.click(await screen.findByRole('tab', { name: 'Terminal' }))
    await waitFor(() => expect(sockets.some((s) => s.url.includes('/terminal/'))).toBe(true))
    expect(calls.find((c) => c.path === '/ws-tickets' && (c.body as { purpose: string }).purpose === 'terminal')!.body).toEqual({
      purpose: 'terminal',
      deviceId: d.id,
    })
    const ws = sockets.find((s) => s.url.includes('/terminal/'))!
    expect(ws.query.get('ticket')).toBe('term-1')
    ws.open()
    ws.push({ type: 'ready', sessionId: 's' })
    expect(await screen.findByText('Connected to web-05')).toBeTruthy()
    const term = terms.at(-1)!
    term.type('ls\r')
    term.resize(132, 43)
    expect(ws.sent).toEqual([
      { type: 'input', data: 'ls\r' },
      { type: 'resize', cols: 132, rows: 43 },
    ])
    ws.push({ type: 'output', data: b64('<img src=x onerror=alert(1)>') })
    expect(new TextDecoder().decode(term.written[0])).toBe('<img src=x onerror=alert(1)>')
    ws.push({ type: 'closed', reason: 'idle timeout' })
    expect(await screen.findByText('Session closed: idle timeout')).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'Reconnect' }))
    await waitFor(() => expect(sockets.filter((s) => s.url.includes('/terminal/'))).toHaveLength(2))
    expect(term.disposed).toBe(true)
    unmount()
    expect(sockets.filter((s) => s.url.includes('/terminal/'))[1]!.closedWith).toBe(1000)
  })

  it('is disabled with an explanation without remote:access on the device, and asks for no ticket', async () => {
    mockWebSocket()
    // an Org Viewer of this org, and a technician of another org
    for (const me of [
      makeMe({ grants: [{ level: 'org', orgId: 'org-1', permissions: ['devices:read', 'scripts:read'] }] }, ['devices:read', 'scripts:read']),
      makeMe({ grants: [{ level: 'org', orgId: 'org-2', permissions: ['devices:read', 'remote:access'] }] }, ['devices:read', 'remote:access']),
    ]) {
      const { calls } = mockApi({ ...sessionRoutes(me), 'GET /devices/:id': () => json(d), 'POST /ws-tickets': () => apiError(403, 'forbidden') })
      const user = userEvent.setup()
      const { unmount } = renderApp(`/devices/${d.id}`)
      const tab = await screen.findByRole('tab', { name: 'Terminal' })
      expect(tab.getAttribute('aria-disabled')).toBe('true')
      expect(tab.getAttribute('title')).toMatch(/remote:access/)
      expect(within(screen.getByRole('tablist')).getByRole('tab', { name: 'Files' }).getAttribute('aria-disabled')).toBe('true')
      await user.click(tab)
      expect(await screen.findByText('The terminal is not available.')).toBeTruthy()
      expect(screen.getByText(/does not grant remote access/)).toBeTruthy()
      expect(calls.some((c) => c.path === '/ws-tickets' && (c.body as { purpose: string }).purpose === 'terminal')).toBe(false)
      unmount()
    }
  })
})

describe('xterm under the CSP', () => {
  it('turns a style element into an adopted stylesheet and removes it again', () => {
    // jsdom has constructable sheets but no adoptedStyleSheets: give the document one, as browsers do
    Object.defineProperty(document, 'adoptedStyleSheets', { configurable: true, writable: true, value: [] })
    const doc = document as unknown as { adoptedStyleSheets: CSSStyleSheet[] }
    try {
      const el = cspStyleElement(document)
      expect(el.tagName).toBe('BREEZE-STYLE')
      document.body.appendChild(el)
      el.textContent = '.xterm-rows span { display: inline-block; }'
      expect(el.textContent).toContain('inline-block')
      expect(el.childNodes).toHaveLength(0) // nothing inline in the DOM
      expect(doc.adoptedStyleSheets).toHaveLength(1)
      expect(doc.adoptedStyleSheets[0]!.cssRules[0]!.cssText).toContain('inline-block')
      el.textContent = '.a { color: red; }'
      expect(doc.adoptedStyleSheets[0]!.cssRules[0]!.cssText).toContain('red')
      el.remove()
      expect(el.isConnected).toBe(false)
      expect(doc.adoptedStyleSheets).toHaveLength(0)
    } finally {
      delete (document as unknown as { adoptedStyleSheets?: unknown }).adoptedStyleSheets
    }
  })
})
