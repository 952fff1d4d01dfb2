import { describe, expect, it, vi } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { ALL_PERMISSIONS, apiError, json, makeMe, mockApi, sessionRoutes } from '../test/api'
import { device } from '../test/devices'
import { renderApp } from '../test/render'
import { parseStages, progress, type Release, type Rollout } from './useUpdates'

const XSS = '<img src=x onerror=alert(1)>'

const release: Release = {
  id: 'rel-1', version: '1.1.0', os: 'linux', arch: 'amd64', sha256: 'ab'.repeat(32), size: 12_000_000, signature: 'sig',
  notes: XSS, createdBy: 'user:u1', createdAt: '2026-01-01T00:00:00Z',
}

const running: Rollout = {
  id: 'ro-1', partnerId: 'p1', orgId: 'org-1', siteId: '', scopeKind: 'org', scopeId: 'org-1', version: '1.1.0',
  stages: [1, 10, 100], pauseSeconds: 600, failureThreshold: 5, allowDowngrade: false, trialSeconds: 300, state: 'active',
  stage: 1, nextStageAt: null, reason: '', createdBy: 'user:u1', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z',
  counts: { linked: 7, offered: 2, rolled_back: 1 },
}
const stopped: Rollout = { ...running, id: 'ro-2', scopeKind: 'site', scopeId: 'site-1', state: 'stopped', stage: 0, reason: XSS, counts: {} }

const GLOBAL_ADMIN = makeMe({ grants: [{ level: 'global', permissions: ALL_PERMISSIONS, roleName: 'Platform Admin' }] })

describe('agent updates page', () => {
  it('lists rollouts with stage progress and builds, all as text', async () => {
    mockApi({
      ...sessionRoutes(),
      'GET /rollouts': () => json({ items: [running, stopped] }),
      'GET /releases': () => json({ items: [release] }),
    })
    const { container } = renderApp('/agent-updates')
    const bars = await screen.findAllByRole('list', { name: 'Stages of the rollout of 1.1.0' })
    expect(bars.length).toBe(2)
    const items = within(bars[0]!).getAllByRole('listitem')
    expect(items[0]!.textContent).toContain('1 % ✓')
    expect(items[1]!.textContent).toContain('8/10 done, 1 failed')
    expect(screen.getByText(XSS, { selector: 'p' })).toBeTruthy() // the stop reason, as text
    expect(await screen.findByText(XSS, { selector: 'td' })).toBeTruthy() // the build's notes, as text
    expect(container.querySelector('img')).toBeNull()
    // Only global plugins:manage holders upload builds.
    expect(screen.queryByRole('button', { name: 'Upload build…' })).toBeNull()
    expect(screen.getByRole('button', { name: 'Pause' })).toBeTruthy()
  })

  it('pauses and stops a rollout', async () => {
    const api = mockApi({
      ...sessionRoutes(),
      'GET /rollouts': () => json({ items: [running] }),
      'GET /releases': () => json({ items: [release] }),
      'POST /rollouts/:id/pause': () => json({ ...running, state: 'paused' }),
      'POST /rollouts/:id/stop': () => json({ ...running, state: 'stopped' }),
    })
    const user = userEvent.setup()
    renderApp('/agent-updates')
    await user.click(await screen.findByRole('button', { name: 'Pause' }))
    expect(await screen.findByText('Rollout of 1.1.0 is paused.')).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'Stop…' }))
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Stop' }))
    await waitFor(() => expect(api.calls.some((c) => c.method === 'POST' && c.path === '/rollouts/ro-1/stop')).toBe(true))
  })

  it('starts a rollout with its stages and shows a refusal as the server said it', async () => {
    let sent: unknown
    mockApi({
      ...sessionRoutes(GLOBAL_ADMIN),
      'GET /rollouts': () => json({ items: [] }),
      'GET /releases': () => json({ items: [release] }),
      'POST /rollouts': (c) => {
        sent = c.body
        return apiError(409, 'conflict', 'this org already has a running rollout: stop it first')
      },
    })
    const user = userEvent.setup()
    renderApp('/agent-updates')
    expect(await screen.findByRole('button', { name: 'Upload build…' })).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'New rollout…' }))
    const dialog = await screen.findByRole('dialog')
    await user.type(within(dialog).getByLabelText('Scope id'), 'org-1')
    const stages = within(dialog).getByLabelText('Stages (cumulative %, ending at 100)')
    await user.clear(stages)
    await user.type(stages, '10, 5')
    expect(within(dialog).getByText(/Ascending percentages/)).toBeTruthy()
    expect((within(dialog).getByRole('button', { name: 'Start rollout' }) as HTMLButtonElement).disabled).toBe(true)
    await user.clear(stages)
    await user.type(stages, '5, 50, 100')
    await user.click(within(dialog).getByLabelText(/Allow a downgrade/))
    await user.click(within(dialog).getByRole('button', { name: 'Start rollout' }))
    expect(await within(dialog).findByRole('alert')).toHaveProperty('textContent', 'this org already has a running rollout: stop it first')
    expect(sent).toMatchObject({ scopeKind: 'org', scopeId: 'org-1', version: '1.1.0', stages: [5, 50, 100], allowDowngrade: true })
  })
})

