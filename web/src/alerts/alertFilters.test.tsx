import { describe, expect, it } from 'vitest'
import { act, render, screen } from '@testing-library/react'
import { MemoryRouter, useLocation } from 'react-router'
import { alertsLink, filtersFromParams, isoToLocal, localToIso, rangeProblem, useAlertListFilters, type FilterControl } from './alertFilters'

describe('the Alerts page’s filters in the URL', () => {
  it('reads what a query string names and drops what the API would refuse', () => {
    expect(filtersFromParams(new URLSearchParams('state=open&severity=critical&siteId=s1&from=2024-01-01T00:00:00Z&to=2024-02-01T01:00:00%2B01:00')))
      .toEqual({ state: 'open', severity: 'critical', siteId: 's1', from: '2024-01-01T00:00:00.000Z', to: '2024-02-01T00:00:00.000Z' })
    expect(filtersFromParams(new URLSearchParams('state=closed&severity=high&siteId=&from=yesterday'))).toEqual({
      state: undefined, severity: undefined, siteId: undefined, from: undefined, to: undefined,
    })
  })

  it('builds links the page reads back', () => {
    expect(alertsLink({})).toBe('/alerts')
    const link = alertsLink({ state: 'open', severity: 'critical', siteId: 's 1' })
    expect(link).toBe('/alerts?state=open&severity=critical&siteId=s+1')
    expect(filtersFromParams(new URL(link, 'http://x').searchParams)).toMatchObject({ state: 'open', severity: 'critical', siteId: 's 1' })
  })

  it('refuses an empty or reversed time range', () => {
    expect(rangeProblem({ from: '2024-01-02T00:00:00Z', to: '2024-01-01T00:00:00Z' })).toMatch(/later/)
    expect(rangeProblem({ from: '2024-01-01T00:00:00Z', to: '2024-01-01T00:00:00Z' })).toMatch(/later/)
    expect(rangeProblem({ from: '2024-01-01T00:00:00Z', to: '2024-01-01T00:01:00Z' })).toBeNull()
    expect(rangeProblem({ from: '2024-01-01T00:00:00Z' })).toBeNull()
  })

  it('round-trips a datetime-local value through RFC 3339', () => {
    const iso = localToIso('2024-03-05T07:09')
    expect(iso).toMatch(/^2024-03-0[4-6]T\d\d:\d\d:00\.000Z$/)
    expect(isoToLocal(iso)).toBe('2024-03-05T07:09')
    expect(localToIso('')).toBe('')
    expect(localToIso('nope')).toBe('')
    expect(isoToLocal(undefined)).toBe('')
  })

  it('writes every filter into the URL, and clears them all, keeping other parameters', () => {
    let ctl: FilterControl | undefined
    function Probe() {
      ctl = useAlertListFilters(true)
      const loc = useLocation()
      return <output>{loc.search}</output>
    }
    render(
      <MemoryRouter initialEntries={['/alerts?tab=x']}>
        <Probe />
      </MemoryRouter>,
    )
    const search = () => screen.getByRole('status').textContent
    act(() => ctl!.set('state', 'acknowledged'))
    act(() => ctl!.set('severity', 'warning'))
    act(() => ctl!.set('siteId', 'site-1'))
    act(() => ctl!.set('from', '2024-01-01T00:00:00.000Z'))
    act(() => ctl!.set('to', '2024-01-02T00:00:00.000Z'))
    const q = new URLSearchParams(search()!)
    expect(Object.fromEntries(q)).toEqual({
      tab: 'x', state: 'acknowledged', severity: 'warning', siteId: 'site-1', from: '2024-01-01T00:00:00.000Z', to: '2024-01-02T00:00:00.000Z',
    })
    expect(ctl!.any).toBe(true)
    act(() => ctl!.set('severity', ''))
    expect(new URLSearchParams(search()!).has('severity')).toBe(false)
    act(() => ctl!.clear())
    expect(search()).toBe('?tab=x')
    expect(ctl!.any).toBe(false)
  })

  it('keeps a device tab’s filters out of the URL', () => {
    let ctl: FilterControl | undefined
    function Probe() {
      ctl = useAlertListFilters(false)
      return <output>{useLocation().search}</output>
    }
    render(
      <MemoryRouter initialEntries={['/devices/d1?tab=alerts']}>
        <Probe />
      </MemoryRouter>,
    )
    act(() => ctl!.set('state', 'open'))
    expect(ctl!.filters.state).toBe('open')
    expect(screen.getByRole('status').textContent).toBe('?tab=alerts')
  })
})
