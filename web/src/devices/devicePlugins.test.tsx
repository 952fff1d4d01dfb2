import { describe, expect, it } from 'vitest'
import { screen, within } from '@testing-library/react'
import type { DeviceDetail, DevicePluginState } from '../api/types'
import { json, mockApi, sessionRoutes } from '../test/api'
import { device } from '../test/devices'
import { renderApp } from '../test/render'

const XSS = '<img src=x onerror=alert(1)>'
const d = device(9, { hostname: 'db-09' })
const recent = new Date(Date.now() - 5 * 60_000).toISOString()

function openWith(plugins: DevicePluginState[] | undefined) {
  const detail: DeviceDetail = { ...d, ...(plugins ? { plugins } : {}) }
  mockApi({ ...sessionRoutes(), 'GET /devices/:id': () => json(detail) })
  renderApp(`/devices/${d.id}`)
}

describe('plugins on the device overview', () => {
  it('lists each reported plugin with its version, state in words, error and report time', async () => {
    openWith([
      { id: 'breeze.tcpscan', version: '0.3.1', state: 'running', reportedAt: recent },
      { id: 'breeze.smart', version: '1.2.0', state: 'failed', error: 'exit status 1: no such device', reportedAt: recent },
      { id: 'breeze.patches', version: '2.0.0', state: 'starting', reportedAt: recent },
      { id: 'breeze.bitlocker', version: '0.1.0', state: 'disabled', reportedAt: recent },
    ])
    const table = await screen.findByRole('table', { name: 'Plugins on this device' })
    expect(screen.getByRole('heading', { name: 'Plugins on this device' })).toBeTruthy()
    const rows = within(table).getAllByRole('row').slice(1)
    expect(rows.map((r) => within(r).getAllByRole('cell').map((c) => c.textContent))).toEqual([
      ['breeze.tcpscan', '0.3.1', 'Running', '—', '5 minutes ago'],
      ['breeze.smart', '1.2.0', 'Failed', 'exit status 1: no such device', '5 minutes ago'],
      ['breeze.patches', '2.0.0', 'Starting', '—', '5 minutes ago'],
      ['breeze.bitlocker', '0.1.0', 'Disabled', '—', '5 minutes ago'],
    ])
    // The badge styles are the plugin pages' own.
    expect(within(rows[0]!).getByText('Running').className).toBe('pill pill-ok')
    expect(within(rows[1]!).getByText('Failed').className).toBe('pill pill-bad')
    expect(within(rows[2]!).getByText('Starting').className).toBe('pill pill-warn')
    expect(screen.queryByText('No plugins reported')).toBeNull()
  })

  it('shows a hostile error string as text, never as markup', async () => {
    openWith([{ id: 'evil.plugin', version: '6.6.6', state: 'failed', error: XSS, reportedAt: recent }])
    const table = await screen.findByRole('table', { name: 'Plugins on this device' })
    expect(within(table).getByText(XSS)).toBeTruthy()
    expect(table.querySelector('img')).toBeNull()
    expect(document.querySelector('[onerror]')).toBeNull()
  })

  it.each([
    ['an empty list', [] as DevicePluginState[]],
    ['no list at all', undefined],
  ])('says "No plugins reported" and shows no table for %s', async (_, plugins) => {
    openWith(plugins)
    expect(await screen.findByText('No plugins reported')).toBeTruthy()
    expect(screen.getByRole('heading', { name: 'Plugins on this device' })).toBeTruthy()
    expect(screen.queryByRole('table', { name: 'Plugins on this device' })).toBeNull()
  })
})
