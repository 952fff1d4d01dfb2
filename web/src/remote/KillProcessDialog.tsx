// Asks before killing a process, and with which signal: TERM lets it clean
// up (the default), KILL does not.

import { useId, useState } from 'react'
import type { ProcessInfo } from '../api/types'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { text } from './ResultTables'

export type KillSignal = 'TERM' | 'KILL'

interface Props {
  process: ProcessInfo
  hostname: string
  onConfirm: (signal: KillSignal) => Promise<unknown>
  onClose: () => void
}

export function KillProcessDialog({ process: p, hostname, onConfirm, onClose }: Props) {
  const [signal, setSignal] = useState<KillSignal>('TERM')
  const name = useId()
  return (
    <ConfirmDialog
      title={`Kill process ${text(p.pid)} on ${hostname}?`}
      confirmLabel={signal === 'KILL' ? 'Kill now' : 'Kill'}
      danger
      onClose={onClose}
      onConfirm={() => onConfirm(signal)}
    >
      <p>
        <span className="mono">{text(p.name)}</span>
        {p.user ? <> (user {text(p.user)})</> : null}
      </p>
      {p.cmdline ? <p className="mono cell-wrap">{text(p.cmdline)}</p> : null}
      <fieldset className="field">
        <legend>Signal</legend>
        <label>
          <input type="radio" name={name} value="TERM" checked={signal === 'TERM'} onChange={() => setSignal('TERM')} /> TERM: ask it to
          stop (it may save its work)
        </label>
        <label>
          <input type="radio" name={name} value="KILL" checked={signal === 'KILL'} onChange={() => setSignal('KILL')} /> KILL: stop it at
          once (unsaved work is lost)
        </label>
      </fieldset>
    </ConfirmDialog>
  )
}
