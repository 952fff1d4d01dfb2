// A fake browser WebSocket: tests open, push frames and close it by hand,
// and read what the page sent.

import { vi } from 'vitest'

export class FakeWebSocket {
  static instances: FakeWebSocket[] = []
  readonly url: string
  readyState = 0
  sent: unknown[] = []
  closedWith: number | undefined
  onopen: ((e: Event) => void) | null = null
  onmessage: ((e: MessageEvent) => void) | null = null
  onclose: ((e: CloseEvent) => void) | null = null
  onerror: ((e: Event) => void) | null = null
  constructor(url: string | URL) {
    this.url = String(url)
    FakeWebSocket.instances.push(this)
  }
  send(data: string) {
    this.sent.push(JSON.parse(data))
  }
  close(code?: number) {
    this.closedWith = code ?? 1000
    this.readyState = 3
  }
  // test side
  open() {
    this.readyState = 1
    this.onopen?.(new Event('open'))
  }
  push(frame: unknown) {
    this.onmessage?.(new MessageEvent('message', { data: JSON.stringify(frame) }))
  }
  drop(reason = '') {
    this.readyState = 3
    this.onclose?.(new CloseEvent('close', { code: 1006, reason }))
  }
  get query() {
    return new URL(this.url).searchParams
  }
}

/** Installs FakeWebSocket as window.WebSocket and returns the list of sockets opened. */
export function mockWebSocket() {
  FakeWebSocket.instances = []
  vi.stubGlobal('WebSocket', FakeWebSocket)
  return FakeWebSocket.instances
}
