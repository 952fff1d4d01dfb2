// The React side of live updates: one stream per signed-in shell, shared by
// every screen through context. Screens poll only while it is not connected.

import { createContext, useContext, useEffect, useState, type ReactNode } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { applyLiveEvent, parseLiveEvent } from './events'
import { openLiveSocket } from './socket'

/** Polling interval while there is no live stream. */
export const LIVE_FALLBACK_POLL_MS = 60_000

const Ctx = createContext<{ connected: boolean }>({ connected: false })

export function LiveEventsProvider({ enabled, children }: { enabled: boolean; children: ReactNode }) {
  const qc = useQueryClient()
  const [connected, setConnected] = useState(false)
  useEffect(() => {
    if (!enabled) return
    const stop = openLiveSocket({
      onMessage: (raw) => {
        const ev = parseLiveEvent(raw)
        if (ev) applyLiveEvent(qc, ev)
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
  }, [enabled, qc])
  return <Ctx.Provider value={{ connected }}>{children}</Ctx.Provider>
}

/** Whether the live stream is connected, so callers poll only while it is not. */
export function useLiveEvents(): { connected: boolean } {
  return useContext(Ctx)
}
