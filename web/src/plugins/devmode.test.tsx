import { describe, expect, it } from 'vitest'
import { screen, within } from '@testing-library/react'
import type { DeviceDetail, Plugin } from '../api/types'
import { json, mockApi, sessionRoutes } from '../test/api'
import { device } from '../test/devices'
import { renderApp } from '../test/render'

const signed: Plugin = {
  id: 'breeze.webhook', name: 'Webhook', version: '1.0.0', kind: 'alert_channel', side: 'server', signedBy: 'breeze-release-2024',
  unsigned: false, source: 'archive', enabled: true, state: 'running', settingsSchema: null,
}
const dev: Plugin = {
  id: 'acme.mine', name: 'Mine', version: '0.1.0', kind: 'collector', side: 'agent', signedBy: 'unsigned (development)',
  unsigned: true, source: 'dev', enabled: true, settingsSchema: null,
}
const loose: Plugin = {
  id: 'acme.loose', name: 'Loose', version: '0.2.0', kind: 'scanner', side: 'agent', signedBy: 'unsigned (development)',
  unsigned: true, source: 'archive', enabled: false, settingsSchema: null,
}

describe('unsigned plugins are marked loudly', () => {
  it('shows a red "UNSIGNED – dev mode" badge on a dev plugin and a banner on the Plugins page', async () => {
    mockApi({ ...sessionRoutes(), 'GET /plugins': () => json({ items: [signed, dev, loose] }) })
    renderApp('/plugins')
    const devRow = (await screen.findByRole('link', { name: 'Mine' })).closest('tr')!
    const badge = within(devRow).getByText('UNSIGNED – dev mode')
    expect(badge.className).toBe('pill pill-unsigned')
    const looseRow = screen.getByRole('link', { name: 'Loose' }).closest('tr')!
    expect(within(looseRow).getByText('UNSIGNED').className).toBe('pill pill-unsigned')
    expect(within(looseRow).queryByText('UNSIGNED – dev mode')).toBeNull()
    const signedRow = screen.getByRole('link', { name: 'Webhook' }).closest('tr')!
    expect(within(signedRow).queryByText(/UNSIGNED/)).toBeNull()
    const banner = screen.getByRole('alert')
    expect(banner.className).toBe('devmode-banner')
    expect(banner.textContent).toContain('Plugin dev mode: 1 plugin is loaded UNSIGNED')
    expect(banner.textContent).toContain('never in production')
    expect(banner.textContent).toContain('1 plugin was installed without a trusted signature')
  })

  it('shows no banner when every plugin is signed', async () => {
    mockApi({ ...sessionRoutes(), 'GET /plugins': () => json({ items: [signed] }) })
    renderApp('/plugins')
    await screen.findByRole('link', { name: 'Webhook' })
    expect(screen.queryByRole('alert')).toBeNull()
    expect(screen.queryByText(/UNSIGNED/)).toBeNull()
  })

  it('marks a dev plugin on its own page', async () => {
    mockApi({ ...sessionRoutes(), 'GET /plugins/:id': () => json(dev), 'GET /plugins/:id/orgs': () => json({ items: [] }) })
    renderApp('/plugins/acme.mine')
    expect((await screen.findByText('UNSIGNED – dev mode')).className).toBe('pill pill-unsigned')
  })

  it('marks a plugin an agent runs from its dev directory on the device page', async () => {
    const d = device(3, { hostname: 'dev-box' })
    const at = new Date().toISOString()
    const detail: DeviceDetail = {
      ...d,
      plugins: [
        { id: 'acme.mine', version: '0.1.0', state: 'running', unsigned: true, source: 'dev', reportedAt: at },
        { id: 'breeze.tcpscan', version: '0.3.1', state: 'running', unsigned: false, reportedAt: at },
      ],
    }
    mockApi({ ...sessionRoutes(), 'GET /devices/:id': () => json(detail) })
    renderApp(`/devices/${d.id}`)
    const table = await screen.findByRole('table', { name: 'Plugins on this device' })
    const rows = within(table).getAllByRole('row').slice(1)
    expect(within(rows[0]!).getByText('UNSIGNED – dev mode').className).toBe('pill pill-unsigned')
    expect(within(rows[1]!).queryByText(/UNSIGNED/)).toBeNull()
  })
})
