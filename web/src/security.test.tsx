// Every string the API returns, above all what agents report, is rendered
// as text. A hostname of <img src=x onerror=alert(1)> must show as those
// characters and never become an element.

import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { json, mockApi, sessionRoutes } from './test/api'
import { device, pagedDevices } from './test/devices'
import { renderApp } from './test/render'

const XSS = '<img src=x onerror=alert(1)>'
const XSS2 = '"><script>window.__pwned=1</script>'

function assertInert(root: HTMLElement) {
  expect(root.querySelector('img')).toBeNull()
  expect(root.querySelector('script')).toBeNull()
  expect(root.querySelector('[onerror]')).toBeNull()
  expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined()
}

describe('agent-reported strings render as text', () => {
  const evil = device(1, { hostname: XSS, os: XSS2, agentVersion: XSS, arch: XSS2 })

  it('in the device list', async () => {
    const alert = vi.fn()
    vi.stubGlobal('alert', alert)
    mockApi({ ...sessionRoutes(), 'GET /devices': pagedDevices([evil]) })
    const { container } = renderApp('/devices')
    const grid = await screen.findByRole('grid', { name: 'Devices' })
    const link = await within(grid).findByRole('link', { name: XSS })
    expect(link.textContent).toBe(XSS)
    assertInert(container)
    expect(alert).not.toHaveBeenCalled()
  })

  it('on the device page, its inventory and the audit log', async () => {
    mockApi({
      ...sessionRoutes(),
      'GET /devices/:id': () => json({ ...evil, latest: undefined }),
      'GET /devices/:id/inventory': () =>
        json({
          deviceId: evil.id,
          updatedAt: '2024-01-01T00:00:00Z',
          at: '2024-01-01T00:00:00Z',
          os: { name: 'linux', platform: XSS, version: XSS2, kernelVersion: XSS, hostname: XSS },
          memoryTotal: 1024,
          disks: [{ name: XSS, size: 1, model: XSS2 }],
          filesystems: [],
          interfaces: [{ name: XSS, addresses: [XSS2] }],
          software: [{ name: XSS, version: XSS2, source: 'dpkg' }],
        }),
      'GET /audit-logs': () =>
        json({
          items: [
            {
              id: 'a1', seq: 1, at: '2024-01-01T00:00:00Z', actorType: 'agent', actorId: 'x', action: XSS,
              resourceType: XSS2, outcome: 'success', userAgent: XSS, details: { hostname: XSS }, prevHash: '', hash: 'h',
            },
          ],
          nextCursor: '',
        }),
    })
    const user = userEvent.setup()
    const { container, unmount } = renderApp(`/devices/${evil.id}`)
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe(XSS)
    assertInert(container)
    await user.click(screen.getByRole('tab', { name: 'Inventory' }))
    expect((await screen.findAllByText(XSS)).length).toBeGreaterThan(2)
    assertInert(container)
    unmount()

    const audit = renderApp('/audit')
    const cell = await screen.findByText(XSS)
    expect(cell.tagName).toBe('TD')
    await user.click(screen.getByRole('button', { name: 'Details' }))
    await waitFor(() => expect(audit.container.querySelector('pre')!.textContent).toContain(XSS))
    assertInert(audit.container)
  })
})

// The source itself: no HTML strings injected, no <style> elements, and the
// theme the only thing in web storage.
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    if (statSync(p).isDirectory()) return n === 'test' ? [] : sources(p)
    return /\.(ts|tsx)$/.test(n) && !/\.test\.tsx?$/.test(n) ? [p] : []
  })
}

describe('source rules', () => {
  const files = sources(join(__dirname))
  it('finds the sources', () => expect(files.length).toBeGreaterThan(20))
  for (const [what, re] of [
    ['dangerouslySetInnerHTML', /dangerouslySetInnerHTML/],
    ['innerHTML / outerHTML / insertAdjacentHTML', /\.(inner|outer)HTML\b|insertAdjacentHTML/],
    ['<style> elements (refused by the CSP)', /<style[\s>]|createElement\(\s*['"`]style/],
    ['style attributes set as strings (refused by the CSP)', /setAttribute\(\s*['"`]style/],
    ['eval or new Function (refused by the CSP)', /\beval\(|new Function\(/],
  ] as const) {
    it(`uses no ${what}`, () => {
      const hits = files.filter((f) => re.test(readFileSync(f, 'utf8')))
      expect(hits).toEqual([])
    })
  }
  it('keeps nothing but the theme in web storage', () => {
    const hits = files.filter((f) => /localStorage|sessionStorage|indexedDB/.test(readFileSync(f, 'utf8')))
    expect(hits.map((f) => f.replace(/.*\/src\//, ''))).toEqual(['theme/theme.ts'])
  })
})
