import { describe, expect, it } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { ALL_PERMISSIONS, apiError, json, makeMe, mockApi, sessionRoutes } from '../test/api'
import { renderApp } from '../test/render'
import type { CatalogPlugin, PluginCatalog } from './usePluginCatalog'

const XSS = '<img src=x onerror=alert(1)>'
const GLOBAL_ADMIN = makeMe({ grants: [{ level: 'global', permissions: ALL_PERMISSIONS, roleName: 'Platform Admin' }] })
const FP = 'e200:7d93:d47f:5359:3115:f91a:c3a2:2971:dc8b:e48e:0716:535a:32bf:ab23:813a:5216'

const disk: CatalogPlugin = {
  id: 'acme.disk', name: 'Disk health', kind: 'collector', description: XSS, catalogId: 'c1', catalogName: 'Acme',
  publisherKeyId: 'e2007d93d47f5359', publisherFingerprint: FP, publisherTrusted: false, latest: '1.1.0',
  versions: [{ version: '1.1.0', platforms: ['linux-amd64'], size: 1000 }], installed: '', updateAvailable: false,
}
const net: CatalogPlugin = { ...disk, id: 'acme.net', name: 'Net', publisherTrusted: true, installed: '1.0.0', updateAvailable: true }
const acme: PluginCatalog = {
  id: 'c1', name: 'Acme', url: 'https://plugins.acme.test/index.json', keyId: '55b1708839b2c732', fingerprint: 'ab', createdAt: '2026-01-01T00:00:00Z',
  syncedAt: '2026-01-02T00:00:00Z', syncError: 'catalog: fetch https://plugins.acme.test/index.json: the server answered 503', indexName: 'Acme', plugins: 2,
}

