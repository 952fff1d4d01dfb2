import { beforeAll, describe, expect, it } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { ALL_PERMISSIONS, apiError, json, makeMe, mockApi, sessionRoutes, type Handler } from '../test/api'
import { renderApp } from '../test/render'
import { asset, MANAGER, page, profile, scan, VIEWER } from './fixtures'
import type { Asset } from './types'

const INSTALL = "curl -fsSL 'https://breeze.example/downloads/breeze-agent-linux-' ... BREEZE_ENROLLMENT_KEY='bek_once' /usr/local/bin/breeze-agent enroll"

function routes(over: Record<string, Handler> = {}, perms = MANAGER) {
  return {
    ...sessionRoutes(makeMe({}, perms)),
    'GET /discovery/assets/:id': () => json(asset()),
    'GET /discovery/assets/:id/events': () =>
      page([
        { id: 'e2', assetId: 'as1', kind: 'ports_changed', ip: '10.0.0.20', detail: '80 → 80, 631', jobId: 'sc1', at: '2026-12-06T10:00:00Z' },
        { id: 'e1', assetId: 'as1', kind: 'new', ip: '10.0.0.20', jobId: 'sc0', at: '2026-12-01T10:00:00Z' },
      ]),
    'GET /discovery/scans/:id': () => json(scan({ status: 'succeeded', scanned: 256 })),
    'GET /discovery/profiles': () => page([profile()]),
    ...over,
  }
}

// The pages are lazy chunks: transform them before the first test, whose finds would otherwise wait on a busy machine.
beforeAll(async () => {
  await Promise.all([import('./AssetPage'), import('./AssetsPage')])
}, 60_000)

