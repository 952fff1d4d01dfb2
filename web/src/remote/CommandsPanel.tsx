// The device's command history (newest first, live status) and the quick
// actions (api/actions.ts says which). Reboot, uninstall, cancelling a
// command, killing a process and restarting a service ask first.

import { Fragment, useState } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { ApiError, api, errorMessage } from '../api/client'
import { ACTIONS, CONFIRMED_ACTIONS, QUICK_ACTIONS, actionLabel, type ConfirmedAction } from '../api/actions'
import type { Command, CommandAction, DeviceDetail, ProcessInfo, ServiceInfo } from '../api/types'
import { commandKeys, isFinal } from '../live/events'
import { ConfirmDialog } from '../ui/ConfirmDialog'
import { Empty, ErrorState, Loading } from '../ui/States'
import { dateTime, relative } from '../ui/format'
import { CommandResult } from './CommandResult'
import { CommandStatusBadge } from './CommandStatusBadge'
import { KillProcessDialog, type KillSignal } from './KillProcessDialog'
import { text, type ResultActions } from './ResultTables'
import { newIdempotencyKey, useCommand, useDeviceCommands } from './useCommands'

/** What a confirmation dialog is open for. */
type Asking =
  | { kind: 'confirm'; action: ConfirmedAction }
  | { kind: 'cancel'; c: Command }
  | { kind: 'kill'; p: ProcessInfo }
  | { kind: 'restart'; s: ServiceInfo }

/** A command that has not reached a final state can still be cancelled. */
const CANCELLABLE = new Set(['queued', 'sent', 'running'])

