import type { Plugin } from '../api/types'

const STATES: Record<string, { label: string; tone: string }> = {
  running: { label: 'Running', tone: 'pill-ok' },
  starting: { label: 'Starting', tone: 'pill-warn' },
  backoff: { label: 'Restarting', tone: 'pill-warn' },
  failed: { label: 'Failed', tone: 'pill-bad' },
  stopped: { label: 'Stopped', tone: '' },
  disabled: { label: 'Disabled', tone: '' },
}

/** A plugin state as a pill, in words (never colour alone); also used for agent-reported states. */
export function PluginStatePill({ state }: { state: string }) {
  const s = STATES[state] ?? { label: state, tone: '' }
  return <span className={`pill ${s.tone}`.trim()}>{s.label}</span>
}

/** A plugin's process state in words (never colour alone), its restarts and last error as text. */
export function PluginStateBadge({ plugin, full }: { plugin: Plugin; full?: boolean }) {
  if (!plugin.state) {
    // Agent-side plugins run on the devices; the server has no process to report.
    return <span className="muted">{plugin.side === 'agent' ? 'On agents' : '—'}</span>
  }
  const restarts = plugin.restarts ?? 0
  return (
    <div className="plugin-state">
      <PluginStatePill state={plugin.state} />
      {restarts > 0 && (
        <span className="muted">
          {' '}
          {restarts} restart{restarts === 1 ? '' : 's'}
        </span>
      )}
      {plugin.lastError && (
        <p className={full ? 'plugin-error' : 'plugin-error plugin-error-clip'} title={full ? undefined : plugin.lastError}>
          {plugin.lastError}
        </p>
      )}
    </div>
  )
}
