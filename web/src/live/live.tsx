// The React side of live updates: one stream per signed-in shell, shared by
// every screen through context. Screens poll only while it is not connected.

import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { applyLiveEvent, parseLiveEvent, type LiveEvent } from './events'
import { openLiveSocket } from './socket'

/** Polling interval while there is no live stream. */
export const LIVE_FALLBACK_POLL_MS = 60_000

type Listener = (ev: LiveEvent) => void

const Ctx = createContext<{ connected: boolean; listeners?: Set<Listener> }>({ connected: false })

export function LiveEventsProvider({ enabled, children }: { enabled: boolean; children: ReactNode }) {
  const qc = useQueryClient()
  const [connected, setConnected] = useState(false)
  const [listeners] = useState(() => new Set<Listener>())
  useEffect(() => {
    if (!enabled) return
    const stop = openLiveSocket({
      onMessage: (raw) => {
        const ev = parseLiveEvent(raw)
        if (!ev) return
        applyLiveEvent(qc, ev)
        listeners.forEach((fn) => fn(ev))
      },
      onState: (up, reconnected) => {
        setConnected(up)
        // Events were missed while the stream was down: read again what is on screen.
        if (up && reconnected) void qc.invalidateQueries()
      },
    })
    return () => {
      stop()
      setConnected(false)
    }
  }, [enabled, qc, listeners])
  return <Ctx.Provider value={{ connected, listeners }}>{children}</Ctx.Provider>
}

/** Whether the live stream is connected, so callers poll only while it is not. */
export function useLiveEvents(): { connected: boolean } {
  return useContext(Ctx)
}

/** Calls fn with every frame of the stream while the caller is mounted (screens whose data no cache patch keeps fresh). */
export function useLiveEventListener(fn: Listener): void {
  const { listeners } = useContext(Ctx)
  const latest = useRef(fn)
  useEffect(() => {
    latest.current = fn
  })
  useEffect(() => {
    if (!listeners) return
    const l: Listener = (ev) => latest.current(ev)
    listeners.add(l)
    return () => {
      listeners.delete(l)
    }
  }, [listeners])
}
