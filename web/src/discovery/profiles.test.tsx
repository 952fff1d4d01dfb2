import { beforeAll, describe, expect, it } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { apiError, json, makeMe, mockApi, sessionRoutes, type Handler } from '../test/api'
import { device, pagedDevices } from '../test/devices'
import { renderApp } from '../test/render'
import { MANAGER, page, profile, scan, VIEWER } from './fixtures'
import type { ProfileRequest } from './types'

const D1 = device(1)
const D2 = device(2)

function routes(over: Record<string, Handler> = {}, perms = MANAGER) {
  return {
    ...sessionRoutes(makeMe({}, perms)),
    'GET /discovery/profiles': () => page([profile()]),
    'GET /discovery/profiles/:id': () => json(profile()),
    'GET /discovery/scans': () => page([]),
    'GET /devices': pagedDevices([D1, D2]),
    ...over,
  }
}

const LIMIT = 'target 10.0.0.0/8 covers 16777216 addresses, over the limit of 65536 (a /16) per profile'

// The pages are lazy chunks: transform them before the first test, whose finds would otherwise wait on a busy machine.
beforeAll(async () => {
  await Promise.all([import('./ProfilesPage'), import('./ProfilePage')])
}, 60_000)

describe('discovery profiles', () => {
  it('lists profiles with their site, targets, addresses and methods, and a nav entry', async () => {
    mockApi(routes())
    renderApp('/discovery/profiles')
    expect(await screen.findByRole('link', { name: 'Office LAN' })).toBeTruthy()
    expect(screen.getByRole('link', { name: 'Discovery' })).toBeTruthy() // the nav entry
    expect(screen.getByText('255 addresses, 1 exclusion')).toBeTruthy()
    expect(screen.getByText('icmp, arp, rdns, tcp')).toBeTruthy()
    expect(await screen.findByRole('cell', { name: /^HQ/ })).toBeTruthy()
  })

  it('checks the form, shows the server’s refusal next to it, then creates the profile with the exact body', async () => {
    let posts = 0
    const { calls } = mockApi(
      routes({
        'GET /discovery/profiles': () => page([]),
        'POST /discovery/profiles': (c) => {
          posts++
          const b = c.body as ProfileRequest
          if (b.targets?.includes('10.0.0.0/8')) return apiError(400, 'invalid', LIMIT)
          return json(profile(), 201)
        },
      }),
    )
    const user = userEvent.setup()
    renderApp('/discovery/profiles')
    await user.click(await screen.findByRole('button', { name: 'New profile' }))
    const d = screen.getByRole('dialog', { name: 'New discovery profile' })
    await user.click(within(d).getByRole('button', { name: 'Create profile' }))
    expect(within(d).getByText('Name the profile.')).toBeTruthy()
    expect(within(d).getByText('Choose the site to scan.')).toBeTruthy()
    expect(within(d).getByText('Give at least one target: a CIDR, a range or a host.')).toBeTruthy()
    expect(within(d).getByLabelText('Name').getAttribute('aria-invalid')).toBe('true')
    expect(posts).toBe(0)

    await user.type(within(d).getByLabelText('Name'), 'Office LAN')
    await waitFor(() => expect(within(d).getByRole('option', { name: 'Demo Customer / HQ' })).toBeTruthy())
    await user.selectOptions(within(d).getByLabelText('Site'), 'site-1')
    await user.type(within(d).getByLabelText('Targets (one per line)'), '10.0.0.0/8')
    await user.clear(within(d).getByLabelText('TCP ports'))
    await user.type(within(d).getByLabelText('TCP ports'), '22, 80, x')
    await user.clear(within(d).getByLabelText('Timeout (seconds)'))
    await user.type(within(d).getByLabelText('Timeout (seconds)'), '5')
    await user.click(within(d).getByRole('button', { name: 'Create profile' }))
    expect(within(d).getByText('Ports are numbers from 1 to 65535, separated by commas.')).toBeTruthy()
    expect(within(d).getByText('A whole number from 30 to 86,400.')).toBeTruthy()
    expect(within(d).getByText('Choose at least one device of the site to scan from.')).toBeTruthy()
    expect(posts).toBe(0)

    await user.clear(within(d).getByLabelText('TCP ports'))
    await user.type(within(d).getByLabelText('TCP ports'), '22, 80 443')
    await user.clear(within(d).getByLabelText('Timeout (seconds)'))
    await user.type(within(d).getByLabelText('Timeout (seconds)'), '600')
    await user.click(await within(d).findByRole('checkbox', { name: /host-00002/ }))
    await user.click(within(d).getByRole('checkbox', { name: 'Reverse DNS' })) // off
    await user.click(within(d).getByRole('checkbox', { name: /^Split/ }))
    await user.click(within(d).getByRole('button', { name: 'Create profile' }))
    expect((await within(d).findByRole('alert')).textContent).toBe(LIMIT)
    expect(screen.getByRole('dialog', { name: 'New discovery profile' })).toBeTruthy() // still open

    const targets = within(d).getByLabelText('Targets (one per line)')
    await user.clear(targets)
    await user.type(targets, '10.0.0.0/24{enter}10.0.1.10-20{enter}{enter}')
    await user.type(within(d).getByLabelText('Exclusions (one per line)'), '10.0.0.1')
    await user.click(within(d).getByRole('button', { name: 'Create profile' }))
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'New discovery profile' })).toBeNull())
    const post = calls.filter((c) => c.method === 'POST' && c.path === '/discovery/profiles').at(-1)!
    expect(post.body).toEqual({
      siteId: 'site-1', orgId: 'org-1', name: 'Office LAN', targets: ['10.0.0.0/24', '10.0.1.10-20'], exclusions: ['10.0.0.1'],
      methods: ['icmp', 'arp', 'tcp'], ports: [22, 80, 443], ratePerSecond: 200, concurrency: 64, timeoutSeconds: 600,
      scannerDeviceIds: [D2.id], split: true,
    })
  })

  it('keeps write-only SNMP secrets unless replaced, and sends a replacement as a string', async () => {
    const snmpProfile = profile({
      methods: ['icmp', 'snmp'],
      snmp: { version: '3', user: 'mon', authProto: 'SHA', authPass: { set: true }, privProto: 'AES', privPass: { set: true }, port: 161, timeoutMs: 2000 },
    })
    const { calls } = mockApi(routes({ 'GET /discovery/profiles': () => page([snmpProfile]), 'PUT /discovery/profiles/:id': () => json(snmpProfile) }))
    const user = userEvent.setup()
    renderApp('/discovery/profiles')
    await user.click(await screen.findByRole('button', { name: 'Edit Office LAN' }))
    let d = screen.getByRole('dialog', { name: 'Edit Office LAN' })
    expect(within(d).getAllByText('set')).toHaveLength(2)
    expect(within(d).queryByLabelText('Authentication passphrase')).toBeNull() // no field holds the secret
    await user.click(within(d).getByRole('button', { name: 'Save profile' }))
    await waitFor(() => expect(calls.filter((c) => c.method === 'PUT')).toHaveLength(1))
    const put = calls.find((c) => c.method === 'PUT')!
    expect(put.path).toBe('/discovery/profiles/pr1')
    expect((put.body as ProfileRequest).version).toBe(3)
    expect((put.body as ProfileRequest).snmp).toEqual({ version: '3', user: 'mon', authProto: 'SHA', privProto: 'AES', port: 161, timeoutMs: 2000 })

    await user.click(await screen.findByRole('button', { name: 'Edit Office LAN' }))
    d = screen.getByRole('dialog', { name: 'Edit Office LAN' })
    await user.click(within(d).getByRole('button', { name: 'Replace authentication passphrase' }))
    await user.type(within(d).getByLabelText('Authentication passphrase'), 'short')
    await user.click(within(d).getByRole('button', { name: 'Save profile' }))
    expect(within(d).getByText('At least 8 characters.')).toBeTruthy()
    await user.type(within(d).getByLabelText('Authentication passphrase'), '-but-longer')
    await user.click(within(d).getByRole('button', { name: 'Save profile' }))
    await waitFor(() => expect(calls.filter((c) => c.method === 'PUT')).toHaveLength(2))
    const snmp = (calls.filter((c) => c.method === 'PUT')[1]!.body as ProfileRequest).snmp!
    expect(snmp.authPass).toBe('short-but-longer')
    expect('privPass' in snmp).toBe(false)
  })

  it('runs a profile now: the scan starts and its progress shows in the list', async () => {
    let started = false
    const { calls } = mockApi(
      routes({
        'POST /discovery/profiles/:id/scans': () => {
          started = true
          return json(scan({ status: 'queued', scanned: 0 }), 202)
        },
        'GET /discovery/scans': (c) => page(started && c.query.get('status') === 'running' ? [scan()] : []),
      }),
    )
    const user = userEvent.setup()
    renderApp('/discovery/profiles')
    await user.click(await screen.findByRole('button', { name: 'Run Office LAN now' }))
    expect(await screen.findByText(/Scan of Office LAN started/)).toBeTruthy()
    expect(calls.filter((c) => c.method === 'POST' && c.path.startsWith('/discovery')).map((c) => c.path)).toEqual(['/discovery/profiles/pr1/scans'])
    const bar = await screen.findByRole('progressbar', { name: 'Scan progress: 64 of 256 addresses' })
    expect(bar.getAttribute('value')).toBe('64')
    expect(screen.getByRole('button', { name: 'Run Office LAN now' }).hasAttribute('disabled')).toBe(true)
  })

  it('shows a refused run’s message', async () => {
    mockApi(routes({ 'POST /discovery/profiles/:id/scans': () => apiError(409, 'conflict', 'no scanning device of the profile is online') }))
    const user = userEvent.setup()
    renderApp('/discovery/profiles')
    await user.click(await screen.findByRole('button', { name: 'Run Office LAN now' }))
    expect(await screen.findByText('Office LAN: no scanning device of the profile is online')).toBeTruthy()
  })

  it('a viewer sees profiles and scans but no button that changes anything', async () => {
    mockApi(routes({ 'GET /discovery/scans': () => page([scan()]) }, VIEWER))
    renderApp('/discovery/profiles')
    expect(await screen.findByRole('link', { name: 'Office LAN' })).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'New profile' })).toBeNull()
    expect(screen.queryByRole('button', { name: /Run .* now/ })).toBeNull()
    expect(screen.queryByRole('button', { name: /^(Edit|Delete) / })).toBeNull()
  })

  it('a viewer on the profile page: facts and scans, no run or cancel', async () => {
    mockApi(routes({ 'GET /discovery/scans': () => page([scan()]) }, VIEWER))
    renderApp('/discovery/profiles/pr1')
    expect(await screen.findByRole('heading', { name: 'Office LAN' })).toBeTruthy()
    expect(await screen.findByRole('progressbar')).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Run now' })).toBeNull()
    expect(screen.queryByRole('button', { name: 'Cancel scan' })).toBeNull()
    expect(screen.queryByRole('button', { name: 'Edit…' })).toBeNull()
  })

  it('asks before deleting a profile', async () => {
    const { calls } = mockApi(routes({ 'DELETE /discovery/profiles/:id': () => undefined }))
    const user = userEvent.setup()
    renderApp('/discovery/profiles')
    await user.click(await screen.findByRole('button', { name: 'Delete Office LAN' }))
    const confirm = screen.getByRole('dialog', { name: 'Delete Office LAN?' })
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false)
    await user.click(within(confirm).getByRole('button', { name: 'Delete' }))
    await waitFor(() => expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/discovery/profiles/pr1']))
  })

  it('shows the organization’s allowed ranges and lets an admin change them at the version read', async () => {
    const { calls } = mockApi(
      routes(
        {
          'GET /orgs/:id/discovery-settings': () => json({ orgId: 'org-1', allowedRanges: ['10.0.0.0/16'], version: 2 }),
          'PUT /orgs/:id/discovery-settings': (c) => {
            const b = c.body as { allowedRanges: string[] }
            if (b.allowedRanges.includes('0.0.0.0/0')) return apiError(400, 'invalid', 'allowed range 0.0.0.0/0 is too wide')
            return json({ orgId: 'org-1', allowedRanges: b.allowedRanges, version: 3 })
          },
        },
        [...MANAGER, 'orgs:write'],
      ),
    )
    const user = userEvent.setup()
    renderApp('/discovery/profiles')
    const tenant = await screen.findByRole('navigation', { name: 'Tenant' })
    await waitFor(() => expect(within(tenant).getByRole('option', { name: 'Demo Customer' })).toBeTruthy())
    await user.selectOptions(within(tenant).getByLabelText('Organization'), 'org-1')
    const region = await screen.findByRole('region', { name: 'Allowed ranges' })
    expect(within(region).getByText('10.0.0.0/16')).toBeTruthy()
    await user.click(within(region).getByRole('button', { name: 'Change allowed ranges…' }))
    const d = screen.getByRole('dialog', { name: 'Allowed ranges of Demo Customer' })
    const box = within(d).getByLabelText('Allowed ranges (one per line)')
    await user.clear(box)
    await user.type(box, '0.0.0.0/0')
    await user.click(within(d).getByRole('button', { name: 'Save ranges' }))
    expect((await within(d).findByRole('alert')).textContent).toBe('allowed range 0.0.0.0/0 is too wide')
    await user.clear(box)
    await user.type(box, '10.0.0.0/16{enter}192.168.1.0/24')
    await user.click(within(d).getByRole('button', { name: 'Save ranges' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(calls.filter((c) => c.method === 'PUT').at(-1)!.body).toEqual({ allowedRanges: ['10.0.0.0/16', '192.168.1.0/24'], version: 2 })
    expect(within(region).getByText('10.0.0.0/16, 192.168.1.0/24')).toBeTruthy()
  })

  it('without orgs:write the allowed ranges are read-only', async () => {
    mockApi(routes({ 'GET /orgs/:id/discovery-settings': () => json({ orgId: 'org-1', allowedRanges: [], version: 0 }) }))
    const user = userEvent.setup()
    renderApp('/discovery/profiles')
    const tenant = await screen.findByRole('navigation', { name: 'Tenant' })
    await waitFor(() => expect(within(tenant).getByRole('option', { name: 'Demo Customer' })).toBeTruthy())
    await user.selectOptions(within(tenant).getByLabelText('Organization'), 'org-1')
    const region = await screen.findByRole('region', { name: 'Allowed ranges' })
    expect(within(region).getByText('any (not restricted)')).toBeTruthy()
    expect(within(region).queryByRole('button')).toBeNull()
  })
})
