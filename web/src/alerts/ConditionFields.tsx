import type { ReactNode } from 'react'
import {
  COMMAND_ACTIONS,
  COMPARATORS,
  FACT_OPS,
  FACT_SOURCES,
  INVENTORY_FIELDS,
  METRICS,
  SOFTWARE_OPS,
  type RuleForm,
} from './ruleForm'

type Setter = <K extends keyof RuleForm>(k: K, v: RuleForm[K]) => void

interface Props {
  f: RuleForm
  set: Setter
  errors: Record<string, string>
}

/** A labelled text input bound to one form field, with its error. */
function Text({ k, label, f, set, errors, ...rest }: Props & { k: keyof RuleForm; label: string; placeholder?: string; inputMode?: 'numeric' | 'decimal'; maxLength?: number }) {
  const id = `rule-${k}-error`
  return (
    <div>
      <label className="field">
        <span className="field-label">{label}</span>
        <input
          value={f[k] as string}
          onChange={(e) => set(k, e.target.value as never)}
          aria-invalid={!!errors[k]}
          aria-describedby={errors[k] ? id : undefined}
          {...rest}
        />
      </label>
      {errors[k] && (
        <span className="field-error" id={id}>
          {errors[k]}
        </span>
      )}
    </div>
  )
}

function Select({ k, label, f, set, errors, children }: Props & { k: keyof RuleForm; label: string; children: ReactNode }) {
  const id = `rule-${k}-error`
  return (
    <div>
      <label className="field">
        <span className="field-label">{label}</span>
        <select value={f[k] as string} onChange={(e) => set(k, e.target.value as never)} aria-invalid={!!errors[k]} aria-describedby={errors[k] ? id : undefined}>
          {children}
        </select>
      </label>
      {errors[k] && (
        <span className="field-error" id={id}>
          {errors[k]}
        </span>
      )}
    </div>
  )
}

/** The fields of the form's condition kind. */
export function ConditionFields(p: Props) {
  switch (p.f.kind) {
    case 'metric_threshold':
      return <MetricFields {...p} />
    case 'device_offline':
      return <Text {...p} k="offlineMinutes" label="Offline for (minutes)" inputMode="numeric" />
    case 'inventory_fact':
      return <FactFields {...p} />
    case 'command_failed':
      return <CommandFields {...p} />
    case 'asset_new':
    case 'asset_gone':
      return <AssetFields {...p} />
    case 'plugin_failed':
      return (
        <fieldset className="fieldset">
          <legend>Plugin</legend>
          <Text {...p} k="pluginId" label="Plugin id (empty: any plugin)" placeholder="breeze.failedunits" maxLength={64} />
          <p className="hint">Opens when the agent reports the plugin failed; resolves when it reports none failed.</p>
        </fieldset>
      )
  }
  return null
}

