import { describe, expect, it, vi } from 'vitest'
import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import type { SettingsSchema, SettingValue } from '../api/types'
import { SettingsFields, useSettingsDraft } from './SettingsForm'
import { buildSettings, fieldsOf, initialDraft, SECRET_MASK } from './settings'

const XSS = '<img src=x onerror=alert(1)>'
const REAL = 's3cr3t-value-from-a-leaky-server'

const schema: SettingsSchema = {
  type: 'object',
  required: ['channel', 'token'],
  properties: {
    verbose: { type: 'boolean', title: 'Verbose', description: XSS },
    channel: { type: 'string', title: XSS, description: XSS, minLength: 2, pattern: '^#' },
    retries: { type: 'integer', title: 'Retries', minimum: 0, maximum: 5, default: 3 },
    ratio: { type: 'number', title: 'Ratio' },
    priority: { type: 'integer', title: 'Priority', enum: [1, 2, 3] },
    region: { type: 'string', title: 'Region', enum: ['eu', XSS] },
    token: { type: 'string', title: 'Token', secret: true },
    apiKey: { type: 'string', title: 'API key', secret: true },
  },
}

/** The form alone, with a Save that reports what it would send. */
function Harness({ stored, onBuilt }: { stored: Record<string, SettingValue>; onBuilt: (b: ReturnType<typeof buildSettings>) => void }) {
  const form = useSettingsDraft(schema, stored)
  const built = form.build()
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault()
        onBuilt(form.build())
      }}
    >
      <SettingsFields form={form} errors={built.errors} />
      <button type="submit">Save</button>
    </form>
  )
}

