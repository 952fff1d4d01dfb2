import { beforeAll, describe, expect, it, vi } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { json, makeMe, mockApi, sessionRoutes, type Call, type Handler } from '../test/api'
import { renderApp } from '../test/render'
import { asset, MANAGER, page, profile, scan, XSS } from './fixtures'
import type { Asset } from './types'

function routes(over: Record<string, Handler> = {}, perms = MANAGER) {
  return {
    ...sessionRoutes(makeMe({}, perms)),
    'GET /discovery/profiles': () => page([profile()]),
    'GET /discovery/profiles/:id': () => json(profile()),
    'GET /discovery/scans/:id': () => json(scan({ status: 'succeeded', scanned: 256 })),
    'GET /discovery/assets/:id/events': () => page([]),
    ...over,
  }
}

const HOSTILE: Asset = asset({
  id: 'evil',
  ip: '10.0.0.66',
  hostnames: [XSS, 'ok.lan'],
  vendor: XSS,
  openPorts: [{ port: 23, service: XSS }],
  snmp: {
    sysName: XSS,
    sysDescr: XSS,
    sysObjectID: '1.3.6.1.4.1.8072.3.2.10',
    sysLocation: '"><script>window.__pwned=1</script>',
    interfaces: JSON.stringify([{ index: 1, name: XSS, mac: '00:11:22:33:44:66', operStatus: 'up' }]),
  },
  attributes: { seenBy: 'icmp,snmp', rttMs: XSS },
})

function assertInert(root: HTMLElement) {
  expect(root.querySelector('img')).toBeNull()
  expect(root.querySelector('script')).toBeNull()
  expect(root.querySelector('[onerror]')).toBeNull()
  expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined()
}

const lastAssetQuery = (calls: Call[]) => calls.filter((c) => c.method === 'GET' && c.path === '/discovery/assets').at(-1)!.query

// The pages are lazy chunks: transform them before the first test, whose finds would otherwise wait on a busy machine.
beforeAll(async () => {
  await Promise.all([import('./AssetsPage'), import('./AssetPage')])
}, 60_000)

