// When a schedule runs: the cron helper (common shapes or a raw
// expression) or a one-off date and time, read in the chosen zone.

import { useState } from 'react'
import { timeZones } from '../maintenance/windowForm'
import { cronOf, cronProblem, DAYS, PRESETS, type CronForm, type Preset } from './cron'
import { FirePreview, PREVIEW_COUNT } from './FirePreview'
import { MAX_SPREAD_SECONDS, type ScheduleForm } from './scheduleForm'
import type { PreviewRequest } from './types'
import { zonedToInstant } from './zoned'

type SetField = <K extends keyof ScheduleForm>(k: K, v: ScheduleForm[K]) => void

/** The preview question of the form's timing; null until it is complete enough to ask. */
export function previewOf(f: ScheduleForm): PreviewRequest | null {
  if (!f.timezone) return null
  if (f.when === 'once') {
    const at = zonedToInstant(f.runAt, f.timezone)
    return at ? { runAt: at, timezone: f.timezone, count: PREVIEW_COUNT } : null
  }
  const sp = f.spreadSeconds.trim()
  const spread = /^\d+$/.test(sp) && Number(sp) > 0 && Number(sp) <= MAX_SPREAD_SECONDS ? { spreadSeconds: Number(sp) } : {}
  const saved = f.scheduleId ? { scheduleId: f.scheduleId } : {}
  // a raw expression goes to the server as typed: its 400 says what is wrong
  if (f.cron.preset === 'custom')
    return f.cron.raw.trim() ? { cron: f.cron.raw.trim(), timezone: f.timezone, count: PREVIEW_COUNT, ...spread, ...saved } : null
  return cronProblem(f.cron) ? null : { cron: cronOf(f.cron), timezone: f.timezone, count: PREVIEW_COUNT, ...spread, ...saved }
}

export function WhenFields({ f, set, errors }: { f: ScheduleForm; set: SetField; errors: Record<string, string> }) {
  const [zones] = useState(() => timeZones(f.timezone))
  const c = f.cron
  const setCron = (patch: Partial<CronForm>) => set('cron', { ...c, ...patch })
  const choosePreset = (p: Preset) =>
    // switching to the raw expression starts from what the helper built
    setCron(p === 'custom' && !c.raw.trim() && !cronProblem(c) ? { preset: p, raw: cronOf(c) } : { preset: p })
  const err = (k: string) =>
    errors[k] && (
      <span className="field-error" id={`schedule-${k}-error`}>
        {errors[k]}
      </span>
    )
  const described = (k: string) => ({ 'aria-invalid': !!errors[k], 'aria-describedby': errors[k] ? `schedule-${k}-error` : undefined })
  const time = (
    <label className="field">
      <span className="field-label">At</span>
      <input type="time" value={c.at} onChange={(e) => setCron({ at: e.target.value.slice(0, 5) })} {...described('cron')} />
    </label>
  )
  return (
    <fieldset className="fieldset">
      <legend>When</legend>
      <div className="field-row">
        <label className="field">
          <span className="field-label">Runs</span>
          <select value={f.when} onChange={(e) => set('when', e.target.value as ScheduleForm['when'])}>
            <option value="cron">On a repeating schedule</option>
            <option value="once">Once</option>
          </select>
        </label>
        <div>
          <label className="field">
            <span className="field-label">Time zone</span>
            <select value={f.timezone} onChange={(e) => set('timezone', e.target.value)} {...described('timezone')}>
              {zones.map((z) => (
                <option key={z} value={z}>
                  {z}
                </option>
              ))}
            </select>
          </label>
          {err('timezone')}
        </div>
      </div>
      {f.when === 'once' ? (
        <div>
          <label className="field">
            <span className="field-label">Date and time</span>
            <input type="datetime-local" value={f.runAt} onChange={(e) => set('runAt', e.target.value.slice(0, 16))} {...described('runAt')} />
          </label>
          {err('runAt')}
        </div>
      ) : (
        <>
          <div className="field-row">
            <label className="field">
              <span className="field-label">Repeats</span>
              <select value={c.preset} onChange={(e) => choosePreset(e.target.value as Preset)}>
                {PRESETS.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.label}
                  </option>
                ))}
              </select>
            </label>
            {c.preset === 'minutes' && (
              <label className="field">
                <span className="field-label">Every (minutes)</span>
                <input inputMode="numeric" value={c.everyMinutes} onChange={(e) => setCron({ everyMinutes: e.target.value })} {...described('cron')} />
              </label>
            )}
            {c.preset === 'hourly' && (
              <label className="field">
                <span className="field-label">Minutes past the hour</span>
                <input inputMode="numeric" value={c.minute} onChange={(e) => setCron({ minute: e.target.value })} {...described('cron')} />
              </label>
            )}
            {c.preset === 'monthly' && (
              <label className="field">
                <span className="field-label">Day of the month</span>
                <input inputMode="numeric" value={c.dayOfMonth} onChange={(e) => setCron({ dayOfMonth: e.target.value })} {...described('cron')} />
              </label>
            )}
            {(c.preset === 'daily' || c.preset === 'weekly' || c.preset === 'monthly') && time}
            {c.preset === 'custom' && (
              <label className="field">
                <span className="field-label">Cron expression</span>
                <input
                  className="mono"
                  value={c.raw}
                  maxLength={200}
                  placeholder="30 2 * * 1-5"
                  onChange={(e) => setCron({ raw: e.target.value })}
                  {...described('cron')}
                />
              </label>
            )}
          </div>
          {c.preset === 'weekly' && (
            <fieldset className="fieldset">
              <legend>Days</legend>
              {DAYS.map((d) => (
                <label key={d.n} className="check">
                  <input
                    type="checkbox"
                    checked={c.days.includes(d.n)}
                    onChange={() => setCron({ days: c.days.includes(d.n) ? c.days.filter((x) => x !== d.n) : [...c.days, d.n] })}
                  />
                  {d.label}
                </label>
              ))}
            </fieldset>
          )}
          {c.preset === 'custom' ? (
            <p className="hint">Five fields: minute, hour, day of the month, month, day of the week (0 or 7: Sunday).</p>
          ) : (
            !cronProblem(c) && (
              <p className="hint">
                Cron: <code>{cronOf(c)}</code>
              </p>
            )
          )}
          {err('cron')}
        </>
      )}
      {f.when === 'cron' && (
        <div>
          <label className="field">
            <span className="field-label">Spread (seconds)</span>
            <input inputMode="numeric" value={f.spreadSeconds} onChange={(e) => set('spreadSeconds', e.target.value)} {...described('spreadSeconds')} />
          </label>
          {err('spreadSeconds')}
          <p className="hint">
            Up to {MAX_SPREAD_SECONDS}. Each run starts this schedule’s own fixed number of seconds (below the spread) after the time, so
            many schedules on the same time do not all start in the same second.{' '}
            {f.scheduleId ? 'The next runs below include it.' : 'The next runs below are before it; saving fixes the offset.'}
          </p>
        </div>
      )}
      <p className="hint">
        Times are read in the chosen zone. A time a daylight-saving change skips runs once when the clock jumps past it; one it
        repeats runs once.
      </p>
      <FirePreview body={previewOf(f)} />
    </fieldset>
  )
}