describe('settings from a schema', () => {
  it('orders required fields first and starts secrets empty', () => {
    const f = fieldsOf(schema)
    expect(f.map((x) => x.key)).toEqual(['channel', 'token', 'apiKey', 'priority', 'ratio', 'region', 'retries', 'verbose'])
    const d = initialDraft(f, { token: REAL, apiKey: SECRET_MASK, retries: 4, verbose: true, priority: 2 })
    expect(d).toMatchObject({ token: '', apiKey: '', retries: '4', verbose: true, priority: '2', channel: '' })
    expect(fieldsOf(null)).toEqual([])
  })

  it('builds typed settings, keeps untouched stored secrets and reports problems', () => {
    const f = fieldsOf(schema)
    const stored = { token: SECRET_MASK, apiKey: SECRET_MASK }
    const ok = buildSettings(f, { ...initialDraft(f, stored), channel: ' #ops ', retries: '2', ratio: '0.5', priority: '3', region: 'eu' }, stored)
    expect(ok.errors).toEqual({})
    expect(ok.settings).toEqual({ channel: '#ops', retries: 2, ratio: 0.5, priority: 3, region: 'eu', token: SECRET_MASK, apiKey: SECRET_MASK, verbose: false })

    const cleared = buildSettings(f, { ...initialDraft(f, stored), channel: '#ops' }, stored, new Set(['apiKey']))
    expect(cleared.settings).not.toHaveProperty('apiKey')
    expect(cleared.settings.token).toBe(SECRET_MASK)

    const bad = buildSettings(f, { ...initialDraft(f), channel: 'ops', retries: '1.5', ratio: 'x', priority: '9' })
    expect(bad.errors).toEqual({ channel: 'Must match ^#.', token: 'Required.', retries: 'Enter a whole number.', ratio: 'Enter a number.' })
    expect(bad.settings).not.toHaveProperty('priority') // not one of the enum: left out
    expect(buildSettings(f, { ...initialDraft(f), channel: '#', token: 'x' }).errors).toEqual({ channel: 'At least 2 characters.' })
    expect(buildSettings(f, { ...initialDraft(f), channel: '#ok', token: 'x', retries: '6' }).errors).toEqual({ retries: 'At most 5.' })
  })

  it('renders plugin-supplied strings as text', () => {
    const alert = vi.fn()
    vi.stubGlobal('alert', alert)
    const { container } = render(<Harness stored={{}} onBuilt={() => {}} />)
    expect(screen.getByLabelText(`${XSS} (required)`)).toBeTruthy() // the title, as a label
    expect(screen.getAllByText(XSS).length).toBeGreaterThanOrEqual(3) // title, descriptions
    expect(within(screen.getByLabelText('Region')).getByRole('option', { name: XSS })).toBeTruthy()
    expect(container.querySelector('img')).toBeNull()
    expect(container.querySelector('[onerror]')).toBeNull()
    expect(alert).not.toHaveBeenCalled()
  })

  it('renders each type as its control, secrets as password inputs', () => {
    render(<Harness stored={{ token: SECRET_MASK }} onBuilt={() => {}} />)
    expect(screen.getByLabelText('Verbose')).toHaveProperty('type', 'checkbox')
    const retries = screen.getByLabelText('Retries') as HTMLInputElement
    expect([retries.type, retries.min, retries.max, retries.step, retries.placeholder]).toEqual(['number', '0', '5', '1', '3'])
    expect(screen.getByLabelText('Ratio')).toHaveProperty('step', 'any')
    expect(screen.getByLabelText('Priority').tagName).toBe('SELECT')
    expect(within(screen.getByLabelText('Priority')).getAllByRole('option').map((o) => o.textContent)).toEqual(['Not set', '1', '2', '3'])
    const token = screen.getByLabelText('Token (required)') as HTMLInputElement
    expect([token.type, token.value, token.placeholder, token.required]).toEqual(['password', '', SECRET_MASK, false])
    const apiKey = screen.getByLabelText('API key') as HTMLInputElement
    expect([apiKey.type, apiKey.placeholder]).toEqual(['password', '']) // nothing stored
    expect(screen.getByText(/A value is stored\. Leave this empty to keep it/)).toBeTruthy()
  })

  it('never puts a stored secret into the DOM, even when the server sends it', async () => {
    const onBuilt = vi.fn()
    const user = userEvent.setup()
    const { container } = render(<Harness stored={{ channel: '#ops', token: REAL, apiKey: REAL }} onBuilt={onBuilt} />)
    expect(container.innerHTML).not.toContain(REAL)
    for (const i of container.querySelectorAll('input')) {
      expect(i.value).not.toContain(REAL)
      expect(i.placeholder).not.toContain(REAL)
    }
    await user.click(screen.getByRole('button', { name: 'Save' }))
    // Untouched: sent as the mask, so the server keeps what it has.
    expect(onBuilt.mock.calls[0]![0].settings).toMatchObject({ token: SECRET_MASK, apiKey: SECRET_MASK })
    expect(JSON.stringify(onBuilt.mock.calls[0]![0])).not.toContain(REAL)

    // Removing an optional stored secret leaves it out; the required one cannot be removed.
    expect(screen.queryAllByRole('button', { name: 'Remove stored value' })).toHaveLength(1)
    await user.click(screen.getByRole('button', { name: 'Remove stored value' }))
    expect(screen.getByText(/will be removed when you save/)).toBeTruthy()
    expect(screen.getByLabelText('API key')).toHaveProperty('placeholder', '')
    await user.type(screen.getByLabelText('Token (required)'), 'replacement')
    await user.click(screen.getByRole('button', { name: 'Save' }))
    const second = onBuilt.mock.calls[1]![0].settings
    expect(second.token).toBe('replacement')
    expect(second).not.toHaveProperty('apiKey')
  })

  it('is usable from the keyboard alone', async () => {
    const onBuilt = vi.fn()
    const user = userEvent.setup()
    render(<Harness stored={{}} onBuilt={onBuilt} />)
    screen.getByLabelText(`${XSS} (required)`).focus()
    await user.keyboard('#alerts')
    await user.tab()
    expect(document.activeElement).toBe(screen.getByLabelText('Token (required)'))
    await user.keyboard('tok')
    await user.tab() // API key
    await user.tab() // Priority
    await user.keyboard('{ArrowDown}') // select the next option, as a browser does with a focused <select>
    await user.tab() // Ratio
    await user.tab() // Region
    await user.tab() // Retries
    await user.tab() // Verbose
    expect(document.activeElement).toBe(screen.getByLabelText('Verbose'))
    await user.keyboard(' ')
    await user.keyboard('{Enter}')
    await user.click(screen.getByRole('button', { name: 'Save' }))
    expect(onBuilt.mock.lastCall![0].settings).toMatchObject({ channel: '#alerts', token: 'tok', verbose: true })
  })
})