describe('stages and progress', () => {
  it('parses cumulative stages', () => {
    expect(parseStages('1, 10, 100')).toEqual([1, 10, 100])
    expect(parseStages('100')).toEqual([100])
    expect(parseStages('10, 10, 100')).toBeNull()
    expect(parseStages('1, 10')).toBeNull()
    expect(parseStages('0, 100')).toBeNull()
    expect(parseStages('x')).toBeNull()
  })
  it('counts devices done of assigned', () => {
    expect(progress(running)).toEqual({ done: 8, assigned: 10, failed: 1 })
  })
})

describe('the device page', () => {
  it("shows the device's update state from its newest rollout, the agent's error as text", async () => {
    vi.stubGlobal('ResizeObserver', class { observe() {} disconnect() {} })
    const d = device(3, { hostname: 'db-03', agentVersion: '1.0.0' })
    mockApi({
      ...sessionRoutes(),
      'GET /devices/:id': () => json(d),
      'GET /devices/:id/update': () =>
        json({ rolloutId: 'ro-1', deviceId: d.id, stage: 0, state: 'rolled_back', fromVersion: '1.0.0', error: XSS, offeredAt: null,
          updatedAt: '2026-01-01T00:00:00Z' }),
    })
    const { container } = renderApp(`/devices/${d.id}`)
    const facts = await screen.findByLabelText('Agent update')
    expect(within(facts).getByText('Rolled back').className).toContain('pill-warn')
    expect(within(facts).getByText(XSS).textContent).toBe(XSS)
    expect(container.querySelector('img')).toBeNull()
  })
})

describe('the device list', () => {
  it("shows a device's update state next to its agent version while it matters", async () => {
    const a = device(1, { hostname: 'app-01', agentVersion: '1.0.0' })
    const b = device(2, { hostname: 'app-02', agentVersion: '1.1.0' })
    mockApi({
      ...sessionRoutes(),
      'GET /devices': () => json({ items: [a, b], nextCursor: '' }),
      'GET /rollouts': () => json({ items: [running] }),
      'GET /rollouts/:id/devices': () =>
        json({
          items: [
            { rolloutId: 'ro-1', deviceId: a.id, stage: 0, state: 'rolled_back', fromVersion: '1.0.0', error: '', offeredAt: null, updatedAt: '' },
            { rolloutId: 'ro-1', deviceId: b.id, stage: 0, state: 'linked', fromVersion: '1.0.0', error: '', offeredAt: null, updatedAt: '' },
          ],
        }),
    })
    renderApp('/devices')
    const pill = await screen.findByText('Rolled back')
    expect(pill.closest('[role="row"]')!.textContent).toContain('app-01')
    expect(pill.className).toContain('pill-warn')
    expect(screen.queryByText('Updated')).toBeNull() // done: the version says it
  })
})