describe('an asset’s page', () => {
  it('shows its facts, open ports, the scans that saw it and its events', async () => {
    mockApi(routes())
    renderApp('/discovery/assets/as1')
    expect(await screen.findByRole('heading', { name: '10.0.0.20' })).toBeTruthy()
    expect(screen.getByText('Acme Printers')).toBeTruthy()
    expect(screen.getByText('00:11:22:33:44:55')).toBeTruthy()
    expect(screen.getByText('rttMs')).toBeTruthy()
    const ports = screen.getByRole('table', { name: 'Open ports' })
    expect(within(ports).getByText('631')).toBeTruthy()
    expect(within(ports).getByText('ipp')).toBeTruthy()
    expect(screen.getByText('No SNMP answer.')).toBeTruthy()
    const seen = screen.getByRole('table', { name: 'Scans that saw this asset' })
    expect(await within(seen).findByRole('link', { name: 'Office LAN' })).toBeTruthy()
    expect(within(seen).getByText('Succeeded')).toBeTruthy()
    const events = await screen.findByRole('list', { name: 'Asset events' })
    const items = within(events).getAllByRole('listitem')
    expect(items[0]!.textContent).toContain('Open ports changed')
    expect(items[0]!.textContent).toContain('80 → 80, 631')
    expect(items[1]!.textContent).toContain('Found')
  })

  it('deploys the agent: the install command and key are shown once, with a copy button', async () => {
    const { calls } = mockApi(
      routes({
        'POST /discovery/assets/:id/deploy': () =>
          json({ enrollmentKey: 'bek_once', keyId: 'k1', expiresAt: '2026-12-07T12:00:00Z', installCommand: INSTALL }),
      }),
    )
    const user = userEvent.setup()
    renderApp('/discovery/assets/as1')
    await user.click(await screen.findByRole('button', { name: 'Deploy agent…' }))
    const d = screen.getByRole('dialog', { name: 'Deploy the agent to 10.0.0.20' })
    expect(calls.some((c) => c.path.endsWith('/deploy'))).toBe(false) // nothing minted before asked
    await user.click(within(d).getByRole('button', { name: 'Create install command' }))
    const cmd = (await within(d).findByLabelText('Install command (Linux, as root)')) as HTMLTextAreaElement
    expect(cmd.value).toBe(INSTALL)
    expect((within(d).getByLabelText('Enrollment key') as HTMLInputElement).value).toBe('bek_once')
    expect(within(d).getByText(/Shown once/)).toBeTruthy()
    expect(calls.filter((c) => c.method === 'POST' && c.path.startsWith('/discovery')).map((c) => c.path)).toEqual(['/discovery/assets/as1/deploy'])
    await user.click(within(d).getAllByRole('button', { name: 'Copy' })[0]!)
    expect(await within(d).findByRole('button', { name: 'Copied' })).toBeTruthy()
    expect(await navigator.clipboard.readText()).toBe(INSTALL) // user-event's clipboard
    await user.click(within(d).getByRole('button', { name: 'Done' }))
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(screen.queryByText('bek_once')).toBeNull()
  })

  it('falls back to an enroll command when the server has no public URL', async () => {
    mockApi(routes({ 'POST /discovery/assets/:id/deploy': () => json({ enrollmentKey: 'bek_x', keyId: 'k1', expiresAt: '2026-12-07T12:00:00Z', installCommand: '' }) }))
    const user = userEvent.setup()
    renderApp('/discovery/assets/as1')
    await user.click(await screen.findByRole('button', { name: 'Deploy agent…' }))
    await user.click(screen.getByRole('button', { name: 'Create install command' }))
    const cmd = (await screen.findByLabelText('Install command (Linux, as root)')) as HTMLTextAreaElement
    expect(cmd.value).toContain("BREEZE_ENROLLMENT_KEY='bek_x' breeze-agent enroll --server")
  })

  it('tracks, ignores and unignores: each a POST, the state shown from the answer', async () => {
    let current: Asset = asset()
    const act = (state: string) => () => {
      current = { ...current, state }
      return json(current)
    }
    const { calls } = mockApi(
      routes({
        'GET /discovery/assets/:id': () => json(current),
        'POST /discovery/assets/:id/track': act('tracked'),
        'POST /discovery/assets/:id/untrack': act('candidate'),
        'POST /discovery/assets/:id/ignore': act('ignored'),
        'POST /discovery/assets/:id/unignore': act('candidate'),
      }),
    )
    const user = userEvent.setup()
    renderApp('/discovery/assets/as1')
    const header = (await screen.findByRole('heading', { name: '10.0.0.20' })).closest('header') as HTMLElement
    expect(within(header).getByText('Candidate')).toBeTruthy()
    await user.click(within(header).getByRole('button', { name: 'Track as network device' }))
    expect(await within(header).findByText('Tracked')).toBeTruthy()
    expect(within(header).queryByRole('button', { name: 'Track as network device' })).toBeNull()
    await user.click(within(header).getByRole('button', { name: 'Untrack' }))
    expect(await within(header).findByText('Candidate')).toBeTruthy()
    expect(within(header).queryByRole('button', { name: 'Untrack' })).toBeNull()
    await user.click(within(header).getByRole('button', { name: 'Ignore' }))
    expect(await within(header).findByText('Ignored')).toBeTruthy()
    await user.click(within(header).getByRole('button', { name: 'Unignore' }))
    expect(await within(header).findByText('Candidate')).toBeTruthy()
    expect(calls.filter((c) => c.method === 'POST' && c.path.startsWith('/discovery')).map((c) => c.path)).toEqual([
      '/discovery/assets/as1/track',
      '/discovery/assets/as1/untrack',
      '/discovery/assets/as1/ignore',
      '/discovery/assets/as1/unignore',
    ])
  })

  it('shows a refused action’s message', async () => {
    mockApi(routes({ 'POST /discovery/assets/:id/track': () => apiError(409, 'conflict', 'a managed asset cannot be tracked') }))
    const user = userEvent.setup()
    renderApp('/discovery/assets/as1')
    await user.click(await screen.findByRole('button', { name: 'Track as network device' }))
    expect((await screen.findByRole('alert')).textContent).toBe('a managed asset cannot be tracked')
  })

  it('a managed asset links to its device and offers no deploy or track', async () => {
    mockApi(routes({ 'GET /discovery/assets/:id': () => json(asset({ state: 'managed', deviceId: 'dev-9' })) }))
    renderApp('/discovery/assets/as1')
    expect((await screen.findByRole('link', { name: 'Managed' })).getAttribute('href')).toBe('/devices/dev-9')
    expect(screen.getByRole('link', { name: 'Open the enrolled device' }).getAttribute('href')).toBe('/devices/dev-9')
    expect(screen.queryByRole('button', { name: 'Deploy agent…' })).toBeNull()
    expect(screen.queryByRole('button', { name: 'Track as network device' })).toBeNull()
    expect(screen.getByRole('button', { name: 'Ignore' })).toBeTruthy()
  })

  it('a viewer sees everything but no action', async () => {
    mockApi(routes({}, VIEWER))
    renderApp('/discovery/assets/as1')
    expect(await screen.findByRole('heading', { name: '10.0.0.20' })).toBeTruthy()
    expect(await screen.findByRole('list', { name: 'Asset events' })).toBeTruthy()
    for (const name of ['Deploy agent…', 'Track as network device', 'Ignore', 'Unignore']) expect(screen.queryByRole('button', { name })).toBeNull()
  })

  it('discovery:manage without enrollment-keys:write: no deploy, the other actions stay', async () => {
    mockApi(routes({}, [...ALL_PERMISSIONS.filter((p) => p !== 'enrollment-keys:write'), 'discovery:read', 'discovery:manage']))
    renderApp('/discovery/assets/as1')
    expect(await screen.findByRole('button', { name: 'Ignore' })).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Deploy agent…' })).toBeNull()
  })

  it('another tenant’s asset is not found', async () => {
    mockApi(routes({ 'GET /discovery/assets/:id': () => apiError(404, 'not_found', 'asset not found') }))
    renderApp('/discovery/assets/other')
    expect(await screen.findByText('This asset does not exist, or you cannot see it.')).toBeTruthy()
  })

  it('without discovery:read there is no nav entry and the page says so', async () => {
    mockApi(routes({}, ALL_PERMISSIONS))
    renderApp('/discovery')
    expect(await screen.findByText('You cannot see network discovery.')).toBeTruthy()
    await waitFor(() => expect(screen.queryByRole('link', { name: 'Discovery' })).toBeNull())
  })
})