describe('plugins browse tab', () => {
  it('is only for global administrators', async () => {
    mockApi({ ...sessionRoutes(), 'GET /plugins': () => json({ items: [] }) })
    renderApp('/plugins?tab=browse')
    expect(await screen.findByText('No plugins installed.')).toBeTruthy()
    expect(screen.queryByRole('tab', { name: 'Browse' })).toBeNull()
  })

  it('lists what the catalogs offer with the installed version, updates and trust, all as text', async () => {
    mockApi({
      ...sessionRoutes(GLOBAL_ADMIN),
      'GET /plugins': () => json({ items: [] }),
      'GET /plugin-catalog/plugins': () => json({ items: [disk, net] }),
      'GET /plugin-catalogs': () => json({ items: [acme] }),
      'GET /plugin-keys': () => json({ items: [] }),
    })
    const user = userEvent.setup()
    const { container } = renderApp('/plugins')
    await user.click(await screen.findByRole('tab', { name: 'Browse' }))
    const row = (await screen.findByText('acme.disk')).closest('tr')!
    expect(within(row).getByText('Not trusted')).toBeTruthy()
    expect(within(row).getByText(XSS).textContent).toBe(XSS)
    expect(within(row).getByRole('button', { name: 'Trust publisher…' })).toBeTruthy()
    const netRow = screen.getByText('acme.net').closest('tr')!
    expect(within(netRow).getByText(/Update available/)).toBeTruthy()
    expect(within(netRow).getByRole('button', { name: 'Upgrade to 1.1.0' })).toBeTruthy()
    // The catalog section shows the last sync's error.
    expect(await screen.findByText(/Last attempt failed: .*answered 503/)).toBeTruthy()
    expect(container.querySelector('img')).toBeNull()
  })

  it('shows the fingerprint before trusting, then installs', async () => {
    let trusted = false
    let installed = ''
    const { calls } = mockApi({
      ...sessionRoutes(GLOBAL_ADMIN),
      'GET /plugins': () => json({ items: [] }),
      'GET /plugin-catalog/plugins': () => json({ items: [{ ...disk, publisherTrusted: trusted, installed }] }),
      'GET /plugin-catalogs': () => json({ items: [] }),
      'GET /plugin-keys': () => json({ items: [] }),
      'POST /plugin-keys': () => {
        trusted = true
        return json({ keyId: disk.publisherKeyId, fingerprint: FP, name: 'Acme Inc', publicKey: '', addedAt: '', addedBy: 'user:1' }, 201)
      },
      'POST /plugin-catalog/install': () => {
        installed = '1.1.0'
        return json({ id: 'acme.disk', name: 'Disk health', version: '1.1.0', kind: 'collector', side: 'agent', signedBy: 'e2007d93d47f5359', enabled: false }, 201)
      },
    })
    const user = userEvent.setup()
    renderApp('/plugins?tab=browse')
    await user.click(await screen.findByRole('button', { name: 'Trust publisher…' }))
    const dialog = await screen.findByRole('dialog', { name: 'Trust this publisher?' })
    expect(within(dialog).getByLabelText('Fingerprint').textContent).toBe(FP)
    await user.type(within(dialog).getByLabelText('Name (optional)'), 'Acme Inc')
    await user.click(within(dialog).getByRole('button', { name: 'Trust publisher' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(calls.find((c) => c.method === 'POST' && c.path === '/plugin-keys')?.body).toEqual({ keyId: disk.publisherKeyId, name: 'Acme Inc' })
    await user.click(await screen.findByRole('button', { name: 'Install' }))
    expect(await screen.findByText(/Installed Disk health 1\.1\.0\./)).toBeTruthy()
    expect(calls.find((c) => c.method === 'POST' && c.path === '/plugin-catalog/install')?.body).toEqual({ id: 'acme.disk', catalogId: 'c1', upgrade: false })
    expect(await screen.findByText('Up to date')).toBeTruthy()
  })

  it("shows the server's refusal on the row", async () => {
    mockApi({
      ...sessionRoutes(GLOBAL_ADMIN),
      'GET /plugins': () => json({ items: [] }),
      'GET /plugin-catalog/plugins': () => json({ items: [net] }),
      'GET /plugin-catalogs': () => json({ items: [] }),
      'GET /plugin-keys': () => json({ items: [] }),
      'POST /plugin-catalog/install': () => apiError(400, 'invalid', 'plugin refused (hash_mismatch): the archive does not match the catalog'),
    })
    const user = userEvent.setup()
    renderApp('/plugins?tab=browse')
    await user.click(await screen.findByRole('button', { name: 'Upgrade to 1.1.0' }))
    expect((await screen.findByRole('alert')).textContent).toContain('hash_mismatch')
  })

  it('adds a catalog and syncs one', async () => {
    const list: PluginCatalog[] = []
    const { calls } = mockApi({
      ...sessionRoutes(GLOBAL_ADMIN),
      'GET /plugins': () => json({ items: [] }),
      'GET /plugin-catalog/plugins': () => json({ items: [] }),
      'GET /plugin-catalogs': () => json({ items: list }),
      'GET /plugin-keys': () => json({ items: [] }),
      'POST /plugin-catalogs': () => {
        const c = { ...acme, syncError: '' }
        list.push(c)
        return json(c, 201)
      },
      'POST /plugin-catalogs/:id/sync': () => json({ ...acme, syncError: '' }),
    })
    const user = userEvent.setup()
    renderApp('/plugins?tab=browse')
    await user.click(await screen.findByRole('button', { name: 'Add catalog…' }))
    const dialog = await screen.findByRole('dialog', { name: 'Add a plugin catalog' })
    await user.type(within(dialog).getByLabelText('Name'), 'Acme')
    await user.type(within(dialog).getByLabelText('Index URL'), 'https://plugins.acme.test/index.json')
    await user.type(within(dialog).getByLabelText('Catalog public key'), 'MCowBQYDK2VwAyEA')
    await user.click(within(dialog).getByRole('button', { name: 'Add catalog' }))
    expect(await screen.findByText('Added Acme: 2 plugins.')).toBeTruthy()
    expect(calls.find((c) => c.method === 'POST' && c.path === '/plugin-catalogs')?.body).toEqual({
      name: 'Acme', url: 'https://plugins.acme.test/index.json', publicKey: 'MCowBQYDK2VwAyEA',
    })
    await user.click(await screen.findByRole('button', { name: 'Sync Acme' }))
    expect(await screen.findByText('Acme synced: 2 plugins.')).toBeTruthy()
  })

  it('lists the keys trusted here and untrusts one after confirming', async () => {
    let keys = [{ keyId: 'e2007d93d47f5359', fingerprint: FP, name: XSS, publicKey: '', addedAt: '2026-01-01T00:00:00Z', addedBy: 'user:1' }]
    const { calls } = mockApi({
      ...sessionRoutes(GLOBAL_ADMIN),
      'GET /plugins': () => json({ items: [] }),
      'GET /plugin-catalog/plugins': () => json({ items: [] }),
      'GET /plugin-catalogs': () => json({ items: [] }),
      'GET /plugin-keys': () => json({ items: keys }),
      'DELETE /plugin-keys/:id': () => {
        keys = []
        return { status: 204 }
      },
    })
    const user = userEvent.setup()
    const { container } = renderApp('/plugins?tab=browse')
    const row = (await screen.findByText(FP)).closest('tr')!
    expect(within(row).getByText(XSS)).toBeTruthy()
    expect(container.querySelector('img')).toBeNull()
    await user.click(within(row).getByRole('button', { name: 'Untrust e2007d93d47f5359' }))
    const dialog = await screen.findByRole('dialog', { name: `Stop trusting ${XSS}?` })
    await user.click(within(dialog).getByRole('button', { name: 'Untrust' }))
    expect(await screen.findByText('The key e2007d93d47f5359 is no longer trusted.')).toBeTruthy()
    expect(calls.filter((c) => c.method === 'DELETE' && c.path === '/plugin-keys/e2007d93d47f5359')).toHaveLength(1)
    await waitFor(() => expect(screen.queryByText(FP)).toBeNull())
  })
})
