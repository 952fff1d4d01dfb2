import { useState } from 'react'
import { useMutation } from '@tanstack/react-query'
import { errorMessage } from '../api/client'
import { useMe } from '../auth/session'
import { severityLabel } from '../alerts/Badges'
import { SEVERITIES, type Severity } from '../alerts/types'
import { useOrgs, usePartners, useTenant } from '../tenant/tenant'
import { Dialog } from '../ui/Dialog'
import { windowLabel } from './grouping'
import {
  DEFAULT_GROUP_AFTER,
  DEFAULT_GROUP_INTERVAL_SECONDS,
  MAX_GROUP_AFTER,
  MAX_GROUP_INTERVAL_SECONDS,
  MAX_RATE_PER_HOUR,
  type NotificationRoute,
  type RoutePatch,
} from './types'
import { createRoute, patchRoute, useAlertChannels } from './useNotify'

const PARTNER = 'partner:'

/** Creates a route, or changes one through PATCH (only the fields that changed; the owner never does). */
export function RouteDialog({ route, onClose, onSaved }: { route?: NotificationRoute; onClose: () => void; onSaved: () => void }) {
  const me = useMe()
  const { sel } = useTenant()
  const orgs = useOrgs()
  const partners = usePartners()
  const { channels, loading } = useAlertChannels()
  const [owner, setOwner] = useState(sel.orgId ?? '')
  const [name, setName] = useState(route?.name ?? '')
  const [channelId, setChannelId] = useState(route?.channelId ?? '')
  const [severities, setSeverities] = useState<Severity[]>(route?.severities ?? ['critical'])
  const [rate, setRate] = useState(String(route?.ratePerHour ?? 0))
  const [groupAfter, setGroupAfter] = useState(String(route?.groupAfter ?? DEFAULT_GROUP_AFTER))
  const [groupInterval, setGroupInterval] = useState(String(route?.groupIntervalSeconds ?? DEFAULT_GROUP_INTERVAL_SECONDS))
  const [enabled, setEnabled] = useState(route?.enabled ?? true)
  const [invalid, setInvalid] = useState<string | null>(null)

  // Partner defaults: every partner the caller reads, else the caller's own.
  const partnerOptions = partners.data?.length
    ? partners.data.map((p) => ({ id: p.id, name: p.name }))
    : [{ id: me.user.partnerId, name: 'your partner' }]

  const save = useMutation({
    mutationFn: async () => {
      const ratePerHour = Number(rate)
      const grouping = { groupAfter: Number(groupAfter), groupIntervalSeconds: Number(groupInterval) }
      if (!route) {
        const target = owner.startsWith(PARTNER) ? { partnerId: owner.slice(PARTNER.length) } : { orgId: owner }
        return createRoute({ ...target, name: name.trim(), channelId: channelId.trim(), severities, ratePerHour, ...grouping, enabled })
      }
      const patch: RoutePatch = {}
      if (name.trim() !== route.name) patch.name = name.trim()
      if (channelId.trim() !== route.channelId) patch.channelId = channelId.trim()
      if ([...severities].sort().join() !== [...route.severities].sort().join()) patch.severities = severities
      if (ratePerHour !== route.ratePerHour) patch.ratePerHour = ratePerHour
      if (grouping.groupAfter !== route.groupAfter) patch.groupAfter = grouping.groupAfter
      if (grouping.groupIntervalSeconds !== route.groupIntervalSeconds) patch.groupIntervalSeconds = grouping.groupIntervalSeconds
      if (enabled !== route.enabled) patch.enabled = enabled
      if (Object.keys(patch).length === 0) return route
      return patchRoute(route.id, patch)
    },
    onSuccess: onSaved,
  })

  const submit = () => {
    const r = Number(rate)
    const inRange = (v: string, max: number) => v.trim() !== '' && Number.isInteger(Number(v)) && Number(v) >= 0 && Number(v) <= max
    const problem = !route && !owner
      ? 'Choose what the route applies to.'
      : !name.trim()
        ? 'Give the route a name.'
        : !channelId.trim()
          ? 'Choose a channel.'
          : severities.length === 0
            ? 'Choose at least one severity.'
            : !Number.isInteger(r) || r < 0 || r > MAX_RATE_PER_HOUR
              ? `The rate limit is a whole number from 0 (no limit) to ${MAX_RATE_PER_HOUR.toLocaleString()}.`
              : !inRange(groupAfter, MAX_GROUP_AFTER)
                ? `Alerts sent alone per window is a whole number from 0 (no grouping) to ${MAX_GROUP_AFTER.toLocaleString()}.`
                : !inRange(groupInterval, MAX_GROUP_INTERVAL_SECONDS)
                  ? `The grouping window is a whole number of seconds from 0 (no grouping) to ${MAX_GROUP_INTERVAL_SECONDS.toLocaleString()} (a day).`
                  : null
    setInvalid(problem)
    if (!problem) save.mutate()
  }

  const toggleSeverity = (s: Severity) =>
    setSeverities((cur) => (cur.includes(s) ? cur.filter((x) => x !== s) : SEVERITIES.filter((x) => x === s || cur.includes(x))))

  const error = invalid ?? (save.isError ? errorMessage(save.error) : null)
  return (
    <Dialog
      title={route ? `Edit ${route.name}` : 'New notification route'}
      onClose={onClose}
      onSubmit={submit}
      noValidate
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : route ? 'Save' : 'Create'}
          </button>
        </>
      }
    >
      {!route && (
        <label className="field">
          <span className="field-label">Applies to</span>
          <select value={owner} onChange={(e) => setOwner(e.target.value)}>
            <option value="">Choose…</option>
            <optgroup label="Partner default (every organization)">
              {partnerOptions.map((p) => (
                <option key={p.id} value={PARTNER + p.id}>
                  Every organization of {p.name}
                </option>
              ))}
            </optgroup>
            <optgroup label="One organization">
              {orgs.data?.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </optgroup>
          </select>
        </label>
      )}
      <label className="field">
        <span className="field-label">Name</span>
        <input value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
      </label>
      {channels ? (
        <label className="field">
          <span className="field-label">Channel</span>
          <select value={channelId} onChange={(e) => setChannelId(e.target.value)}>
            <option value="">Choose…</option>
            {channelId && !channels.some((c) => c.id === channelId) && <option value={channelId}>{channelId} (not installed)</option>}
            {channels.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
                {c.enabled ? '' : ' (disabled)'}
              </option>
            ))}
          </select>
          {channels.length === 0 && <span className="hint">No alert-channel plugin is installed: install one on the Plugins page.</span>}
        </label>
      ) : (
        <label className="field">
          <span className="field-label">Channel plugin id</span>
          <input
            value={channelId}
            maxLength={200}
            disabled={loading}
            placeholder="breeze.webhook"
            title="An installed alert-channel plugin"
            onChange={(e) => setChannelId(e.target.value)}
          />
        </label>
      )}
      <fieldset className="field">
        <legend className="field-label">Severities</legend>
        <div className="severity-checks">
          {SEVERITIES.map((s) => (
            <label key={s} className="check">
              <input type="checkbox" checked={severities.includes(s)} onChange={() => toggleSeverity(s)} />
              {severityLabel(s)}
            </label>
          ))}
        </div>
      </fieldset>
      <label className="field">
        <span className="field-label">Rate limit (alerts per hour, 0: no limit)</span>
        <input type="number" min={0} max={MAX_RATE_PER_HOUR} step={1} value={rate} onChange={(e) => setRate(e.target.value)} />
      </label>
      <fieldset className="field">
        <legend className="field-label">Storm grouping</legend>
        <div className="field-row">
          <label className="field">
            <span className="field-label">Alerts sent alone per window</span>
            <input
              type="number"
              min={0}
              max={MAX_GROUP_AFTER}
              step={1}
              value={groupAfter}
              aria-describedby="route-grouping-hint"
              onChange={(e) => setGroupAfter(e.target.value)}
            />
          </label>
          <label className="field">
            <span className="field-label">Window (seconds)</span>
            <input
              type="number"
              min={0}
              max={MAX_GROUP_INTERVAL_SECONDS}
              step={1}
              value={groupInterval}
              aria-describedby="route-grouping-hint"
              onChange={(e) => setGroupInterval(e.target.value)}
            />
          </label>
        </div>
        <span className="hint" id="route-grouping-hint">
          {groupingHint(groupAfter, groupInterval)}
        </span>
      </fieldset>
      <label className="check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        Enabled
      </label>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  )
}

/** The grouping hint, in the numbers typed so far. */
export function groupingHint(after: string, interval: string): string {
  const a = Number(after)
  const w = Number(interval)
  const off = '0 in either turns grouping off.'
  if (after.trim() === '' || interval.trim() === '' || !Number.isInteger(a) || !Number.isInteger(w) || a < 0 || w < 0)
    return `Per window, the first alerts go out alone, the rest as one digest at its end; ${off}`
  if (a === 0 || w === 0) return `Grouping is off: every alert goes out alone (${off})`
  const first = a === 1 ? 'the first alert goes' : `the first ${a.toLocaleString()} alerts go`
  return `Per ${windowLabel(w)} window, ${first} out alone, the rest as one digest at its end; ${off}`
}
