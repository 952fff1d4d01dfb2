import { useState } from 'react'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { errorMessage } from '../api/client'
import type { Plugin, PluginOrgSettings, PluginTestResult } from '../api/types'
import { Dialog } from '../ui/Dialog'
import { SettingsFields, useSettingsDraft } from './SettingsForm'
import { pluginKeys, saveOrgSettings, testPlugin } from './usePlugins'

/** One organization's switch and settings for a plugin; alert channels can send a test. */
export function OrgSettingsDialog({
  plugin,
  orgId,
  orgName,
  entry,
  onClose,
}: {
  plugin: Plugin
  orgId: string
  orgName: string
  entry?: PluginOrgSettings
  onClose: () => void
}) {
  const qc = useQueryClient()
  const form = useSettingsDraft(plugin.settingsSchema, entry?.settings ?? {})
  const [enabled, setEnabled] = useState(entry?.enabled ?? false)
  const [savedEnabled, setSavedEnabled] = useState(entry?.enabled ?? false)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [saved, setSaved] = useState(false)
  const dirty = form.touched || enabled !== savedEnabled

  const save = useMutation({
    mutationFn: (settings: PluginOrgSettings['settings']) => saveOrgSettings(plugin.id, orgId, { enabled, settings }),
    onSuccess: (out) => {
      form.reset(out?.settings ?? {})
      setSavedEnabled(out?.enabled ?? enabled)
      setEnabled(out?.enabled ?? enabled)
      setSaved(true)
      void qc.invalidateQueries({ queryKey: pluginKeys.orgs(plugin.id) })
    },
  })
  const test = useMutation<PluginTestResult>({ mutationFn: () => testPlugin(plugin.id, orgId) })

  const submit = () => {
    setSaved(false)
    test.reset()
    const built = form.build()
    setErrors(built.errors)
    if (Object.keys(built.errors).length > 0) return
    save.mutate(built.settings)
  }

  const canTest = plugin.kind === 'alert_channel'
  return (
    <Dialog
      title={`${plugin.name || plugin.id} — ${orgName}`}
      onClose={onClose}
      onSubmit={submit}
      noValidate
      wide
      footer={
        <>
          {canTest && (
            <button
              type="button"
              className="btn"
              disabled={dirty || !savedEnabled || test.isPending || save.isPending}
              title={dirty ? 'Save first: the test uses the saved settings.' : !savedEnabled ? 'Turn it on and save first.' : undefined}
              onClick={() => test.mutate()}
            >
              {test.isPending ? 'Testing…' : 'Test'}
            </button>
          )}
          <button type="button" className="btn" onClick={onClose}>
            Close
          </button>
          <button type="submit" className="btn btn-primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save'}
          </button>
        </>
      }
    >
      <label className="check">
        <input
          type="checkbox"
          checked={enabled}
          onChange={(e) => {
            setEnabled(e.target.checked)
            setSaved(false)
          }}
        />
        On for {orgName}
      </label>
      <h3 className="section-title">Settings</h3>
      <SettingsFields form={form} errors={errors} disabled={save.isPending} />
      {Object.keys(errors).length > 0 && (
        <p className="form-error" role="alert">
          Some settings need attention.
        </p>
      )}
      {save.isError && (
        <p className="form-error" role="alert">
          {errorMessage(save.error)}
        </p>
      )}
      <div role="status" aria-live="polite">
        {saved && !dirty && <p className="form-ok">Saved.</p>}
        {canTest && test.isSuccess && (
          <p className={test.data?.ok ? 'form-ok' : 'form-error'}>
            {test.data?.ok ? 'Test sent: ' : 'Test failed: '}
            {test.data?.message || (test.data?.ok ? 'ok' : 'no reason given')}
          </p>
        )}
      </div>
      {canTest && test.isError && (
        <p className="form-error" role="alert">
          Test failed: {errorMessage(test.error)}
        </p>
      )}
      {canTest && dirty && <p className="hint">The Test button sends a test alert with the saved settings: save first.</p>}
    </Dialog>
  )
}
