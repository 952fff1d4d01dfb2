import { describe, expect, it } from 'vitest'
import { groupingLabel, windowLabel } from './grouping'
import { groupingHint } from './RouteDialog'

describe('storm grouping labels', () => {
  it('reads a window length', () => {
    expect(windowLabel(300)).toBe('5 min')
    expect(windowLabel(90)).toBe('1 min 30 s')
    expect(windowLabel(45)).toBe('45 s')
    expect(windowLabel(3600)).toBe('1 h')
    expect(windowLabel(5400)).toBe('1 h 30 min')
    expect(windowLabel(86_400)).toBe('1 day')
    expect(windowLabel(0)).toBe('0 s')
  })

  it('says off when either setting is 0', () => {
    expect(groupingLabel({ groupAfter: 5, groupIntervalSeconds: 300 })).toBe('5 then digest / 5 min')
    expect(groupingLabel({ groupAfter: 1000, groupIntervalSeconds: 86_400 })).toBe(`${(1000).toLocaleString()} then digest / 1 day`)
    expect(groupingLabel({ groupAfter: 0, groupIntervalSeconds: 300 })).toBe('Off')
    expect(groupingLabel({ groupAfter: 5, groupIntervalSeconds: 0 })).toBe('Off')
  })

  it('hints in the numbers typed', () => {
    expect(groupingHint('1', '60')).toContain('Per 1 min window, the first alert goes out alone')
    expect(groupingHint('0', '60')).toContain('Grouping is off')
    expect(groupingHint('', '60')).toContain('Per window, the first alerts go out alone')
    expect(groupingHint('2.5', '60')).toContain('Per window,')
  })
})