describe('discovered assets', () => {
  it('lists assets: IP, MAC, hostnames, vendor, ports, state (managed links to its device), new and gone marks', async () => {
    mockApi(
      routes({
        'GET /discovery/assets': () =>
          page([
            asset(),
            asset({ id: 'as2', ip: '10.0.0.21', new: true, hostnames: [], mac: '', vendor: '', openPorts: [] }),
            asset({ id: 'as3', ip: '10.0.0.22', state: 'managed', deviceId: 'dev-9' }),
            asset({ id: 'as4', ip: '10.0.0.23', gone: true, state: 'ignored' }),
          ]),
      }),
    )
    renderApp('/discovery')
    const grid = await screen.findByRole('grid', { name: 'Discovered assets' })
    expect(await within(grid).findByRole('link', { name: '10.0.0.20' })).toBeTruthy()
    expect(within(grid).getByRole('link', { name: '10.0.0.20' }).getAttribute('href')).toBe('/discovery/assets/as1')
    expect(screen.getByText('4 assets')).toBeTruthy()
    const row = (ip: string) => within(grid).getByRole('link', { name: ip }).closest('[role=row]') as HTMLElement
    expect(within(row('10.0.0.20')).getByText('00:11:22:33:44:55')).toBeTruthy()
    expect(within(row('10.0.0.20')).getByText('printer.lan')).toBeTruthy()
    expect(within(row('10.0.0.20')).getByText('Acme Printers')).toBeTruthy()
    expect(within(row('10.0.0.20')).getByText('80/http, 631/ipp')).toBeTruthy()
    expect(within(row('10.0.0.20')).getByText('Candidate')).toBeTruthy()
    expect(within(row('10.0.0.21')).getByText('New')).toBeTruthy()
    expect(within(row('10.0.0.20')).queryByText('New')).toBeNull()
    expect(within(row('10.0.0.22')).getByRole('link', { name: 'Managed' }).getAttribute('href')).toBe('/devices/dev-9')
    expect(within(row('10.0.0.23')).getByText('Gone')).toBeTruthy()
    expect(within(row('10.0.0.23')).getByText('Ignored')).toBeTruthy()
  })

  it('filters by site, state, new only and text, in the query and the URL', async () => {
    const { calls } = mockApi(routes({ 'GET /discovery/assets': () => page([asset()]) }))
    const user = userEvent.setup()
    renderApp('/discovery')
    await screen.findByRole('grid', { name: 'Discovered assets' })
    const filters = screen.getByRole('search')
    await waitFor(() => expect(within(filters).getByRole('option', { name: 'HQ' })).toBeTruthy())
    await user.selectOptions(within(filters).getByLabelText('Site'), 'site-1')
    await waitFor(() => expect(lastAssetQuery(calls).get('siteId')).toBe('site-1'))
    await user.selectOptions(within(filters).getByLabelText('State'), 'candidate')
    await waitFor(() => expect(lastAssetQuery(calls).get('state')).toBe('candidate'))
    await user.click(screen.getByRole('checkbox', { name: 'New only' }))
    await waitFor(() => expect(lastAssetQuery(calls).get('new')).toBe('true'))
    await user.type(screen.getByRole('searchbox', { name: 'Search assets' }), 'printer')
    await waitFor(() => expect(lastAssetQuery(calls).get('q')).toBe('printer'))
    const q = lastAssetQuery(calls)
    expect([q.get('siteId'), q.get('state'), q.get('new')]).toEqual(['site-1', 'candidate', 'true'])
    await user.click(screen.getByRole('checkbox', { name: 'New only' }))
    await waitFor(() => expect(lastAssetQuery(calls).get('new')).toBeNull())
  })

  it('opens with the filters a link names (a profile’s assets)', async () => {
    const { calls } = mockApi(routes({ 'GET /discovery/assets': () => page([]) }))
    renderApp('/discovery?profileId=pr1&state=managed')
    expect(await screen.findByText('No asset matches these filters.')).toBeTruthy()
    const q = lastAssetQuery(calls)
    expect([q.get('profileId'), q.get('state')]).toEqual(['pr1', 'managed'])
    expect(await screen.findByText(/Found by Office LAN/)).toBeTruthy()
  })

  it('reads a large list page by page behind the first one', async () => {
    const all = Array.from({ length: 1200 }, (_, i) => asset({ id: `a${i}`, ip: `10.0.${Math.floor(i / 256)}.${i % 256}` }))
    mockApi(
      routes({
        'GET /discovery/assets': (c) => {
          const limit = Number(c.query.get('limit'))
          const start = Number(c.query.get('cursor') || 0)
          return page(all.slice(start, start + limit), start + limit < all.length ? String(start + limit) : '')
        },
      }),
    )
    renderApp('/discovery')
    expect(await screen.findByText('1,200 assets')).toBeTruthy()
    const grid = screen.getByRole('grid', { name: 'Discovered assets' })
    expect(grid.getAttribute('aria-rowcount')).toBe('1201')
    expect(within(grid).getAllByRole('row').length).toBeLessThan(100) // virtualised
  })

  it('renders hostile network strings as text, in the table and on the asset page', async () => {
    const alert = vi.fn()
    vi.stubGlobal('alert', alert)
    mockApi(
      routes({
        'GET /discovery/assets': () => page([HOSTILE]),
        'GET /discovery/assets/:id': () => json(HOSTILE),
        'GET /discovery/assets/:id/events': () => page([{ id: 'e1', assetId: 'evil', kind: 'new', ip: '10.0.0.66', detail: XSS, at: '2026-12-06T10:00:00Z' }]),
      }),
    )
    const user = userEvent.setup()
    const { container } = renderApp('/discovery')
    const grid = await screen.findByRole('grid', { name: 'Discovered assets' })
    expect(await within(grid).findByText(`${XSS}, ok.lan`)).toBeTruthy()
    expect(within(grid).getByText(`23/${XSS}`)).toBeTruthy()
    assertInert(container)

    await user.click(within(grid).getByRole('link', { name: '10.0.0.66' }))
    expect(await screen.findByRole('heading', { name: '10.0.0.66' })).toBeTruthy()
    const snmp = screen.getByLabelText('SNMP facts')
    expect(within(snmp).getAllByText(XSS)).toHaveLength(2) // sysName, sysDescr
    expect(within(snmp).getByText('1.3.6.1.4.1.8072.3.2.10')).toBeTruthy()
    const ifaces = screen.getByRole('table', { name: 'Interfaces' })
    expect(within(ifaces).getByText(XSS)).toBeTruthy()
    expect(await screen.findByText(`— ${XSS}`)).toBeTruthy() // the event's detail
    assertInert(container)
    expect(alert).not.toHaveBeenCalled()
  })
})
