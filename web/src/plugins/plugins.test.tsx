import { describe, expect, it, vi } from 'vitest'
import { fireEvent, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import type { Plugin, PluginOrgSettings } from '../api/types'
import { ALL_PERMISSIONS, apiError, json, makeMe, mockApi, sessionRoutes } from '../test/api'
import { renderApp } from '../test/render'

const XSS = '<img src=x onerror=alert(1)>'
const STORED_SECRET = 'hunter2-the-real-stored-secret'

const webhook: Plugin = {
  id: 'breeze.webhook', name: 'Webhook', version: '1.0.0', kind: 'alert_channel', description: 'POSTs alerts as JSON.',
  side: 'server', signedBy: 'breeze-release-2024', enabled: true, state: 'backoff', lastError: 'exit status 2: connection refused',
  restarts: 3, installedAt: '2024-01-01T00:00:00Z', sha256: 'ab'.repeat(32),
  settingsSchema: {
    type: 'object',
    required: ['url'],
    properties: {
      url: { type: 'string', title: 'URL', format: 'uri', description: XSS },
      secret: { type: 'string', title: 'Signing secret', secret: true, maxLength: 256 },
      timeoutSeconds: { type: 'integer', title: 'Timeout (s)', minimum: 1, maximum: 60, default: 10 },
      level: { type: 'string', title: 'Level', enum: ['low', 'high'] },
      verbose: { type: 'boolean', title: 'Verbose' },
    },
  },
}
const tcpscan: Plugin = {
  id: 'breeze.tcpscan', name: 'TCP scan', version: '0.3.1', kind: 'scanner', side: 'agent', signedBy: 'unsigned (development)',
  enabled: false, settingsSchema: null,
}

const GLOBAL_ADMIN = makeMe({ grants: [{ level: 'global', permissions: ALL_PERMISSIONS, roleName: 'Platform Admin' }] })

function assertInert(root: HTMLElement) {
  expect(root.querySelector('img')).toBeNull()
  expect(root.querySelector('[onerror]')).toBeNull()
}

describe('plugins list', () => {
  it('is in the navigation only for plugins:manage holders', async () => {
    mockApi({ ...sessionRoutes(makeMe({}, ['devices:read'])), 'GET /devices': () => json({ items: [], nextCursor: '' }) })
    const first = renderApp('/devices')
    await screen.findByRole('heading', { name: 'Devices' })
    expect(within(screen.getByRole('navigation', { name: 'Main' })).queryByRole('link', { name: 'Plugins' })).toBeNull()
    first.unmount()

    mockApi({ ...sessionRoutes(), 'GET /plugins': () => json({ items: [] }), 'GET /devices': () => json({ items: [], nextCursor: '' }) })
    const user = userEvent.setup()
    renderApp('/devices')
    await user.click(await within(await screen.findByRole('navigation', { name: 'Main' })).findByRole('link', { name: 'Plugins' }))
    expect(await screen.findByText('No plugins installed.')).toBeTruthy()
  })

  it('shows each plugin with its state, restarts, last error and signer, all as text', async () => {
    vi.stubGlobal('alert', vi.fn())
    mockApi({
      ...sessionRoutes(),
      'GET /plugins': () => json({ items: [{ ...webhook, name: XSS, lastError: XSS, description: XSS }, tcpscan] }),
    })
    const { container } = renderApp('/plugins')
    const link = await screen.findByRole('link', { name: XSS })
    const row = link.closest('tr')!
    expect(within(row).getByText('breeze.webhook')).toBeTruthy()
    expect(within(row).getByText('1.0.0')).toBeTruthy()
    expect(within(row).getByText('Alert channel')).toBeTruthy()
    expect(within(row).getByText('Server')).toBeTruthy()
    expect(within(row).getByText('breeze-release-2024')).toBeTruthy()
    expect(within(row).getByText('Restarting')).toBeTruthy()
    expect(within(row).getByText(/3 restarts/)).toBeTruthy()
    expect(within(row).getByText(XSS, { selector: 'p' }).textContent).toBe(XSS)
    const agentRow = screen.getByRole('link', { name: 'TCP scan' }).closest('tr')!
    expect(within(agentRow).getByText('On agents')).toBeTruthy()
    expect(within(agentRow).getByText('unsigned (development)').className).toContain('pill-warn')
    assertInert(container)
    // A partner-level holder manages org settings only: no install, switch or remove.
    expect(screen.queryByRole('button', { name: 'Install plugin…' })).toBeNull()
    expect(screen.queryByRole('switch')).toBeNull()
    expect(screen.queryByRole('button', { name: 'Remove…' })).toBeNull()
    expect(within(row).getByText('On')).toBeTruthy()
  })

  it('shows the error state and retries', async () => {
    let fail = true
    mockApi({ ...sessionRoutes(), 'GET /plugins': () => (fail ? apiError(500, 'internal', 'store unavailable') : json({ items: [tcpscan] })) })
    const user = userEvent.setup()
    renderApp('/plugins')
    expect(await screen.findByText('store unavailable')).toBeTruthy()
    fail = false
    await user.click(screen.getByRole('button', { name: 'Try again' }))
    expect(await screen.findByRole('link', { name: 'TCP scan' })).toBeTruthy()
  })

  it('lets a global admin switch a plugin off only after confirming', async () => {
    let current = { ...webhook }
    const { calls } = mockApi({
      ...sessionRoutes(GLOBAL_ADMIN),
      'GET /plugins': () => json({ items: [current] }),
      'POST /plugins/:id/disable': () => {
        current = { ...current, enabled: false, state: 'disabled' }
        return json(current)
      },
    })
    const user = userEvent.setup()
    renderApp('/plugins')
    const sw = await screen.findByRole('switch', { name: 'Enabled: Webhook' })
    expect(sw.getAttribute('aria-checked')).toBe('true')
    await user.click(sw)
    fireEvent(await screen.findByRole('dialog', { name: 'Disable Webhook?' }), new Event('cancel', { cancelable: true }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(calls.some((c) => c.method === 'POST' && c.path.endsWith('/disable'))).toBe(false)

    sw.focus()
    await user.keyboard('{Enter}')
    const dialog = await screen.findByRole('dialog', { name: 'Disable Webhook?' })
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' })) // Enter again must not disable
    await user.click(within(dialog).getByRole('button', { name: 'Disable' }))
    await waitFor(() => expect(screen.getByRole('switch', { name: 'Enabled: Webhook' }).getAttribute('aria-checked')).toBe('false'))
    expect(calls.filter((c) => c.method === 'POST' && c.path === '/plugins/breeze.webhook/disable')).toHaveLength(1)
    expect(screen.getByText('Webhook is now disabled.')).toBeTruthy()
  })

  it('removes a plugin after confirmation', async () => {
    let items = [webhook, tcpscan]
    const { calls } = mockApi({
      ...sessionRoutes(GLOBAL_ADMIN),
      'GET /plugins': () => json({ items }),
      'DELETE /plugins/:id': (c) => {
        items = items.filter((p) => `/plugins/${p.id}` !== c.path)
        return { status: 204 }
      },
    })
    const user = userEvent.setup()
    renderApp('/plugins')
    const row = (await screen.findByRole('link', { name: 'TCP scan' })).closest('tr')!
    await user.click(within(row).getByRole('button', { name: 'Remove…' }))
    await user.click(within(await screen.findByRole('dialog', { name: 'Remove TCP scan?' })).getByRole('button', { name: 'Remove' }))
    await waitFor(() => expect(screen.queryByRole('link', { name: 'TCP scan' })).toBeNull())
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/plugins/breeze.tcpscan'])
  })

  it('uploads the archive as the raw body and shows the server refusal', async () => {
    let refuse = true
    const { calls, fetchMock } = mockApi({
      ...sessionRoutes(GLOBAL_ADMIN),
      'GET /plugins': () => json({ items: refuse ? [] : [tcpscan] }),
      'POST /plugins': () =>
        refuse
          ? apiError(422, 'invalid', 'plugin archive: signed by an untrusted key (key id acme-2023)')
          : json(tcpscan, 201),
    })
    const user = userEvent.setup()
    renderApp('/plugins')
    await user.click(await screen.findByRole('button', { name: 'Install plugin…' }))
    const dialog = await screen.findByRole('dialog', { name: 'Install a plugin' })
    expect(within(dialog).getByRole('button', { name: 'Install' })).toHaveProperty('disabled', true)
    const archive = new File([new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3])], 'tcpscan-0.3.1.tar.gz', { type: 'application/gzip' })
    await user.upload(within(dialog).getByLabelText('Plugin archive (.tar.gz)'), archive)
    await user.click(within(dialog).getByRole('button', { name: 'Install' }))
    const alert = await within(dialog).findByRole('alert')
    expect(alert.textContent).toContain('The server refused this plugin')
    expect(alert.textContent).toContain('signed by an untrusted key (key id acme-2023)')

    const post = calls.find((c) => c.method === 'POST' && c.path === '/plugins')!
    expect(post.headers['Content-Type']).toBe('application/gzip')
    expect(post.headers.Authorization).toBe('Bearer tok-1')
    const init = fetchMock.mock.calls.find(([u, i]) => String(u).endsWith('/api/v1/plugins') && i?.method === 'POST')![1]!
    expect(init.body).toBe(archive) // the file itself, not JSON

    refuse = false
    await user.click(within(dialog).getByRole('button', { name: 'Install' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(await screen.findByText('Installed TCP scan 0.3.1. It is disabled.')).toBeTruthy()
    expect(await screen.findByRole('link', { name: 'TCP scan' })).toBeTruthy()
  })
})

describe('plugin page', () => {
  function routes(entries: PluginOrgSettings[], over: Record<string, Parameters<typeof mockApi>[0][string]> = {}) {
    return {
      ...sessionRoutes(),
      'GET /plugins/:id': () => json(webhook),
      'GET /plugins/:id/orgs': () => json({ items: entries }),
      ...over,
    }
  }

  it('configures an organization: secrets stay masked and untouched ones are kept', async () => {
    const entry: PluginOrgSettings = {
      orgId: 'org-1', enabled: true,
      // A server that (wrongly) echoes the secret: the form must still never show it.
      settings: { url: 'https://hooks.example.com/a', secret: STORED_SECRET, timeoutSeconds: 20, level: 'high', verbose: true },
    }
    const { calls } = mockApi(
      routes([entry], {
        'PUT /plugins/:id/orgs/:orgId': (c) => {
          const b = c.body as { enabled: boolean; settings: Record<string, unknown> }
          return json({ orgId: 'org-1', enabled: b.enabled, settings: { ...b.settings, secret: '********' } })
        },
      }),
    )
    const user = userEvent.setup()
    const { container } = renderApp('/plugins/breeze.webhook')
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Webhook')
    expect(screen.getByText('exit status 2: connection refused')).toBeTruthy()
    const row = (await screen.findByRole('cell', { name: 'Demo Customer' })).closest('tr')!
    expect(within(row).getByText('On')).toBeTruthy()
    await user.click(within(row).getByRole('button', { name: 'Configure for Demo Customer' }))
    const dialog = await screen.findByRole('dialog', { name: 'Webhook — Demo Customer' })

    const secret = within(dialog).getByLabelText('Signing secret') as HTMLInputElement
    expect(secret.type).toBe('password')
    expect(secret.value).toBe('')
    expect(secret.placeholder).toBe('********')
    expect(within(dialog).getByLabelText('URL (required)')).toHaveProperty('value', 'https://hooks.example.com/a')
    expect(within(dialog).getByLabelText('Timeout (s)')).toHaveProperty('value', '20')
    expect(within(dialog).getByLabelText('Level')).toHaveProperty('value', 'high')
    expect(within(dialog).getByLabelText('Verbose')).toHaveProperty('checked', true)
    // The plugin's description is text, not markup.
    expect(within(dialog).getByText(XSS).textContent).toBe(XSS)
    assertInert(container)
    const noSecret = () => {
      expect(document.body.innerHTML).not.toContain(STORED_SECRET)
      for (const i of document.querySelectorAll('input')) expect(i.value).not.toContain(STORED_SECRET)
    }
    noSecret()

    await user.clear(within(dialog).getByLabelText('Timeout (s)'))
    await user.type(within(dialog).getByLabelText('Timeout (s)'), '30')
    await user.click(within(dialog).getByRole('button', { name: 'Save' }))
    await within(dialog).findByText('Saved.')
    let put = calls.filter((c) => c.method === 'PUT').at(-1)!
    expect(put.path).toBe('/plugins/breeze.webhook/orgs/org-1')
    expect(put.body).toEqual({
      enabled: true,
      settings: { url: 'https://hooks.example.com/a', secret: '********', timeoutSeconds: 30, level: 'high', verbose: true },
    })
    noSecret()

    // A new secret replaces the stored one; afterwards it is gone from the form.
    await user.type(within(dialog).getByLabelText('Signing secret'), 'new-typed-secret')
    await user.click(within(dialog).getByRole('button', { name: 'Save' }))
    await within(dialog).findByText('Saved.')
    put = calls.filter((c) => c.method === 'PUT').at(-1)!
    expect((put.body as { settings: { secret: string } }).settings.secret).toBe('new-typed-secret')
    expect((within(dialog).getByLabelText('Signing secret') as HTMLInputElement).value).toBe('')
    for (const i of document.querySelectorAll('input')) expect(i.value).not.toContain('new-typed-secret')
  })

  it('checks the schema before saving and shows the server refusal', async () => {
    const { calls } = mockApi(
      routes([], { 'PUT /plugins/:id/orgs/:orgId': () => apiError(422, 'invalid', 'settings: url: want an absolute http(s) URL') }),
    )
    const user = userEvent.setup()
    renderApp('/plugins/breeze.webhook')
    await user.click(await screen.findByRole('button', { name: 'Configure for Demo Customer' }))
    const dialog = await screen.findByRole('dialog', { name: 'Webhook — Demo Customer' })
    expect(within(dialog).getByLabelText(/On for Demo Customer/)).toHaveProperty('checked', false)
    expect(within(dialog).getByLabelText('Signing secret')).toHaveProperty('placeholder', '') // nothing stored
    await user.type(within(dialog).getByLabelText('Timeout (s)'), '600')
    await user.click(within(dialog).getByRole('button', { name: 'Save' }))
    expect(await within(dialog).findByText('Required.')).toBeTruthy()
    expect(within(dialog).getByText('At most 60.')).toBeTruthy()
    expect(within(dialog).getByLabelText('URL (required)').getAttribute('aria-invalid')).toBe('true')
    expect(calls.some((c) => c.method === 'PUT')).toBe(false)

    await user.type(within(dialog).getByLabelText('URL (required)'), 'https://ok.example.com')
    await user.clear(within(dialog).getByLabelText('Timeout (s)'))
    await user.click(within(dialog).getByLabelText(/On for Demo Customer/))
    await user.click(within(dialog).getByRole('button', { name: 'Save' }))
    expect((await within(dialog).findByRole('alert')).textContent).toBe('settings: url: want an absolute http(s) URL')
    // Optional fields left empty are left out; the plugin's defaults apply.
    expect(calls.find((c) => c.method === 'PUT')!.body).toEqual({ enabled: true, settings: { url: 'https://ok.example.com', verbose: false } })
  })

  it('tests an alert channel for the organization', async () => {
    const { calls } = mockApi(
      routes([{ orgId: 'org-1', enabled: true, settings: { url: 'https://hooks.example.com/a' } }], {
        'PUT /plugins/:id/orgs/:orgId': (c) => json({ orgId: 'org-1', ...(c.body as object) }),
        'POST /plugins/:id/test': () => json({ ok: false, message: `HTTP 500 from hook ${XSS}` }),
      }),
    )
    const user = userEvent.setup()
    const { container } = renderApp('/plugins/breeze.webhook')
    await user.click(await screen.findByRole('button', { name: 'Configure for Demo Customer' }))
    const dialog = await screen.findByRole('dialog', { name: 'Webhook — Demo Customer' })
    const test = within(dialog).getByRole('button', { name: 'Test' })
    await user.type(within(dialog).getByLabelText('URL (required)'), '/b')
    expect(test).toHaveProperty('disabled', true) // unsaved edits: the test uses the saved settings
    expect(within(dialog).getByText(/save first/)).toBeTruthy()
    await user.click(within(dialog).getByRole('button', { name: 'Save' }))
    await within(dialog).findByText('Saved.')
    expect(test).toHaveProperty('disabled', false)
    await user.click(test)
    expect(await within(dialog).findByText(`Test failed: HTTP 500 from hook ${XSS}`)).toBeTruthy()
    expect(calls.find((c) => c.path === '/plugins/breeze.webhook/test')!.body).toEqual({ orgId: 'org-1' })
    assertInert(container)
  })

  it('shows no Test button for other kinds and says when a plugin cannot be read', async () => {
    mockApi({
      ...sessionRoutes(),
      'GET /plugins/breeze.tcpscan': () => json(tcpscan),
      'GET /plugins/breeze.tcpscan/orgs': () => json({ items: [] }),
      'GET /plugins/nope': () => apiError(404, 'not_found', 'plugin not found'),
    })
    const user = userEvent.setup()
    const first = renderApp('/plugins/breeze.tcpscan')
    expect(await screen.findByText(/disabled for the whole installation/)).toBeTruthy()
    await user.click(await screen.findByRole('button', { name: 'Configure for Demo Customer' }))
    const dialog = await screen.findByRole('dialog')
    expect(within(dialog).getByText('This plugin has no settings.')).toBeTruthy()
    expect(within(dialog).queryByRole('button', { name: 'Test' })).toBeNull()
    first.unmount()
    renderApp('/plugins/nope')
    expect(await screen.findByText('plugin not found')).toBeTruthy()
  })
})