function MetricFields(p: Props) {
  const { f } = p
  return (
    <fieldset className="fieldset">
      <legend>Threshold</legend>
      <div className="field-row">
        <Select {...p} k="metric" label="Metric">
          {METRICS.map((m) => (
            <option key={m.id} value={m.id}>
              {m.label}
            </option>
          ))}
        </Select>
        {f.metric === 'disk' && <Text {...p} k="mount" label="Mount (empty: the fullest)" placeholder="/" maxLength={256} />}
        {(f.metric === 'net_rx' || f.metric === 'net_tx') && <Text {...p} k="iface" label="Interface (empty: the busiest)" placeholder="eth0" maxLength={64} />}
        <Select {...p} k="comparator" label="Comparator">
          {COMPARATORS.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </Select>
        <Text {...p} k="threshold" label="Threshold" inputMode="decimal" />
      </div>
      {f.metric === 'plugin' && (
        <div className="field-row">
          <Text {...p} k="plugin" label="Plugin id" placeholder="breeze.failedunits" maxLength={64} />
          <Text {...p} k="pluginMetric" label="Plugin metric" placeholder="systemd.failed_units" maxLength={200} />
        </div>
      )}
      <div className="field-row">
        <Text {...p} k="durationSeconds" label="For (seconds)" inputMode="numeric" />
        <Text {...p} k="clearThreshold" label="Clears at (optional)" inputMode="decimal" placeholder="the threshold" />
      </div>
      <p className="hint">A firing alert resolves once the value is back past “clears at”, so a value hovering at the threshold opens one alert, not fifty.</p>
    </fieldset>
  )
}

function FactFields(p: Props) {
  const { f } = p
  return (
    <fieldset className="fieldset">
      <legend>Inventory</legend>
      <div className="field-row">
        <Select {...p} k="factSource" label="Compare">
          {FACT_SOURCES.map((s) => (
            <option key={s.id} value={s.id}>
              {s.label}
            </option>
          ))}
        </Select>
        {f.factSource === 'fact' && <Text {...p} k="factPlugin" label="Plugin id" placeholder="breeze.failedunits" maxLength={64} />}
        {f.factSource === 'fact' && <Text {...p} k="factKey" label="Fact key" placeholder="systemd.failed_count" maxLength={200} />}
        {f.factSource === 'inventory' && (
          <Select {...p} k="factKey" label="Field">
            <option value="">Choose…</option>
            {INVENTORY_FIELDS.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </Select>
        )}
        {f.factSource === 'software' && <Text {...p} k="factName" label="Package name" placeholder="telnet" maxLength={200} />}
      </div>
      <div className="field-row">
        {f.factSource === 'software' ? (
          <Select {...p} k="factOp" label="Alert when it">
            <option value="">Choose…</option>
            {SOFTWARE_OPS.map((o) => (
              <option key={o.id} value={o.id}>
                {o.label}
              </option>
            ))}
          </Select>
        ) : (
          <>
            <Select {...p} k="factOp" label="Comparison">
              <option value="">Choose…</option>
              {FACT_OPS.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </Select>
            <Text {...p} k="factValue" label="Value" maxLength={1000} />
          </>
        )}
      </div>
      <p className="hint">Judged at each inventory report: the alert opens when it matches and resolves when a later report no longer does.</p>
    </fieldset>
  )
}

function CommandFields(p: Props) {
  return (
    <fieldset className="fieldset">
      <legend>Command</legend>
      <div className="field-row">
        <Select {...p} k="cmdAction" label="Action">
          <option value="">Any action</option>
          {COMMAND_ACTIONS.map((a) => (
            <option key={a.id} value={a.id}>
              {a.label}
            </option>
          ))}
        </Select>
        <Text {...p} k="cmdScriptId" label="Script id (optional)" maxLength={36} />
        <Text {...p} k="autoResolveMinutes" label="Resolve after (minutes, 0: at the next success)" inputMode="numeric" />
      </div>
      <p className="hint">Opens when a matching command fails or times out; resolves when the same action or script next succeeds on the device.</p>
    </fieldset>
  )
}

function AssetFields(p: Props) {
  const { f, set } = p
  const isNew = f.kind === 'asset_new'
  return (
    <fieldset className="fieldset">
      <legend>Discovered hosts</legend>
      <label className="check">
        <input
          type="checkbox"
          checked={isNew ? f.assetIncludeBack : f.assetTrackedOnly}
          onChange={(e) => (isNew ? set('assetIncludeBack', e.target.checked) : set('assetTrackedOnly', e.target.checked))}
        />{' '}
        {isNew ? 'Also when a host that was gone comes back' : 'Only hosts tracked as network devices'}
      </label>
      <Text {...p} k="autoResolveMinutes" label={isNew ? 'Resolve after (minutes, 0: by hand)' : 'Resolve after (minutes, 0: when the host is back)'} inputMode="numeric" />
      <p className="hint">
        {isNew
          ? 'Opens when a discovery scan finds a host the site never had. The alert belongs to the scanning agent (or the host’s own device, when it is managed); while it stands, further new hosts are on the Discovery page.'
          : 'Opens when a complete discovery scan misses a host it had (tracked hosts are checked every minute); resolves when the host is seen again.'}
      </p>
    </fieldset>
  )
}
