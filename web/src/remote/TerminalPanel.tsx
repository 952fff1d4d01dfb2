// A remote shell in xterm.js. This module (xterm and its stylesheet) loads
// only when the Terminal tab opens.

import { useEffect, useRef, useState } from 'react'
import { Terminal } from '@xterm/xterm'
import { FitAddon } from '@xterm/addon-fit'
import '@xterm/xterm/css/xterm.css'
import { openTerminal, type TerminalSession, type TerminalState } from './terminalSession'

export default function TerminalPanel({ deviceId, hostname }: { deviceId: string; hostname: string }) {
  const box = useRef<HTMLDivElement>(null)
  const [state, setState] = useState<TerminalState>({ kind: 'connecting' })
  const [attempt, setAttempt] = useState(0)

  useEffect(() => {
    const el = box.current
    if (!el) return
    const term = new Terminal({
      cursorBlink: true,
      convertEol: false,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
      fontSize: 14,
      scrollback: 5000,
    })
    const fit = new FitAddon()
    term.loadAddon(fit)
    term.open(el)
    try {
      fit.fit()
    } catch {
      // not laid out yet (hidden): the observer below fits it later
    }
    const session: TerminalSession = openTerminal(
      deviceId,
      { cols: term.cols, rows: term.rows },
      {
        output: (bytes) => term.write(bytes),
        state: (s) => {
          setState(s)
          if (s.kind === 'open') term.focus()
        },
      },
    )
    const onData = term.onData((d) => session.input(d))
    const onResize = term.onResize(({ cols, rows }) => session.resize(cols, rows))
    const ro = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => {
      try {
        fit.fit()
      } catch {
        // ignore: detached
      }
    })
    ro?.observe(el)
    return () => {
      ro?.disconnect()
      onData.dispose()
      onResize.dispose()
      session.close()
      term.dispose()
    }
  }, [deviceId, attempt])

  const ended = state.kind === 'closed' || state.kind === 'error'
  return (
    <div className="terminal-panel">
      <div className="terminal-bar" role="status" aria-live="polite">
        {state.kind === 'connecting' && <span className="pill">Connecting…</span>}
        {state.kind === 'open' && <span className="pill pill-ok">Connected to {hostname}</span>}
        {state.kind === 'closed' && (
          <span className="pill pill-warn">
            Session closed: {state.reason}
            {state.exitCode !== undefined ? ` (exit code ${state.exitCode})` : ''}
          </span>
        )}
        {state.kind === 'error' && <span className="pill pill-bad">{state.message}</span>}
        {ended && (
          <button type="button" className="btn btn-small" onClick={() => setAttempt((n) => n + 1)}>
            Reconnect
          </button>
        )}
        <span className="hint">Sessions are audited and end after 15 minutes without input.</span>
      </div>
      <div ref={box} className={ended ? 'terminal-box terminal-ended' : 'terminal-box'} aria-label={`Terminal on ${hostname}`} />
    </div>
  )
}