export function CommandsPanel({ device, canExecute, live }: { device: DeviceDetail; canExecute: boolean; live: boolean }) {
  const qc = useQueryClient()
  const { query, commands } = useDeviceCommands(device.id, live)
  const [open, setOpen] = useState<Set<string>>(new Set())
  const [asking, setAsking] = useState<Asking | null>(null)
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const usable = canExecute && device.status !== 'decommissioned'

  const send = async (action: CommandAction, payload?: unknown) => {
    setBusy(action)
    setError(null)
    try {
      const c = await api.post<Command>(`/devices/${encodeURIComponent(device.id)}/commands`, {
        action,
        ...(payload !== undefined ? { payload } : {}),
        idempotencyKey: newIdempotencyKey(),
      })
      setOpen((s) => new Set(s).add(c.id))
      await qc.invalidateQueries({ queryKey: commandKeys.device(device.id) })
    } catch (e) {
      setError(errorMessage(e))
      throw e
    } finally {
      setBusy(null)
    }
  }
  // 409: the command finished meanwhile. The server's message says so; the
  // dialog closes and the history is read again to show the final state.
  const cancel = async (c: Command) => {
    setError(null)
    try {
      await api.post<Command>(`/commands/${encodeURIComponent(c.id)}/cancel`)
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 409) throw e
      setError(errorMessage(e))
    }
    await qc.invalidateQueries({ queryKey: commandKeys.device(device.id) })
  }
  const rowActions: ResultActions | undefined = usable
    ? { onKill: (p) => setAsking({ kind: 'kill', p }), onRestart: (s) => setAsking({ kind: 'restart', s }) }
    : undefined
  const toggle = (id: string) =>
    setOpen((s) => {
      const n = new Set(s)
      if (n.has(id)) n.delete(id)
      else n.add(id)
      return n
    })

  return (
    <div className="commands">
      {usable ? (
        <div className="quick-actions" role="group" aria-label="Quick actions">
          {QUICK_ACTIONS.map((a) => (
            <button key={a} type="button" className="btn btn-small" disabled={busy !== null} onClick={() => void send(a).catch(() => {})}>
              {busy === a ? 'Sending…' : actionLabel(a)}
            </button>
          ))}
          {CONFIRMED_ACTIONS.map((a) => (
            <button
              key={a}
              type="button"
              className="btn btn-small btn-danger"
              disabled={busy !== null}
              onClick={() => setAsking({ kind: 'confirm', action: a })}
            >
              {actionLabel(a)}…
            </button>
          ))}
          {device.status !== 'online' && (
            <span className="hint">The device is {device.status}: commands wait in the queue until it connects (or expire).</span>
          )}
        </div>
      ) : (
        <p className="hint">
          {device.status === 'decommissioned'
            ? 'The device is decommissioned: it takes no more commands.'
            : 'Sending commands needs the devices:execute permission on this device’s organization or site.'}
        </p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {query.isPending ? (
        <Loading label="Loading the command history…" />
      ) : query.isError ? (
        <ErrorState error={query.error} onRetry={() => void query.refetch()} />
      ) : commands.length === 0 ? (
        <Empty title="No commands yet.">Commands sent to this device, and their results, are listed here.</Empty>
      ) : (
        <table className="table">
          <caption>Command history</caption>
          <thead>
            <tr>
              <th scope="col">Action</th>
              <th scope="col">Status</th>
              <th scope="col">Exit code</th>
              <th scope="col">When</th>
              <th scope="col">
                <span className="visually-hidden">Details</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {commands.map((c) => (
              <Fragment key={c.id}>
                <tr>
                  <td>{actionLabel(c.action)}</td>
                  <td>
                    <CommandStatusBadge status={c.status} />
                  </td>
                  <td className="mono">{c.exitCode ?? '—'}</td>
                  <td title={dateTime(c.createdAt)}>{relative(c.createdAt)}</td>
                  <td className="actions">
                    <button
                      type="button"
                      className="btn btn-small"
                      aria-expanded={open.has(c.id)}
                      aria-controls={`cmd-${c.id}`}
                      onClick={() => toggle(c.id)}
                    >
                      {open.has(c.id) ? 'Hide' : 'Result'}
                    </button>
                    {canExecute && CANCELLABLE.has(c.status) && (
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        aria-label={`Cancel ${actionLabel(c.action)}`}
                        onClick={() => setAsking({ kind: 'cancel', c })}
                      >
                        Cancel…
                      </button>
                    )}
                  </td>
                </tr>
                {open.has(c.id) && (
                  <tr className="detail-row" id={`cmd-${c.id}`}>
                    <td colSpan={5}>
                      <Expanded c={c} actions={rowActions} />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
      {query.hasNextPage && (
        <button type="button" className="btn" disabled={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
          {query.isFetchingNextPage ? 'Loading…' : 'Older commands'}
        </button>
      )}
      {asking?.kind === 'confirm' && (
        <ConfirmDialog
          title={ACTIONS[asking.action].confirm.title(device.hostname)}
          confirmLabel={ACTIONS[asking.action].confirm.confirmLabel}
          danger
          onClose={() => setAsking(null)}
          onConfirm={() => send(asking.action)}
        >
          <p>{ACTIONS[asking.action].confirm.body}</p>
        </ConfirmDialog>
      )}
      {asking?.kind === 'cancel' && (
        <ConfirmDialog
          title={`Cancel “${actionLabel(asking.c.action)}” on ${device.hostname}?`}
          confirmLabel="Cancel command"
          dismissLabel="Keep it"
          danger
          onClose={() => setAsking(null)}
          onConfirm={() => cancel(asking.c)}
        >
          <p>
            The command is {asking.c.status}. A command the agent has already started may have done part of its work.
          </p>
        </ConfirmDialog>
      )}
      {asking?.kind === 'kill' && (
        <KillProcessDialog
          process={asking.p}
          hostname={device.hostname}
          onClose={() => setAsking(null)}
          onConfirm={(signal: KillSignal) => send('kill_process', { pid: Number(asking.p.pid), signal })}
        />
      )}
      {asking?.kind === 'restart' && (
        <ConfirmDialog
          title={`Restart ${text(asking.s.name)} on ${device.hostname}?`}
          confirmLabel="Restart"
          danger
          onClose={() => setAsking(null)}
          onConfirm={() => send('restart_service', { name: text(asking.s.name) })}
        >
          <p>The service stops and starts again; whoever uses it is cut off for a moment.</p>
        </ConfirmDialog>
      )}
    </div>
  )
}

/** A final command whose bodies are missing (it came through a live event) is read once. */
function Expanded({ c, actions }: { c: Command; actions?: ResultActions }) {
  const needsBodies = isFinal(c.status) && c.stdout === undefined && c.stderr === undefined
  const full = useCommand(c, needsBodies)
  if (!isFinal(c.status)) return <p className="hint">Waiting for the agent: {c.status.replace('_', ' ')}.</p>
  if (needsBodies && full.isPending) return <Loading label="Loading the result…" />
  return <CommandResult c={full.data ? { ...c, ...full.data } : c} actions={actions} />
}
